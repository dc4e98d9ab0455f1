package audit

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mandate-dev/mandate/shared/api"
)

// This file is a record-specific RFC 8785 encoder. It writes, field by field, exactly the
// bytes the reference encoding (encoding/json, then github.com/gowebpki/jcs; see
// canonicalReference) gives for a Record, without building a generic JSON tree:
//
//   - members in the order RFC 8785 sorts them (every member name of a record is ASCII, so
//     that is byte order), with encoding/json's omitempty rules;
//   - strings as encoding/json coerces them (each byte of invalid UTF-8 becomes U+FFFD) and
//     RFC 8785 escapes them (\" \\ \b \f \n \r \t, other controls as \u00xx, everything else
//     literal);
//   - numbers as RFC 8785 prints an IEEE 754 double: integers beyond 2^53 and float scores
//     go through the ECMAScript number format (appendES6);
//   - map keys (masking counts) in UTF-16 code-unit order.
//
// The encoding must never change (TestCanonicalEncodingNeverChanges). TestFastEncoderCoversRecord
// fails when a field is added to Record or to a type it holds, and the property and fuzz
// tests compare this encoder with the reference over generated records. A record this
// encoder cannot encode exactly (a map key that is not valid UTF-8, where encoding/json's
// coercion could make two keys equal) goes through the reference path instead.

// errNotExact means the fast encoder cannot promise the reference bytes for a record.
var errNotExact = errors.New("audit: record needs the reference encoder")

// maxExactInt is the largest magnitude an IEEE 754 double holds exactly: RFC 8785 prints an
// integer beyond it as the double it rounds to.
const maxExactInt = 1 << 53

// scratch holds the encoding without hash between two Seal calls, after a 0x00 leaf prefix.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// encodeRecord appends the canonical encoding of r without its hash to b, and returns where
// the member "identity" begins: the member "hash" sorts right before it, and identity is
// always present.
func encodeRecord(b []byte, r *Record) ([]byte, int, error) {
	var err error
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if r.Action != nil {
		sep()
		b = appendAction(append(b, `"action":`...), r.Action)
	}
	if r.Admin != nil {
		sep()
		b = appendAdmin(append(b, `"admin":`...), r.Admin)
	}
	if r.Approval != nil {
		sep()
		if b, err = appendApproval(append(b, `"approval":`...), r.Approval); err != nil {
			return nil, 0, err
		}
	}
	if r.Client != nil {
		sep()
		b = appendClient(append(b, `"client":`...), r.Client)
	}
	// "hash" would be here.
	sep()
	at := len(b)
	b = appendIdentity(append(b, `"identity":`...), &r.Identity)
	if len(r.Intents) > 0 {
		if b, err = appendIntents(append(b, `,"intents":`...), r.Intents); err != nil {
			return nil, 0, err
		}
	}
	if r.Kill != nil {
		if b, err = appendKill(append(b, `,"kill":`...), r.Kill); err != nil {
			return nil, 0, err
		}
	}
	b = appendString(append(b, `,"prev_hash":`...), r.PrevHash)
	if r.Prompt != nil {
		if b, err = appendPrompt(append(b, `,"prompt":`...), r.Prompt); err != nil {
			return nil, 0, err
		}
	}
	if r.RequestID != "" {
		b = appendString(append(b, `,"request_id":`...), r.RequestID)
	}
	if r.Result != nil {
		if b, err = appendResult(append(b, `,"result":`...), r.Result); err != nil {
			return nil, 0, err
		}
	}
	b = appendUint(append(b, `,"seq":`...), r.Seq)
	b = appendString(append(b, `,"session":`...), r.Session)
	if b, err = appendTime(append(b, `,"time":`...), r.Time); err != nil {
		return nil, 0, err
	}
	b = appendString(append(b, `,"type":`...), r.Type)
	b = appendInt(append(b, `,"v":`...), int64(r.Version))
	if r.Verdict != nil {
		b = appendVerdict(append(b, `,"verdict":`...), r.Verdict)
	}
	return append(b, '}'), at, nil
}

