package audit

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/racebuild"
)

// gen draws records that reach every branch of the fast encoder: every optional section
// present or absent, nil, empty and full slices and maps, strings with controls, escapes,
// HTML characters, line separators, characters beyond U+FFFF and invalid UTF-8, integers
// beyond 2^53, float scores across the ECMAScript formats (and NaN/Inf, which both encoders
// must refuse), times in other zones and outside years 0-9999.
type gen struct{ r *rand.Rand }

var pieces = []string{
	"a", "Z", "0", " ", "hash", "identity", `"`, `\`, "/", "<", ">", "&", "\x00", "\x01", "\b", "\t", "\n",
	"\f", "\r", "\x1f", "\x7f", "é", "ü", "\u2028", "\u2029", "\ufeff", "\ufffd", "\ue000", "\uffff",
	"😀", "\U00010000", "\U0010ffff", "中文", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"\xc0\xaf", "{", "}", "[", "]", ":", ",",
}

func (g gen) string() string {
	switch g.r.IntN(6) {
	case 0:
		return ""
	case 1:
		return "ses_" + string(rune('a'+g.r.IntN(26)))
	}
	var sb strings.Builder
	for range g.r.IntN(8) {
		sb.WriteString(pieces[g.r.IntN(len(pieces))])
	}
	return sb.String()
}

func (g gen) strings() []string {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, 1+g.r.IntN(3))
	for i := range out {
		out[i] = g.string()
	}
	return out
}

var bigInts = []int64{0, 1, -1, 42, 1<<53 - 1, 1 << 53, 1<<53 + 1, -(1 << 53) - 1, 1<<62 + 12345, math.MaxInt64, math.MinInt64, 999999999999999999}

func (g gen) int() int64 {
	if g.r.IntN(3) == 0 {
		return bigInts[g.r.IntN(len(bigInts))]
	}
	return g.r.Int64N(2000) - 1000
}

func (g gen) uint() uint64 {
	switch g.r.IntN(5) {
	case 0:
		return []uint64{0, 1<<53 + 1, 1<<63 + 1, math.MaxUint64, 1<<64 - 1025}[g.r.IntN(5)]
	case 1:
		return g.r.Uint64()
	}
	return g.r.Uint64N(100)
}

var floats = []float64{0, math.Copysign(0, -1), 0.75, 1, 0.1, 1e-6, 9.999999e-7, 1e-7, 1e21, 9.99e20, 1e300, 5e-324,
	-2.5, 123456789.125, 1.7976931348623157e308, math.NaN(), math.Inf(1), math.Inf(-1)}

func (g gen) float() float64 {
	switch g.r.IntN(3) {
	case 0:
		return floats[g.r.IntN(len(floats))]
	case 1:
		return math.Float64frombits(g.r.Uint64())
	}
	return g.r.Float64()
}

func (g gen) time() time.Time {
	switch g.r.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // no RFC 3339 form
	case 2:
		return time.Unix(g.r.Int64N(1<<34), g.r.Int64N(1e9)).In(time.FixedZone("x", (g.r.IntN(48)-24)*1800))
	}
	return time.Unix(g.r.Int64N(1<<34), g.r.Int64N(1e9)).UTC()
}

func (g gen) counts() map[string]int {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return map[string]int{}
	}
	m := map[string]int{}
	for range 1 + g.r.IntN(5) {
		m[g.string()] = int(g.int())
	}
	return m
}

func (g gen) maybe() bool { return g.r.IntN(2) == 0 }

func (g gen) record() Record {
	r := Record{
		Version: int(g.int()), Session: g.string(), Seq: g.uint(), PrevHash: g.string(), Type: g.string(),
		Time: g.time(), RequestID: g.string(),
		Identity: Identity{Agent: g.string(), AgentKind: g.string(), Operator: g.string(), OperatorVerified: g.maybe(), OperatorMethod: g.string(), OperatorIssuer: g.string()},
		Hash:     g.string(), // never part of the encoding
	}
	if g.maybe() {
		r.Prompt = &Prompt{HMAC: g.string(), Masked: g.string(), SHA256: g.string(), Purpose: g.string(), Masking: g.counts()}
		if g.maybe() {
			m := &Model{ModelID: g.string(), Error: g.string()}
			if g.maybe() {
				m.Dropped = g.strings()
			}
			for range g.r.IntN(3) {
				m.Intents = append(m.Intents, api.Intent{Name: g.string(), Score: g.float(), Evidence: g.strings()})
				m.Deterministic = append(m.Deterministic, api.Intent{Name: g.string(), Score: g.float()})
			}
			r.Prompt.Model = m
		}
	}
	switch g.r.IntN(3) {
	case 0:
		r.Intents = []api.Intent{}
	case 1:
		for range 1 + g.r.IntN(3) {
			r.Intents = append(r.Intents, api.Intent{Name: g.string(), Score: g.float(), Evidence: g.strings()})
		}
	}
	if g.maybe() {
		r.Client = &Client{SourceIP: g.string(), UserAgent: g.string()}
	}
	if g.maybe() {
		r.Action = &Action{Kind: g.string(), Target: g.string(), Name: g.string(), Resource: g.string(), Query: g.string(), Statement: g.string(), Digest: g.string()}
	}
	if g.maybe() {
		r.Verdict = &Verdict{Decision: g.string(), Reasons: g.strings(), PolicyVersion: g.int(), Errors: g.strings(), ApprovalID: g.string()}
		switch g.r.IntN(3) {
		case 0:
			r.Verdict.Shadow = []Shadow{}
		case 1:
			for range 1 + g.r.IntN(2) {
				r.Verdict.Shadow = append(r.Verdict.Shadow, Shadow{Set: g.string(), Version: g.int(), Decision: g.string(), Reasons: g.strings()})
			}
		}
	}
	if g.maybe() {
		r.Result = &Result{DecisionSeq: g.uint(), Status: int(g.int()), Outcome: g.string(), Reason: g.string(), ResponseSHA256: g.string(),
			ResponseBytes: int(g.int()), Truncated: g.maybe(), Masking: g.counts(), DurationMS: g.int(), Credential: g.string()}
	}
	if g.maybe() {
		r.Approval = &Approval{ID: g.string(), Digest: g.string(), Status: g.string(), ExpiresAt: g.time(),
			DecisionSeq: g.uint(), By: g.string(), Note: g.string()}
	}
	if g.maybe() {
		r.Admin = &Admin{Kind: g.string(), Name: g.string(), Version: g.int(), SHA256: g.string(), By: g.string(), RollbackOf: g.int()}
	}
	if g.maybe() {
		r.Kill = &Kill{Scope: g.string(), ID: g.string(), Reason: g.string(), By: g.strings(), At: g.time(),
			Roles: g.strings(), Dropped: int(g.int()), Published: int(g.int()), Failed: g.strings()}
		if g.maybe() {
			at := g.time()
			r.Kill.ExpiresAt = &at
		}
	}
	return r
}

// checkAgainstReference fails unless the fast encoder and Seal give the reference bytes and
// hash for r, or both refuse it.
func checkAgainstReference(t *testing.T, r Record) (fast bool) {
	t.Helper()
	want, wantErr := canonicalReference(r)
	got, _, err := encodeRecord(nil, &r)
	switch {
	case errors.Is(err, errNotExact):
		// Declined: Canonical and Seal take the reference path, checked below.
	case (err != nil) != (wantErr != nil):
		t.Fatalf("fast encoder error %v, reference error %v\nrecord %#v", err, wantErr, r)
	case err == nil && !bytes.Equal(got, want):
		t.Fatalf("fast encoder differs from the reference:\n got %q\nwant %q", got, want)
	default:
		fast = true
	}
	c, err := Canonical(r)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(c, want) {
		t.Fatalf("Canonical = %q, %v; reference %q, %v", c, err, want, wantErr)
	}
	sealed := r
	body, err := Seal(&sealed)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Seal error %v, reference error %v", err, wantErr)
	}
	if err != nil {
		return fast
	}
	if sealed.Hash != LeafHash(want) {
		t.Fatalf("Seal hash %s, reference %s", sealed.Hash, LeafHash(want))
	}
	if ref := referenceSeal(t, sealed); !bytes.Equal(body, ref) {
		t.Fatalf("sealed bytes differ from the reference:\n got %q\nwant %q", body, ref)
	}
	return fast
}

func TestFastEncoderMatchesTheReference(t *testing.T) {
	t.Parallel()
	g := gen{rand.New(rand.NewPCG(1, 2))}
	var fast, refused int
	n := racebuild.Scale(20000)
	for range n {
		r := g.record()
		if _, err := canonicalReference(r); err != nil {
			refused++
		}
		if checkAgainstReference(t, r) {
			fast++
		}
	}
	// The generator must reach the refusals and the declined records, and most records must
	// take the fast path.
	if refused == 0 || fast == n || fast < n/2 {
		t.Fatalf("fast %d, refused by both %d, of %d", fast, refused, n)
	}
}

func TestFastEncoderEdgeCases(t *testing.T) {
	t.Parallel()
	base := benchRecord()
	edits := map[string]func(*Record){
		"minimal": func(r *Record) { *r = Record{} },
		"supplementary keys": func(r *Record) {
			r.Result = &Result{Masking: map[string]int{"\ue000": 1, "😀": 2, "a": 3, "\uffff": 4, "\U00010000": 5, "ab": 6}}
		},
		"invalid key":        func(r *Record) { r.Prompt = &Prompt{Masking: map[string]int{"\xff": 1, "\xfe": 2}} },
		"invalid value":      func(r *Record) { r.Prompt = &Prompt{Masked: "a\xffb\xed\xa0\x80c"} },
		"negative zero":      func(r *Record) { r.Intents[0].Score = math.Copysign(0, -1) },
		"tiny score":         func(r *Record) { r.Intents[0].Score = 1e-7 },
		"huge seq":           func(r *Record) { r.Seq = math.MaxUint64 },
		"nil evidence":       func(r *Record) { r.Intents[0].Evidence = nil },
		"empty reasons":      func(r *Record) { r.Verdict.Reasons = []string{} },
		"nil result masking": func(r *Record) { r.Result = &Result{} },
		"mask findings": func(r *Record) {
			r.Result = &Result{Masking: map[string]int{"email": 2}, MaskFindings: []MaskFinding{
				{Detector: "email", Path: "/users/[EMAIL]", Key: true}, {Detector: "card", Path: "/x > /c\"~1", Encoding: "base64>gzip"}}}
		},
		"invalid mask finding": func(r *Record) {
			r.Result = &Result{MaskFindings: []MaskFinding{{Detector: "\xff", Path: "\xed\xa0\x80"}}}
		},
		"empty shadow": func(r *Record) { r.Verdict.Shadow = []Shadow{} },
		"zone":         func(r *Record) { r.Time = r.Time.In(time.FixedZone("", -(5*3600 + 30*60))) },
		"year 10000":   func(r *Record) { r.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"nan":          func(r *Record) { r.Intents[0].Score = math.NaN() },
		"kill":         func(r *Record) { r.Kill = &Kill{Scope: "global", At: t0, ExpiresAt: &time.Time{}} },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := base
			r.Intents = append([]api.Intent(nil), base.Intents...)
			v := *base.Verdict
			r.Verdict = &v
			edit(&r)
			checkAgainstReference(t, r)
		})
	}
}

func FuzzFastEncoderMatchesTheReference(f *testing.F) {
	f.Add(uint64(1), "ses_x", "look \"hash\" \x00 \u2028", "😀\ue000", 0.75, int64(1<<53+1))
	f.Add(uint64(7), "\xff", "\xed\xa0\x80", "", 1e-7, int64(-1))
	f.Fuzz(func(t *testing.T, seed uint64, a, b, key string, score float64, n int64) {
		g := gen{rand.New(rand.NewPCG(seed, 0))}
		r := g.record()
		r.Session, r.Identity.Operator = a, b
		r.Intents = append(r.Intents, api.Intent{Name: b, Score: score, Evidence: []string{a, key}})
		r.Result = &Result{Masking: map[string]int{key: int(n), a: 1}, DurationMS: n, Outcome: a,
			MaskFindings: []MaskFinding{{Detector: key, Path: a, Encoding: b, Key: n%2 == 0}}}
		r.Approval = &Approval{ID: key, DecisionSeq: uint64(n), ExpiresAt: g.time(), Note: b}
		checkAgainstReference(t, r)
	})
}

// TestFastEncoderCoversRecord lists every field the fast encoder writes. A field added to
// Record or to a type it holds changes this list: then extend canonical.go (members in
// RFC 8785 order, encoding/json's omitempty), and this list, never the bytes of existing
// records.
func TestFastEncoderCoversRecord(t *testing.T) {
	t.Parallel()
	var got []string
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			prefix += "[]"
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() {
			got = append(got, prefix+" "+typ.String())
			return
		}
		if _, ok := reflect.PointerTo(typ).MethodByName("MarshalJSON"); ok {
			t.Fatalf("%s has its own JSON encoding", typ)
		}
		for i := range typ.NumField() {
			fld := typ.Field(i)
			walk(prefix+"."+fld.Tag.Get("json"), fld.Type)
		}
	}
	walk("", reflect.TypeFor[Record]())
	want := []string{
		".v int", ".session string", ".seq uint64", ".prev_hash string", ".type string", ".time time.Time",
		".request_id,omitempty string",
		".identity.agent string", ".identity.agent_kind string", ".identity.operator string", ".identity.operator_verified bool",
		".identity.operator_method,omitempty string", ".identity.operator_issuer,omitempty string", ".client,omitempty[].source_ip,omitempty string", ".client,omitempty[].user_agent,omitempty string",
		".prompt,omitempty[].hmac,omitempty string", ".prompt,omitempty[].masked string", ".prompt,omitempty[].sha256,omitempty string", ".prompt,omitempty[].purpose,omitempty string",
		".prompt,omitempty[].masking,omitempty map[string]int",
		".prompt,omitempty[].purpose_flag,omitempty[].intent string",
		".prompt,omitempty[].purpose_flag,omitempty[].score float64",
		".prompt,omitempty[].purpose_flag,omitempty[].other_families,omitempty bool",
		".prompt,omitempty[].model,omitempty[].model_id string",
		".prompt,omitempty[].model,omitempty[].intents,omitempty[].name string",
		".prompt,omitempty[].model,omitempty[].intents,omitempty[].score float64",
		".prompt,omitempty[].model,omitempty[].intents,omitempty[].evidence[] string",
		".prompt,omitempty[].model,omitempty[].dropped,omitempty[] string",
		".prompt,omitempty[].model,omitempty[].deterministic,omitempty[].name string",
		".prompt,omitempty[].model,omitempty[].deterministic,omitempty[].score float64",
		".prompt,omitempty[].model,omitempty[].deterministic,omitempty[].evidence[] string",
		".prompt,omitempty[].model,omitempty[].error,omitempty string",
		".intents,omitempty[].name string", ".intents,omitempty[].score float64", ".intents,omitempty[].evidence[] string",
		".action,omitempty[].kind string", ".action,omitempty[].target string", ".action,omitempty[].name string",
		".action,omitempty[].resource string", ".action,omitempty[].query,omitempty string", ".action,omitempty[].statement,omitempty string", ".action,omitempty[].digest string",
		".verdict,omitempty[].decision string", ".verdict,omitempty[].reasons[] string", ".verdict,omitempty[].policy_version int64",
		".verdict,omitempty[].errors,omitempty[] string", ".verdict,omitempty[].approval_id,omitempty string",
		".verdict,omitempty[].shadow,omitempty[].set string", ".verdict,omitempty[].shadow,omitempty[].version int64",
		".verdict,omitempty[].shadow,omitempty[].decision string", ".verdict,omitempty[].shadow,omitempty[].reasons[] string",
		".result,omitempty[].decision_seq uint64", ".result,omitempty[].status int", ".result,omitempty[].outcome string", ".result,omitempty[].reason,omitempty string",
		".result,omitempty[].response_sha256,omitempty string", ".result,omitempty[].response_bytes int",
		".result,omitempty[].truncated,omitempty bool", ".result,omitempty[].masking map[string]int",
		".result,omitempty[].mask_findings,omitempty[].detector string", ".result,omitempty[].mask_findings,omitempty[].encoding,omitempty string",
		".result,omitempty[].mask_findings,omitempty[].key,omitempty bool", ".result,omitempty[].mask_findings,omitempty[].path string",
		".result,omitempty[].duration_ms int64", ".result,omitempty[].credential,omitempty string",
		".approval,omitempty[].id string", ".approval,omitempty[].digest string", ".approval,omitempty[].status string",
		".approval,omitempty[].expires_at time.Time", ".approval,omitempty[].decision_seq,omitempty uint64",
		".approval,omitempty[].by,omitempty string", ".approval,omitempty[].note,omitempty string",
		".admin,omitempty[].kind string", ".admin,omitempty[].name string", ".admin,omitempty[].version int64",
		".admin,omitempty[].sha256 string", ".admin,omitempty[].by string", ".admin,omitempty[].rollback_of,omitempty int64",
		".kill,omitempty[].scope string", ".kill,omitempty[].id string", ".kill,omitempty[].reason string",
		".kill,omitempty[].by[] string", ".kill,omitempty[].at time.Time", ".kill,omitempty[].expires_at,omitempty[] time.Time",
		".kill,omitempty[].roles,omitempty[] string", ".kill,omitempty[].dropped,omitempty int",
		".kill,omitempty[].published,omitempty int", ".kill,omitempty[].failed,omitempty[] string",
		".hash,omitempty string",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Record's fields changed: extend the fast encoder (canonical.go) (-want +got):\n%s", diff)
	}
}
