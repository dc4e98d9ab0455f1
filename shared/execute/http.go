package execute

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

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
	Body        []byte
	Truncated   bool
	Duration    time.Duration
}

// HTTP performs http actions.
type HTTP struct {
	client *http.Client
}

// NewHTTP returns an executor using transport rt (nil: a fresh default transport).
func NewHTTP(rt http.RoundTripper) *HTTP {
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &HTTP{client: &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is returned to the agent, never followed
		},
	}}
}

var methods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// URL resolves an action's path against the target's base URL, refusing anything that would
// leave it.
func URL(t target.Target, a api.Action) (*url.URL, error) {
	base, err := url.Parse(t.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("execute: target %q base URL: %w", t.Name, err)
	}
	p := a.Path
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\#\x00\r\n") {
		return nil, fmt.Errorf("%w: path must start with a single / and hold no backslash, fragment or control character", ErrBadAction)
	}
	rawPath, rawQuery, _ := strings.Cut(p, "?")
	unescaped, err := url.PathUnescape(rawPath)
	if err != nil {
		return nil, fmt.Errorf("%w: path: %v", ErrBadAction, err)
	}
	for _, seg := range strings.Split(unescaped, "/") {
		if seg == ".." || seg == "." {
			return nil, fmt.Errorf("%w: path must not contain . or .. segments", ErrBadAction)
		}
	}
	if _, err := url.ParseQuery(rawQuery); err != nil {
		return nil, fmt.Errorf("%w: query: %v", ErrBadAction, err)
	}
	u := *base
	u.Path = path.Join("/", base.Path, unescaped)
	if strings.HasSuffix(unescaped, "/") && !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	u.RawQuery = rawQuery
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
		raw, err := json.Marshal(a.Body)
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
	res := Result{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: raw, Duration: time.Since(start)}
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