func appendAction(b []byte, a *Action) []byte {
	b = appendString(append(b, `{"digest":`...), a.Digest)
	b = appendString(append(b, `,"kind":`...), a.Kind)
	b = appendString(append(b, `,"name":`...), a.Name)
	if a.Query != "" {
		b = appendString(append(b, `,"query":`...), a.Query)
	}
	b = appendString(append(b, `,"resource":`...), a.Resource)
	if a.Statement != "" {
		b = appendString(append(b, `,"statement":`...), a.Statement)
	}
	b = appendString(append(b, `,"target":`...), a.Target)
	return append(b, '}')
}

func appendClient(b []byte, c *Client) []byte {
	b = append(b, '{')
	if c.SourceIP != "" {
		b = appendString(append(b, `"source_ip":`...), c.SourceIP)
	}
	if c.UserAgent != "" {
		if c.SourceIP != "" {
			b = append(b, ',')
		}
		b = appendString(append(b, `"user_agent":`...), c.UserAgent)
	}
	return append(b, '}')
}

func appendAdmin(b []byte, a *Admin) []byte {
	b = appendString(append(b, `{"by":`...), a.By)
	b = appendString(append(b, `,"kind":`...), a.Kind)
	b = appendString(append(b, `,"name":`...), a.Name)
	if a.RollbackOf != 0 {
		b = appendInt(append(b, `,"rollback_of":`...), a.RollbackOf)
	}
	b = appendString(append(b, `,"sha256":`...), a.SHA256)
	b = appendInt(append(b, `,"version":`...), a.Version)
	return append(b, '}')
}

func appendApproval(b []byte, a *Approval) ([]byte, error) {
	b = append(b, '{')
	if a.By != "" {
		b = appendString(append(b, `"by":`...), a.By)
		b = append(b, ',')
	}
	if a.DecisionSeq != 0 {
		b = appendUint(append(b, `"decision_seq":`...), a.DecisionSeq)
		b = append(b, ',')
	}
	b = appendString(append(b, `"digest":`...), a.Digest)
	b, err := appendTime(append(b, `,"expires_at":`...), a.ExpiresAt)
	if err != nil {
		return nil, err
	}
	b = appendString(append(b, `,"id":`...), a.ID)
	if a.Note != "" {
		b = appendString(append(b, `,"note":`...), a.Note)
	}
	b = appendString(append(b, `,"status":`...), a.Status)
	return append(b, '}'), nil
}

func appendIdentity(b []byte, id *Identity) []byte {
	b = appendString(append(b, `{"agent":`...), id.Agent)
	b = appendString(append(b, `,"agent_kind":`...), id.AgentKind)
	b = appendString(append(b, `,"operator":`...), id.Operator)
	if id.OperatorIssuer != "" {
		b = appendString(append(b, `,"operator_issuer":`...), id.OperatorIssuer)
	}
	if id.OperatorMethod != "" {
		b = appendString(append(b, `,"operator_method":`...), id.OperatorMethod)
	}
	b = appendBool(append(b, `,"operator_verified":`...), id.OperatorVerified)
	return append(b, '}')
}

