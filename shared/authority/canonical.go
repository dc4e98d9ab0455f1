package authority

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/target"
)

// This file turns an action into its canonical form (shared/action) once, and describes it
// for the chain: policy, the digests, the record and the executor read that form only.

// Digest domains: one key, never the same digest for two purposes.
const (
	domainAction   = "mandate/action/v1"
	domainApproval = "mandate/approval/v1"
	domainIdem     = "mandate/idempotency/v1"
	domainPrompt   = "mandate/prompt/v1"
)

// digestKey derives the key of record digests from the deployment key (nil: none).
func digestKey(maskKey []byte) []byte {
	if len(maskKey) == 0 {
		return nil
	}
	h := hmac.New(sha256.New, maskKey)
	h.Write([]byte("mandate record digests v1"))
	return h.Sum(nil)
}

// canonical validates an action and returns its canonical form with its target and, for
// sql, its parsed statement. Every later stage reads only what it returns.
func (a *Authority) canonical(ctx context.Context, act api.Action) (action.Action, target.Target, *sqlparse.Statement, *Error) {
	t, verr := a.validate(ctx, act)
	if verr != nil {
		return action.Action{}, t, nil, verr
	}
	c, err := action.Parse(act)
	switch {
	case errors.Is(err, action.ErrNonCanonicalPath):
		return action.Action{}, t, nil, nonCanonical(err)
	case err != nil:
		return action.Action{}, t, nil, &Error{Kind: ErrInvalid, Detail: err.Error(), Reasons: []string{"invalid-action"}}
	}
	if c.HTTP != nil && t.CaseInsensitivePaths {
		p := c.HTTP.LowerCase()
		if _, err := action.ParsePath(p.String()); err != nil { // lower-casing may leave NFKC
			return action.Action{}, t, nil, nonCanonical(err)
		}
		c.HTTP, c.Path, c.Resource = &p, p.String(), p.Encoded()
	}
	stmt, verr := a.checkKind(t, &c) // kinds.go
	if verr != nil {
		return c, t, nil, verr
	}
	return c, t, stmt, nil
}

// nonCanonical is the refusal of a path with no canonical form.
func nonCanonical(err error) *Error {
	return &Error{Kind: ErrNonCanonical, Detail: strings.TrimPrefix(err.Error(), "non-canonical path: "), Reasons: []string{"non-canonical-path"}}
}

// describe is the action as the chain records it: canonical, with the resource, query and
// statement masked, and a keyed digest of the whole unmasked canonical action.
func (a *Authority) describe(c action.Action) *audit.Action {
	d := &audit.Action{Kind: c.Kind, Target: c.Target, Name: c.Name}
	if c.HTTP != nil {
		d.Resource, d.Query = a.maskedPath(*c.HTTP)
	} else {
		d.Resource = a.maskText(c.Resource)
	}
	if c.Statement != "" {
		d.Statement = a.maskText(c.Statement)
	}
	if digest, err := c.Digest(a.digestKey, domainAction); err == nil {
		d.Digest = digest
	}
	return d
}

// describeRaw is an action that has no canonical form (it was refused before one was
// built), as the chain records it: what can be named, masked.
func (a *Authority) describeRaw(act api.Action) *audit.Action {
	d := &audit.Action{Kind: clipField(act.Kind), Target: clipField(act.Target), Name: clipField(act.Kind) + ":" + clipField(strings.ToUpper(act.Method))}
	switch act.Kind {
	case api.KindHTTP:
		d.Resource = a.maskText(clipField(act.Path))
	case api.KindAWS:
		d.Name, d.Resource = clipField(act.Service)+":"+clipField(act.Operation), a.maskText(clipField(act.Resource))
	case api.KindSQL:
		d.Name = "sql:unparsed"
		if act.Statement != "" {
			d.Statement = a.maskText(clipField(act.Statement))
		}
	}
	if raw, err := json.Marshal(act); err == nil {
		d.Digest = action.Keyed(a.digestKey, domainAction, raw)
	}
	return d
}

// maxRecordedField bounds each named part of a refused action in its record.
const maxRecordedField = 1024

func clipField(s string) string {
	if len(s) > maxRecordedField {
		return s[:maxRecordedField] + "..."
	}
	return s
}

// maskText passes a value through the masking engine before it is recorded.
func (a *Authority) maskText(s string) string {
	if s == "" {
		return s
	}
	out, _ := a.masker.Text([]byte(s))
	return string(out)
}

// maskedPath is an http path and query as recorded: each decoded segment and parameter
// masked, then encoded by the canonical rule (with the masks' brackets left readable).
func (a *Authority) maskedPath(p action.Path) (resource, query string) {
	m := action.Path{Segments: make([]string, len(p.Segments)), Query: make([]action.Param, len(p.Query))}
	for i, s := range p.Segments {
		m.Segments[i] = a.maskText(s)
	}
	for i, q := range p.Query {
		m.Query[i] = action.Param{Name: a.maskText(q.Name), Value: a.maskText(q.Value)}
	}
	readable := strings.NewReplacer("%5B", "[", "%5D", "]")
	return readable.Replace(m.Encoded()), readable.Replace(m.RawQuery())
}
