package execute

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/target"
)

var (
	// ErrBadAction means the action itself is unacceptable (bad method or path): a 400 for
	// the caller; nothing was sent.
	ErrBadAction = errors.New("execute: bad action")
	// ErrTarget means the target could not be reached or did not answer in time: a 502.
	ErrTarget = errors.New("execute: target failed")
)

// Result is a target's response.
type Result struct {
	Status      int
	ContentType string
	// ContentEncoding is the answer's Content-Encoding (an S3 object's, for GetObject) when
	// its body is still encoded so: the masker reads gzip and deflate (zlib) by their bytes,
	// and withholds a body in any other (mask.ContentEncodingUnread).
	ContentEncoding string
	Body            []byte
	Truncated       bool
	Duration        time.Duration
	// Outcome, when set, is what the record says came of the action instead of "ok" (for
	// instance OutcomeRolledBack), and Reason says why.
	Outcome string
	Reason  string
	// Masked counts the values the executor masked itself, by class (a SQL column whose
	// lineage reads a classified column); the record adds them to the masker's counts.
	Masked map[string]int
}

// HTTP performs http actions.
type HTTP struct {
	client *http.Client
}

// NewHTTP returns an executor using transport rt (nil: a fresh Transport).
func NewHTTP(rt http.RoundTripper) *HTTP {
	if rt == nil {
		rt = Transport()
	}
	return &HTTP{client: &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is returned to the agent, never followed
		},
	}}
}

var methods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// URL resolves an action's path against the target's base URL. The path and query are
// serialised from their canonical form (shared/action), never copied from the input: the
// target receives exactly the bytes policy decided on. A path with no canonical form is
// refused (ErrBadAction); one that is canonical already comes out unchanged.
func URL(t target.Target, a api.Action) (*url.URL, error) {
	base, err := url.Parse(t.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("execute: target %q base URL: %w", t.Name, err)
	}
	p, err := action.ParsePath(a.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadAction, err)
	}
	u := *base
	basePath := strings.TrimSuffix(base.EscapedPath(), "/")
	decodedBase := strings.TrimSuffix(base.Path, "/")
	u.Path = decodedBase + "/" + strings.Join(p.Segments, "/")
	u.RawPath = basePath + p.Encoded()
	if len(p.Segments) == 0 {
		u.Path, u.RawPath = decodedBase+"/", basePath+"/"
	}
	u.RawQuery = p.RawQuery()
	u.ForceQuery = false
	u.Fragment, u.RawFragment = "", ""
	return &u, nil
}

// Do performs action a on target t with credential c.
func (h *HTTP) Do(ctx context.Context, t target.Target, c broker.Credential, a api.Action) (Result, error) {
	if !methods[a.Method] {
		return Result{}, fmt.Errorf("%w: method %q", ErrBadAction, a.Method)
	}
	u, err := URL(t, a)
	if err != nil {
		return Result{}, err
	}
	var body io.Reader
	if a.Body != nil {
		raw, err := action.CanonicalJSON(a.Body) // names sorted, numbers as written
		if err != nil {
			return Result{}, fmt.Errorf("%w: body: %v", ErrBadAction, err)
		}
		body = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(t.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, a.Method, u.String(), body)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrBadAction, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(c.Header, c.Value)
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s %s: %v", ErrTarget, a.Method, t.Name, scrub(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, t.MaxResponseBytes+1))
	if err != nil {
		return Result{}, fmt.Errorf("%w: read response of %s: %v", ErrTarget, t.Name, scrub(err))
	}
	// The transport decodes the gzip it asked for and then drops the header; any encoding
	// still named is the body's.
	res := Result{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), ContentEncoding: resp.Header.Get("Content-Encoding"),
		Body: raw, Duration: time.Since(start)}
	if int64(len(raw)) > t.MaxResponseBytes {
		res.Body, res.Truncated = raw[:t.MaxResponseBytes], true
	}
	return res, nil
}

// scrub keeps the error's kind but drops the URL the transport includes.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
