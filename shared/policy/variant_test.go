package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
)

func TestVariantsQualifyAnAllow(t *testing.T) {
	t.Parallel()
	s, err := Compile("v.cedar", []byte(`
@id("read") @mask("strict") @max_ttl("5m")
permit (principal, action in Action::"read", resource);

@id("export") @approval("bulk export") @max_ttl("30s")
permit (principal, action == Action::"http:GET", resource == Resource::"crm//customers");

@id("self") @approval("own data") @self_approval("allowed")
permit (principal, action == Action::"http:GET", resource == Resource::"crm//me");

@id("self-too") @approval("own data, twice") @self_approval("allowed")
permit (principal, action == Action::"http:GET", resource == Resource::"crm//me");

@id("no-deletes") forbid (principal, action in Action::"delete", resource);
@id("deletes") @approval("never reached") permit (principal, action in Action::"delete", resource);
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, action, resource string
		want                   Decision
	}{
		{"plain allow carries mask and ttl", "http:GET", "/customers/1",
			Decision{Verdict: api.VerdictAllow, Reasons: []string{"read"}, Mask: "strict", MaxTTL: 5 * time.Minute}},
		{"any permit asking for approval wins; shortest ttl", "http:GET", "/customers",
			Decision{Verdict: api.VerdictApproval, Reasons: []string{"read", "export"}, Approval: "bulk export", Mask: "strict", MaxTTL: 30 * time.Second}},
		{"self approval when every approving permit allows it", "http:GET", "/me",
			Decision{Verdict: api.VerdictApproval, Reasons: []string{"read", "self", "self-too"}, Approval: "own data", SelfApproval: true, Mask: "strict", MaxTTL: 5 * time.Minute}},
		{"a forbid is never qualified", "http:DELETE", "/customers/1",
			Decision{Verdict: api.VerdictDeny, Reasons: []string{"no-deletes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := s.Evaluate(Request{Agent: "a", Action: tt.action, Target: "crm", Resource: tt.resource})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if !s.SelfApproval([]string{"read", "self", "self-too"}) || s.SelfApproval([]string{"read", "export"}) ||
		s.SelfApproval([]string{"gone"}) || s.SelfApproval([]string{"read"}) || s.SelfApproval(nil) {
		t.Error("SelfApproval answers wrongly")
	}
}

func TestVariantAnnotationsAreChecked(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{`@id("a") @approval("") permit (principal, action, resource);`, "@approval needs"},
		{`@id("a") @approval("x") forbid (principal, action, resource);`, "no effect on a forbid"},
		{`@id("a") @mask("Strict!") permit (principal, action, resource);`, "not a profile name"},
		{`@id("a") @max_ttl("13h") permit (principal, action, resource);`, "between 1s and 12h0m0s"},
		{`@id("a") @max_ttl("soon") permit (principal, action, resource);`, "not a duration"},
		{`@id("a") @self_approval("yes") @approval("x") permit (principal, action, resource);`, `one value "allowed"`},
		{`@id("a") @self_approval("allowed") permit (principal, action, resource);`, "needs @approval"},
	}
	for _, tt := range tests {
		_, err := Compile("v.cedar", []byte(tt.src))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) || Problems(err)[0].Line != 1 {
			t.Errorf("Compile(%s) = %v, want a positioned problem with %q", tt.src, err, tt.want)
		}
	}
}

func TestSessionCountersInContext(t *testing.T) {
	t.Parallel()
	s, err := Compile("c.cedar", []byte(`
@id("reads") permit (principal, action in Action::"read", resource);
@id("scrape") forbid (principal, action in Action::"read", resource) when { context.session.by_family.read >= 20 };
@id("write-after-bulk") forbid (principal, action in Action::"write", resource) when { context.session.by_family.read > 5 };
@id("writes") permit (principal, action in Action::"write", resource) when { context.target.kind == "http" };
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action string
		counts map[string]int
		want   []string
	}{
		{"http:GET", map[string]int{"read": 19}, []string{"reads"}},
		{"http:GET", map[string]int{"read": 20}, []string{"scrape"}},
		{"http:POST", map[string]int{"read": 5, "write": 40}, []string{"writes"}},
		{"http:POST", map[string]int{"read": 6}, []string{"write-after-bulk"}},
		{"http:POST", nil, []string{"writes"}},
	}
	for _, tt := range tests {
		got := s.Evaluate(Request{Action: tt.action, Target: "t", TargetKind: "http", SessionByFamily: tt.counts})
		if !cmp.Equal(got.Reasons, tt.want) || len(got.Errors) > 0 {
			t.Errorf("%s with %v: %v %v, want %v", tt.action, tt.counts, got.Reasons, got.Errors, tt.want)
		}
	}
}
