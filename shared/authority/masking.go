package authority

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"sort"
	"strings"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/target"
)

// This file holds the masking stage's hooks in the pipeline: request inspection and
// detokenization before an action goes out, and masking of its result with the profile the
// deciding policy (@mask) or the target (mask_profile) names.

// failClosedProfile is the profile used when a target or policy names a profile the
// catalog does not hold: a configuration error must never mask less.
const failClosedProfile = "strict"

// masking is the authority's masking configuration.
type masking struct {
	catalog *mask.Catalog
	vault   mask.Vault // nil: no deployment key, so no tokens are minted
}

// newMasking builds the masking stage from the configuration: the catalog given, or the
// built-in profiles under cfg.MaskKey; the vault given, or one over the store's claims when
// there is a key.
func newMasking(cfg Config) (masking, error) {
	m := masking{catalog: cfg.Masking, vault: cfg.Vault}
	if m.catalog == nil {
		c, err := mask.NewCatalog(nil, cfg.MaskKey)
		if err != nil {
			return masking{}, fmt.Errorf("authority: masking profiles: %w", err)
		}
		m.catalog = c
	}
	if m.vault == nil && len(cfg.MaskKey) > 0 {
		v, err := mask.NewClaimsVault(cfg.Store, cfg.MaskKey)
		if err != nil {
			return masking{}, fmt.Errorf("authority: token vault: %w", err)
		}
		m.vault = v
	}
	return m, nil
}

// engine returns the engine of a profile name, failing closed to the strict profile.
func (m masking) engine(name string) (*mask.Engine, string, error) {
	e, err := m.catalog.Engine(name)
	if err == nil {
		return e, name, nil
	}
	strict, serr := m.catalog.Engine(failClosedProfile)
	if serr != nil {
		return nil, "", err
	}
	return strict, failClosedProfile, err
}

// request inspects an action's parameters for secrets (what the target's profile says:
// refuse, mask or allow) and replaces the tokens they carry with their values for the
// target. It returns the action to send and the values the tokens were replaced with, which
// the response is masked against (a target that echoes its request must not hand them to
// the agent); the action as the agent wrote it is what policy sees and what is recorded.
func (m masking) request(ctx context.Context, s store.Session, t target.Target, act api.Action) (api.Action, []string, *Error) {
	switch m.catalog.Requests(t.MaskProfile) {
	case mask.RequestRefuse:
		if found := m.secretsIn(act); len(found) > 0 {
			return act, nil, &Error{Kind: ErrInvalid, Reasons: secretReasons(found),
				Detail: "the action's parameters hold a secret (" + strings.Join(found, ", ") + "); Mandate supplies credentials itself"}
		}
	case mask.RequestMask:
		act = m.maskSecrets(act)
	}
	out, known, err := m.detokenize(ctx, s.ID, act)
	var te *mask.TokenError
	switch {
	case errors.As(err, &te):
		return act, nil, &Error{Kind: ErrInvalid, Reasons: []string{"unknown-token:" + te.Detector},
			Detail: "the action carries a " + te.Detector + " token this session was not given"}
	case err != nil:
		return act, nil, fail(ErrUnavailable, "the token vault could not be read; nothing was executed", err)
	}
	return out, known, nil
}

func secretReasons(found []string) []string {
	out := make([]string, len(found))
	for i, d := range found {
		out[i] = "request-secret:" + d
	}
	return out
}

// strings of an action an agent writes: path, statement, resource, body and params.
func actionStrings(act api.Action, visit func(string)) {
	for _, s := range []string{act.Path, act.Statement, act.Resource} {
		if s != "" {
			visit(s)
		}
	}
	walkStrings(act.Body, visit)
	walkStrings(act.Params, visit)
}

func walkStrings(v any, visit func(string)) {
	switch v := v.(type) {
	case string:
		visit(v)
	case map[string]any:
		for k, x := range v {
			// The key labels its value ("password": "..."): inspect them together.
			if s, ok := x.(string); ok {
				visit(k + "=" + s)
				continue
			}
			walkStrings(x, visit)
		}
	case []any:
		for _, x := range v {
			walkStrings(x, visit)
		}
	}
}

// secretsIn returns the names of the secret detectors that find something in the action.
func (m masking) secretsIn(act api.Action) []string {
	seen := map[string]bool{}
	e := m.catalog.Inspector()
	actionStrings(act, func(s string) {
		_, sum := e.Text([]byte(s))
		for d := range sum {
			seen[d] = true
		}
	})
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// maskSecrets returns a copy of the action with the secrets in its strings redacted.
func (m masking) maskSecrets(act api.Action) api.Action {
	e := m.catalog.Inspector()
	red := func(s string) string {
		out, sum := e.Text([]byte(s))
		if sum.Total() == 0 {
			return s
		}
		return string(out)
	}
	act.Path, act.Statement, act.Resource = red(act.Path), red(act.Statement), red(act.Resource)
	act.Body = mapStrings(act.Body, func(k, s string) string {
		if k == "" {
			return red(s)
		}
		out := red(k + "=" + s)
		if v, ok := strings.CutPrefix(out, k+"="); ok {
			return v
		}
		return "[SECRET]"
	})
	if p, ok := mapStrings(map[string]any(act.Params), func(k, s string) string {
		if k == "" {
			return red(s)
		}
		if v, ok := strings.CutPrefix(red(k+"="+s), k+"="); ok {
			return v
		}
		return "[SECRET]"
	}).(map[string]any); ok {
		act.Params = p
	}
	return act
}

// mapStrings returns a copy of v with every string replaced by f(key, string); key is the
// member key of a string directly in an object, "" otherwise.
func mapStrings(v any, f func(key, s string) string) any {
	switch v := v.(type) {
	case string:
		return f("", v)
	case map[string]any:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			if s, ok := x.(string); ok {
				out[k] = f(k, s)
				continue
			}
			out[k] = mapStrings(x, f)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = mapStrings(x, f)
		}
		return out
	}
	return v
}

