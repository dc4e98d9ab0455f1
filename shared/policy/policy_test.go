package policy

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
)

const demoPath = "../local/defaults/policies.cedar"

func loadDemo(t testing.TB) *Set {
	t.Helper()
	src, err := os.ReadFile(demoPath)
	if err != nil {
		t.Fatalf("read demo policies: %v", err)
	}
	s, err := Compile("demo.cedar", src)
	if err != nil {
		t.Fatalf("Compile(demo.cedar): %v", err)
	}
	return s
}

var (
	lookupIntent = []api.Intent{{Name: "customer_support.lookup", Score: 0.87, Evidence: []string{"phrase:look up"}}}
	monday10     = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
)

func TestDemoPolicies(t *testing.T) {
	t.Parallel()
	s := loadDemo(t)
	base := Request{
		Agent: "demo-agent", AgentKind: "sigv4", Operator: "alice", Target: "customers",
		Resource: "42", Intents: lookupIntent, Now: monday10,
	}
	tests := []struct {
		name   string
		modify func(r *Request)
		want   Decision
	}{
		{
			name:   "read with lookup intent is allowed",
			modify: func(r *Request) { r.Action = "http:GET" },
			want:   Decision{Verdict: api.VerdictAllow, Reasons: []string{"permit-read-customers-for-support-lookup"}},
		},
		{
			name:   "read with a verified operator is allowed",
			modify: func(r *Request) { r.Action = "http:HEAD"; r.OperatorVerified = true },
			want:   Decision{Verdict: api.VerdictAllow, Reasons: []string{"permit-read-customers-for-support-lookup"}},
		},
		{
			name: "read without intent is denied by default",
			modify: func(r *Request) {
				r.Action = "http:GET"
				r.Intents = []api.Intent{{Name: "unclassified"}}
			},
			want: Decision{Verdict: api.VerdictDeny, Reasons: []string{ReasonDefaultDeny}},
		},
		{
			name:   "read with no intents at all is denied",
			modify: func(r *Request) { r.Action = "http:GET"; r.Intents = nil },
			want:   Decision{Verdict: api.VerdictDeny, Reasons: []string{ReasonDefaultDeny}},
		},
		{
			name:   "read of another target is denied",
			modify: func(r *Request) { r.Action = "http:GET"; r.Target = "billing" },
			want:   Decision{Verdict: api.VerdictDeny, Reasons: []string{ReasonDefaultDeny}},
		},
		{
			name:   "delete is denied by the forbid",
			modify: func(r *Request) { r.Action = "http:DELETE"; r.OperatorVerified = true },
			want:   Decision{Verdict: api.VerdictDeny, Reasons: []string{"forbid-delete-customers"}},
		},
		{
			name:   "sql delete is denied by the forbid",
			modify: func(r *Request) { r.Action = "sql:DELETE"; r.OperatorVerified = true },
			want:   Decision{Verdict: api.VerdictDeny, Reasons: []string{"forbid-delete-customers"}},
		},
		{
			name:   "write by an unverified operator is denied by the forbid",
			modify: func(r *Request) { r.Action = "http:POST" },
			want:   Decision{Verdict: api.VerdictDeny, Reasons: []string{"forbid-write-unverified-operator"}},
		},
		{
			name: "write by a verified operator is denied by default",
			modify: func(r *Request) {
				r.Action = "http:PUT"
				r.OperatorVerified, r.OperatorPerson = true, "alice@example.com"
			},
			want: Decision{Verdict: api.VerdictDeny, Reasons: []string{ReasonDefaultDeny}},
		},
		{
			name:   "write by a verified operator who is nobody in the directory is forbidden",
			modify: func(r *Request) { r.Action = "http:PUT"; r.OperatorVerified = true },
			want:   Decision{Verdict: api.VerdictDeny, Reasons: []string{"forbid-write-unverified-operator"}},
		},
		{
			name:   "unknown operation counts as a write",
			modify: func(r *Request) { r.Action = "http:PURGE" },
			want:   Decision{Verdict: api.VerdictDeny, Reasons: []string{"forbid-write-unverified-operator"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := base
			tt.modify(&r)
			got := s.Evaluate(r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Evaluate(%+v) mismatch (-want +got):\n%s", r, diff)
			}
		})
	}
}

func TestEvaluateContext(t *testing.T) {
	t.Parallel()
	const doc = `
@id("hours") permit (principal == Agent::"a", action == Action::"http:GET", resource == Resource::"t/r")
when { context.time.hour == 10 && context.time.weekday == 7 && context.time.unix == 1772964000 };
@id("scores") permit (principal, action, resource)
when { context.intent_scores has lookup && context.intent_scores.lookup >= 87 && context.intent_scores.lookup < 88 };
@id("session") permit (principal, action, resource)
when { context.session.age_s == 30 && context.session.actions == 4 };
@id("who") permit (principal, action, resource)
when { context.agent.id == "a" && context.agent.kind == "oidc" && context.operator.id == "bob" && !context.operator.verified };
@id("weak-score") forbid (principal, action, resource)
when { context.intent_scores.lookup < 50 };
`
	s, err := Compile("ctx.cedar", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := Request{
		Agent: "a", AgentKind: "oidc", Operator: "bob", Action: "http:GET", Target: "t", Resource: "r",
		Intents:           []api.Intent{{Name: "lookup", Score: 0.866}, {Name: "lookup", Score: 0.2}},
		SessionAgeSeconds: 30, SessionActions: 4,
		Now: time.Date(2026, 3, 8, 11, 0, 0, 0, time.FixedZone("CET", 3600)), // Sunday 10:00 UTC
	}
	got := s.Evaluate(r)
	want := Decision{Verdict: api.VerdictAllow, Reasons: []string{"hours", "scores", "session", "who"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Evaluate mismatch (-want +got):\n%s", diff)
	}

	// Without the intent the forbid reads an absent attribute: it is skipped with a
	// diagnostic, never a crash, and the other permits still decide.
	r.Intents = nil
	got = s.Evaluate(r)
	if got.Verdict != api.VerdictAllow || len(got.Errors) != 1 {
		t.Fatalf("Evaluate without intents = %+v, want allow with 1 error", got)
	}
	if diff := cmp.Diff([]string{"hours", "session", "who"}, got.Reasons); diff != "" {
		t.Errorf("reasons mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got.Errors[0], "weak-score at ctx.cedar:10:1: ") {
		t.Errorf("diagnostic = %q, want it to name weak-score and its position", got.Errors[0])
	}
}

func TestEvaluateNilSet(t *testing.T) {
	t.Parallel()
	var s *Set
	got := s.Evaluate(Request{Action: "http:GET"})
	if got.Verdict != api.VerdictDeny || len(got.Errors) == 0 {
		t.Errorf("nil Set Evaluate = %+v, want deny with an error", got)
	}
}

func TestEvaluateEmptySet(t *testing.T) {
	t.Parallel()
	s, err := Compile("empty.cedar", []byte("// nothing yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Evaluate(Request{Action: "http:GET", Target: "x"})
	if diff := cmp.Diff(Decision{Verdict: api.VerdictDeny, Reasons: []string{ReasonDefaultDeny}}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want []Error
	}{
		{
			name: "syntax error has a position",
			doc:  "@id(\"a\")\npermit (principal, action, resource)\nwhen { context.x == };\n",
			want: []Error{{File: "p.cedar", Line: 3, Column: 22, Message: `near ";": invalid primary`}},
		},
		{
			name: "missing, duplicate and invalid ids are all reported",
			doc: `@id("a") permit (principal, action, resource);
permit (principal, action, resource);
@id("a") forbid (principal, action, resource);
@id("has space") forbid (principal, action, resource);
@id("default-deny") forbid (principal, action, resource);
@id("") forbid (principal, action, resource);`,
			want: []Error{
				{File: "p.cedar", Line: 2, Column: 1, Message: `policy has no @id("...") annotation; every policy needs a unique id`},
				{File: "p.cedar", Line: 3, Column: 1, PolicyID: "a", Message: "duplicate @id, first used at p.cedar:1:1"},
				{File: "p.cedar", Line: 4, Column: 1},
				{File: "p.cedar", Line: 5, Column: 1},
				{File: "p.cedar", Line: 6, Column: 1},
			},
		},
		{
			name: "duplicate annotation is a parse error",
			doc:  `@id("a") @id("b") permit (principal, action, resource);`,
			want: []Error{{File: "p.cedar", Line: 1}},
		},
		{
			name: "invalid utf-8 is a scan error",
			doc:  "@id(\"a\") permit (principal, action, resource) when { \"\xff\" == \"\" };",
			want: []Error{{File: "p.cedar", Line: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Compile("p.cedar", []byte(tt.doc))
			if err == nil {
				t.Fatalf("Compile = %v, nil error; want errors", s.IDs())
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			got := Problems(err)
			if len(got) != len(tt.want) {
				t.Fatalf("Problems = %d (%v), want %d", len(got), err, len(tt.want))
			}
			for i, w := range tt.want {
				g := *got[i]
				if g.Message == "" {
					t.Errorf("problem %d has no message", i)
				}
				if strings.Contains(g.Message, "<input>") {
					t.Errorf("problem %d message %q leaks the parser's placeholder file name", i, g.Message)
				}
				if w.Message == "" {
					w.Message = g.Message
				}
				if w.Column == 0 && w.Line != 0 {
					w.Column = g.Column
				}
				if diff := cmp.Diff(w, g); diff != "" {
					t.Errorf("problem %d mismatch (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestCompileErrorText(t *testing.T) {
	t.Parallel()
	_, err := Compile("p.cedar", []byte("@id(\"a\")\npermit (principal, action, resource)\nwhen { context.x == };\n"))
	if err == nil {
		t.Fatal("Compile succeeded, want a syntax error")
	}
	if got := err.Error(); !strings.HasPrefix(got, "p.cedar:3:22: ") {
		t.Errorf("error text %q does not start with the position", got)
	}
	_, err = Compile("big.cedar", make([]byte, MaxDocumentBytes+1))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized document: err = %v, want a size-limit ErrInvalid", err)
	}
}

func TestSetAccessors(t *testing.T) {
	t.Parallel()
	s := loadDemo(t)
	if s.Name() != "demo.cedar" || s.Len() != len(s.IDs()) || s.Len() < 3 {
		t.Errorf("Name, Len = %q, %d", s.Name(), s.Len())
	}
	// The demo set grows; its first policies stay in this order.
	want := []string{"permit-read-customers-for-support-lookup", "forbid-delete-customers", "forbid-write-unverified-operator"}
	if diff := cmp.Diff(want, s.IDs()[:min(3, s.Len())]); diff != "" {
		t.Errorf("IDs mismatch (-want +got):\n%s", diff)
	}
}

func TestFamily(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action, want string
	}{
		{"http:GET", FamilyRead},
		{"http:get", FamilyRead},
		{"http:HEAD", FamilyRead},
		{"http:OPTIONS", FamilyRead},
		{"http:POST", FamilyWrite},
		{"http:PUT", FamilyWrite},
		{"http:PATCH", FamilyWrite},
		{"http:DELETE", FamilyDelete},
		{"http:TRACE", FamilyWrite},
		{"sql:SELECT", FamilyRead},
		{"sql:EXPLAIN", FamilyRead},
		{"sql:INSERT", FamilyWrite},
		{"sql:UPDATE", FamilyWrite},
		{"sql:CREATE", FamilyWrite},
		{"sql:DELETE", FamilyDelete},
		{"sql:TRUNCATE", FamilyDelete},
		{"sql:DROP", FamilyDelete},
		{"dynamodb:GetItem", FamilyRead},
		{"dynamodb:BatchGetItem", FamilyRead},
		{"dynamodb:Query", FamilyRead},
		{"dynamodb:Scan", FamilyRead},
		{"s3:ListBuckets", FamilyRead},
		{"ec2:DescribeInstances", FamilyRead},
		{"dynamodb:PutItem", FamilyWrite},
		{"dynamodb:UpdateItem", FamilyWrite},
		{"lambda:Invoke", FamilyWrite},
		{"dynamodb:DeleteItem", FamilyDelete},
		{"dynamodb:BatchDeleteItem", FamilyDelete},
		{"ec2:TerminateInstances", FamilyDelete},
		{"sqs:PurgeQueue", FamilyDelete},
		{"x:Getaway", FamilyWrite},
		{"x:Get2", FamilyRead},
		{"read", ""},
		{"", ""},
		{":GET", ""},
		{"http:", ""},
	}
	for _, tt := range tests {
		if got := Family(tt.action); got != tt.want {
			t.Errorf("Family(%q) = %q, want %q", tt.action, got, tt.want)
		}
	}
}

func TestScaledScore(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]int64{0: 0, -1: 0, 0.004: 0, 0.005: 1, 0.5: 50, 0.999: 100, 1: 100, 7: 100} {
		if got := scaledScore(in); int64(got) != want {
			t.Errorf("scaledScore(%v) = %d, want %d", in, got, want)
		}
	}
}
