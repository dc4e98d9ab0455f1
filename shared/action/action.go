package action

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mandate-dev/mandate/shared/api"
)

// ErrInvalid means the action is malformed in a way no canonical form can mend (400).
var ErrInvalid = errors.New("invalid action")

// Action is an action in its canonical form. The embedded api.Action is canonical too: for
// http its Path is HTTP.String() and its Body the decoded JSON with numbers as written; for
// aws its Params likewise. It is what every later stage reads, and what the target receives.
type Action struct {
	api.Action
	// Name is the policy action ("http:GET", "dynamodb:GetItem"; "sql:unparsed" until the
	// authority parses the statement).
	Name string
	// Resource is the policy resource: the http path without its query, the aws ARN, the
	// sql tables once parsed.
	Resource string
	// HTTP is the canonical path and query of an http action; nil for other kinds.
	HTTP *Path
}

var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// Parse returns the canonical form of a. It refuses with ErrNonCanonicalPath a path spelled
// in a refused way, with ErrJSON a body or params that are not strict JSON, and with
// ErrInvalid anything else it cannot read. Kinds it does not know are left for the caller to
// refuse; their canonical form is the action as given.
func Parse(a api.Action) (Action, error) {
	out := Action{Action: a}
	switch a.Kind {
	case api.KindHTTP:
		if !httpMethods[a.Method] {
			return Action{}, fmt.Errorf("%w: method %q is not supported (GET, HEAD, POST, PUT, PATCH or DELETE, in upper case)", ErrInvalid, clip(a.Method))
		}
		p, err := ParsePath(a.Path)
		if err != nil {
			return Action{}, err
		}
		out.HTTP = &p
		out.Path = p.String()
		out.Name, out.Resource = "http:"+a.Method, p.Encoded()
		if a.Statement != "" || a.Service != "" || a.Operation != "" || a.Resource != "" || a.Params != nil {
			return Action{}, fmt.Errorf("%w: an http action has method, path and body only", ErrInvalid)
		}
	case api.KindAWS:
		out.Name, out.Resource = a.Service+":"+a.Operation, a.Resource
		if a.Method != "" || a.Path != "" || a.Body != nil || a.Statement != "" {
			return Action{}, fmt.Errorf("%w: an aws action has service, operation, resource and params only", ErrInvalid)
		}
		if a.Params != nil {
			v, err := exact(a.Params)
			if err != nil {
				return Action{}, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return Action{}, fmt.Errorf("%w: params must be an object", ErrInvalid)
			}
			out.Params = m
		}
		return out, nil
	case api.KindSQL:
		out.Name = "sql:unparsed"
		if a.Method != "" || a.Path != "" || a.Body != nil || a.Service != "" || a.Operation != "" || a.Resource != "" || a.Params != nil {
			return Action{}, fmt.Errorf("%w: a sql action has a statement only", ErrInvalid)
		}
		return out, nil
	default:
		out.Name = a.Kind + ":" + strings.ToUpper(a.Method)
		return out, nil
	}
	if a.Body != nil {
		v, err := exact(a.Body)
		if err != nil {
			return Action{}, err
		}
		out.Body = v
	}
	return out, nil
}

// exact returns a decoded JSON value whose every number is a json.Number written as the
// agent wrote it: a value decoded by the edge (json.Number, maps, slices) is checked and
// kept as it is; anything else (a float64 from a Go caller) is re-read from its canonical
// encoding.
func exact(v any) (any, error) {
	if decoded(v, 0) {
		return v, nil
	}
	raw, err := CanonicalJSON(v)
	if err != nil {
		return nil, err
	}
	return Decode(raw)
}

// decoded reports whether v is made only of what Decode produces, with valid numbers and
// UTF-8 and bounded depth.
func decoded(v any, depth int) bool {
	if depth > MaxJSONDepth {
		return false
	}
	switch v := v.(type) {
	case nil, bool:
		return true
	case string:
		return utf8.ValidString(v)
	case json.Number:
		return validNumber(string(v))
	case map[string]any:
		for k, x := range v {
			if !utf8.ValidString(k) || !decoded(x, depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, x := range v {
			if !decoded(x, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// Canonical is the canonical encoding of the whole action: an object of its non-empty
// fields (body, kind, method, operation, params, path, resource, service, statement,
// target), names in sorted order, encoded by CanonicalJSON. Digests are taken over it; it
// must never change.
func (a Action) Canonical() ([]byte, error) {
	b := make([]byte, 0, 128)
	b = append(b, '{')
	first := true
	field := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, name)
		b = append(b, ':')
	}
	str := func(name, v string) {
		if v != "" {
			field(name)
			b = appendString(b, v)
		}
	}
	var err error
	if a.Body != nil {
		field("body")
		if b, err = appendJSON(b, a.Body, 0); err != nil {
			return nil, err
		}
	}
	str("kind", a.Kind)
	str("method", a.Method)
	str("operation", a.Operation)
	if a.Params != nil {
		field("params")
		if b, err = appendJSON(b, map[string]any(a.Params), 0); err != nil {
			return nil, err
		}
	}
	str("path", a.Path)
	str("resource", a.Action.Resource)
	str("service", a.Service)
	str("statement", a.Statement)
	str("target", a.Target)
	return append(b, '}'), nil
}

// Digest is hex(HMAC-SHA256(key, domain || 0x00 || Canonical())): the digest of the action
// for domain ("action", "approval:<session>", ...). With no key it is a bare SHA-256 of the
// same bytes; deployments configure a key so that a digest never lets anyone test guesses
// of a value the record masks.
func (a Action) Digest(key []byte, domain string) (string, error) {
	c, err := a.Canonical()
	if err != nil {
		return "", err
	}
	return Keyed(key, domain, c), nil
}

// Keyed is hex(HMAC-SHA256(key, domain || 0x00 || b)), or hex(SHA-256(domain || 0x00 || b))
// with no key.
func Keyed(key []byte, domain string, b []byte) string {
	var sum []byte
	if len(key) > 0 {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(domain))
		h.Write([]byte{0})
		h.Write(b)
		sum = h.Sum(nil)
	} else {
		h := sha256.New()
		h.Write([]byte(domain))
		h.Write([]byte{0})
		h.Write(b)
		sum = h.Sum(nil)
	}
	return hex.EncodeToString(sum)
}