// detokenize replaces the tokens in the action's strings with their values from the
// session's vault, escaped for where they stand: path segments and query values are
// URL-escaped, and a token in a SQL statement must be a whole string literal ('tok_...'),
// whose value is quoted as one. It also returns the values the tokens stood for.
func (m masking) detokenize(ctx context.Context, session string, act api.Action) (api.Action, []string, error) {
	has := false
	actionStrings(act, func(s string) { has = has || len(mask.FindTokens(s)) > 0 })
	if !has {
		return act, nil, nil
	}
	if m.vault == nil {
		return act, nil, &mask.TokenError{Detector: tokenDetector(act)}
	}
	var known []string
	lookup := func(ctx context.Context, tok string) (string, bool, error) {
		v, ok, err := m.vault.Get(ctx, session, tok)
		if ok {
			known = append(known, v)
		}
		return v, ok, err
	}
	var firstErr error
	do := func(s string, escape func(string) string) string {
		if firstErr != nil {
			return s
		}
		out, _, err := mask.Detokenize(ctx, s, lookup, escape)
		if err != nil {
			firstErr = err
			return s
		}
		return out
	}
	if act.Path != "" {
		p, q, hasQuery := strings.Cut(act.Path, "?")
		p = do(p, url.PathEscape)
		if hasQuery {
			p += "?" + do(q, url.QueryEscape)
		}
		act.Path = p
	}
	if act.Statement != "" {
		if !tokensQuoted(act.Statement) {
			return act, nil, &mask.TokenError{Detector: tokenDetector(act)}
		}
		act.Statement = do(act.Statement, func(v string) string { return strings.ReplaceAll(v, "'", "''") })
	}
	act.Resource = do(act.Resource, nil)
	act.Body = mapStrings(act.Body, func(_, s string) string { return do(s, nil) })
	if p, ok := mapStrings(map[string]any(act.Params), func(_, s string) string { return do(s, nil) }).(map[string]any); ok {
		act.Params = p
	}
	return act, known, firstErr
}

// tokensQuoted reports whether every token in a SQL statement is a whole plain string
// literal: quoted on both sides, with no letter, digit, '_' or '&' before its opening quote,
// so no E'...' (whose backslashes would let a value end the literal early once it is written
// in) and no U&'...'.
func tokensQuoted(stmt string) bool {
	for _, tok := range mask.FindTokens(stmt) {
		for i := 0; ; {
			k := strings.Index(stmt[i:], tok)
			if k < 0 {
				break
			}
			at := i + k
			if at == 0 || stmt[at-1] != '\'' || at+len(tok) >= len(stmt) || stmt[at+len(tok)] != '\'' {
				return false
			}
			if at >= 2 {
				if c := stmt[at-2]; c == '&' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
					return false
				}
			}
			i = at + len(tok)
		}
	}
	return true
}

// tokenDetector names the detector of the first token in the action.
func tokenDetector(act api.Action) string {
	name := "unknown"
	actionStrings(act, func(s string) {
		if toks := mask.FindTokens(s); len(toks) > 0 && name == "unknown" {
			t := strings.TrimPrefix(toks[0], mask.TokenPrefix)
			name = t[:strings.LastIndexByte(t, '_')]
		}
	})
	return name
}

// response masks a target's response with the profile the deciding policies name (@mask),
// or else the target's, and keeps the tokens it minted in the session's vault until the
// session expires. The values the request's tokens were replaced with (known) are masked
// wherever they come back. A vault that cannot be written withholds the response.
func (m masking) response(ctx context.Context, s store.Session, t target.Target, d policy.Decision, out execute.Result, known []string) (mask.Masked, string, error) {
	name := d.Mask
	if name == "" {
		name = t.MaskProfile
	}
	e, used, perr := m.engine(name)
	if e == nil {
		return mask.Masked{}, "", perr
	}
	var res mask.Masked
	if why := mask.ContentEncodingUnread(out.ContentEncoding, out.Body); why != "" {
		res = mask.Withhold(why) // brotli and the like announce themselves in no byte
	} else if out.Truncated {
		res = e.MaskCut(out.Body, formatOf(out.ContentType), known) // never the first part of a value
	} else {
		res = e.MaskKnown(out.Body, formatOf(out.ContentType), known)
	}
	if len(res.Tokens) > 0 {
		if m.vault == nil {
			return mask.Masked{}, used, errors.New("authority: tokens minted without a vault")
		}
		if err := m.vault.Put(ctx, s.ID, res.Tokens, s.ExpiresAt); err != nil {
			return mask.Masked{}, used, err
		}
	}
	return res, used, perr
}

// formatOf chooses how to read a response from its content type.
func formatOf(contentType string) mask.Format {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return mask.FormatAuto
	}
	switch {
	case mt == "text/csv":
		return mask.FormatCSV
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return mask.FormatJSON
	case mt == "application/x-ndjson" || mt == "application/jsonl" || mt == "application/json-seq":
		return mask.FormatNDJSON
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return mask.FormatXML
	}
	return mask.FormatAuto
}