func appendIntents(b []byte, in []api.Intent) ([]byte, error) {
	b = append(b, '[')
	for i := range in {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStrings(append(b, `{"evidence":`...), in[i].Evidence)
		b = appendString(append(b, `,"name":`...), in[i].Name)
		var err error
		if b, err = appendES6(append(b, `,"score":`...), in[i].Score); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

func appendKill(b []byte, k *Kill) ([]byte, error) {
	b, err := appendTime(append(b, `{"at":`...), k.At)
	if err != nil {
		return nil, err
	}
	b = appendStrings(append(b, `,"by":`...), k.By)
	if k.Dropped != 0 {
		b = appendInt(append(b, `,"dropped":`...), int64(k.Dropped))
	}
	if k.ExpiresAt != nil {
		if b, err = appendTime(append(b, `,"expires_at":`...), *k.ExpiresAt); err != nil {
			return nil, err
		}
	}
	if len(k.Failed) > 0 {
		b = appendStrings(append(b, `,"failed":`...), k.Failed)
	}
	b = appendString(append(b, `,"id":`...), k.ID)
	if k.Published != 0 {
		b = appendInt(append(b, `,"published":`...), int64(k.Published))
	}
	b = appendString(append(b, `,"reason":`...), k.Reason)
	if len(k.Roles) > 0 {
		b = appendStrings(append(b, `,"roles":`...), k.Roles)
	}
	b = appendString(append(b, `,"scope":`...), k.Scope)
	return append(b, '}'), nil
}

func appendPrompt(b []byte, p *Prompt) ([]byte, error) {
	b = append(b, '{')
	if p.HMAC != "" {
		b = appendString(append(b, `"hmac":`...), p.HMAC)
		b = append(b, ',')
	}
	b = appendString(append(b, `"masked":`...), p.Masked)
	if len(p.Masking) > 0 {
		var err error
		if b, err = appendCounts(append(b, `,"masking":`...), p.Masking); err != nil {
			return nil, err
		}
	}
	if m := p.Model; m != nil {
		var err error
		if b, err = appendModel(append(b, `,"model":`...), m); err != nil {
			return nil, err
		}
	}
	if p.Purpose != "" {
		b = appendString(append(b, `,"purpose":`...), p.Purpose)
	}
	if f := p.PurposeFlag; f != nil {
		b = appendString(append(b, `,"purpose_flag":{"intent":`...), f.Intent)
		if f.OtherFamilies {
			b = append(b, `,"other_families":true`...)
		}
		var err error
		if b, err = appendES6(append(b, `,"score":`...), f.Score); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	if p.SHA256 != "" {
		b = appendString(append(b, `,"sha256":`...), p.SHA256)
	}
	return append(b, '}'), nil
}

func appendModel(b []byte, m *Model) ([]byte, error) {
	var err error
	b = append(b, '{')
	if len(m.Deterministic) > 0 {
		if b, err = appendIntents(append(b, `"deterministic":`...), m.Deterministic); err != nil {
			return nil, err
		}
		b = append(b, ',')
	}
	if len(m.Dropped) > 0 {
		b = append(appendStrings(append(b, `"dropped":`...), m.Dropped), ',')
	}
	if m.Error != "" {
		b = append(appendString(append(b, `"error":`...), m.Error), ',')
	}
	if len(m.Intents) > 0 {
		if b, err = appendIntents(append(b, `"intents":`...), m.Intents); err != nil {
			return nil, err
		}
		b = append(b, ',')
	}
	b = appendString(append(b, `"model_id":`...), m.ModelID)
	return append(b, '}'), nil
}

func appendResult(b []byte, r *Result) ([]byte, error) {
	b = append(b, '{')
	if r.Credential != "" {
		b = appendString(append(b, `"credential":`...), r.Credential)
		b = append(b, ',')
	}
	b = appendUint(append(b, `"decision_seq":`...), r.DecisionSeq)
	b = appendInt(append(b, `,"duration_ms":`...), r.DurationMS)
	if len(r.MaskFindings) > 0 { // "mask_findings" sorts before "masking"
		b = append(b, `,"mask_findings":[`...)
		for i, f := range r.MaskFindings {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(append(b, `{"detector":`...), f.Detector)
			if f.Encoding != "" {
				b = appendString(append(b, `,"encoding":`...), f.Encoding)
			}
			if f.Key {
				b = append(b, `,"key":true`...)
			}
			b = appendString(append(b, `,"path":`...), f.Path)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"masking":`...)
	if r.Masking == nil {
		b = append(b, "null"...)
	} else {
		var err error
		if b, err = appendCounts(b, r.Masking); err != nil {
			return nil, err
		}
	}
	b = appendString(append(b, `,"outcome":`...), r.Outcome)
	if r.Reason != "" {
		b = appendString(append(b, `,"reason":`...), r.Reason)
	}
	b = appendInt(append(b, `,"response_bytes":`...), int64(r.ResponseBytes))
	if r.ResponseSHA256 != "" {
		b = appendString(append(b, `,"response_sha256":`...), r.ResponseSHA256)
	}
	b = appendInt(append(b, `,"status":`...), int64(r.Status))
	if r.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	return append(b, '}'), nil
}

func appendVerdict(b []byte, v *Verdict) []byte {
	b = append(b, '{')
	if v.ApprovalID != "" {
		b = appendString(append(b, `"approval_id":`...), v.ApprovalID)
		b = append(b, ',')
	}
	b = appendString(append(b, `"decision":`...), v.Decision)
	if len(v.Errors) > 0 {
		b = appendStrings(append(b, `,"errors":`...), v.Errors)
	}
	b = appendInt(append(b, `,"policy_version":`...), v.PolicyVersion)
	b = appendStrings(append(b, `,"reasons":`...), v.Reasons)
	if len(v.Shadow) > 0 {
		b = append(b, `,"shadow":[`...)
		for i := range v.Shadow {
			if i > 0 {
				b = append(b, ',')
			}
			s := &v.Shadow[i]
			b = appendString(append(b, `{"decision":`...), s.Decision)
			b = appendStrings(append(b, `,"reasons":`...), s.Reasons)
			b = appendString(append(b, `,"set":`...), s.Set)
			b = appendInt(append(b, `,"version":`...), s.Version)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendStrings encodes a slice without omitempty: nil is null, empty is [].
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendCounts encodes a non-nil map of counts with its keys in UTF-16 code-unit order.
func appendCounts(b []byte, m map[string]int) ([]byte, error) {
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		if !utf8.ValidString(k) {
			return nil, errNotExact
		}
		keys = append(keys, k)
	}
	// Insertion sort: a record holds a handful of detector names.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && lessUTF16(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendInt(b, int64(m[k]))
	}
	return append(b, '}'), nil
}

// lessUTF16 orders two valid UTF-8 strings by their UTF-16 code units, as RFC 8785 sorts
// member names. It differs from byte order only where a character above U+FFFF (a surrogate
// pair, 0xD800-0xDBFF first) meets one in U+E000-U+FFFF.
func lessUTF16(a, b string) bool {
	for len(a) > 0 && len(b) > 0 {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return utf16First(ra) < utf16First(rb) || (utf16First(ra) == utf16First(rb) && ra < rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) < len(b)
}

// utf16First is the first UTF-16 code unit of r.
func utf16First(r rune) rune {
	if r < 0x10000 {
		return r
	}
	return 0xD800 + (r-0x10000)>>10
}

const hexDigits = "0123456789abcdef"

// appendString writes s as encoding/json and then RFC 8785 would.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendInt writes an integer as RFC 8785 prints the double it parses to.
func appendInt(b []byte, v int64) []byte {
	if v >= -maxExactInt && v <= maxExactInt {
		return strconv.AppendInt(b, v, 10)
	}
	b, _ = appendES6(b, float64(v)) // finite
	return b
}

func appendUint(b []byte, v uint64) []byte {
	if v <= maxExactInt {
		return strconv.AppendUint(b, v, 10)
	}
	b, _ = appendES6(b, float64(v)) // finite
	return b
}

// appendES6 writes a double in the ECMAScript form RFC 8785 requires (jcs.NumberToJSON).
// NaN and infinities have no JSON form: encoding/json refuses them, and so does this.
func appendES6(b []byte, f float64) ([]byte, error) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return nil, errors.New("audit: encode record: a number is NaN or infinite")
	case f == 0: // and -0
		return append(b, '0'), nil
	case f < 0:
		b = append(b, '-')
		f = -f
	}
	if f < 1e21 && f >= 1e-6 {
		return strconv.AppendFloat(b, f, 'f', -1, 64), nil
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'e', -1, 64)
	for i := n; i < len(b); i++ {
		if b[i] == 'e' {
			if b[i+2] == '0' { // 1e-07 -> 1e-7
				b = append(b[:i+2], b[i+3:]...)
			}
			break
		}
	}
	return b, nil
}

// appendTime writes a time as encoding/json does (RFC 3339 with nanoseconds, refused outside
// years 0-9999); the text holds nothing RFC 8785 escapes.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	out, err := t.AppendText(b)
	if err != nil {
		return nil, errors.New("audit: encode record: " + err.Error())
	}
	return append(out, '"'), nil
}
