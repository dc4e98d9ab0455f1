package authority_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store"
)

const denyReads = `@id("no-reads") forbid (principal, action in Action::"read", resource);
@id("all-reads") permit (principal, action in Action::"read", resource);`

func TestPutPoliciesRejectsInvalidDocuments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	tests := []struct {
		name     string
		up       api.PolicyUpload
		wantLine int    // of the first problem; 0: not checked
		wantMsg  string // in the first problem
	}{
		{"syntax", api.PolicyUpload{Policies: "@id(\"a\")\npermit (principal, action, resource) when { context."}, 2, "at end of document"},
		{"missing id", api.PolicyUpload{Policies: "\n\npermit (principal, action, resource);"}, 3, "no @id"},
		{"unknown context attribute", api.PolicyUpload{Policies: `@id("a") permit (principal, action, resource) when { context.nope };`}, 1, "attribute `nope`"},
		{"unknown action", api.PolicyUpload{Policies: `@id("a") permit (principal, action == Action::"bogus", resource);`}, 1, "unrecognized action"},
		{"unknown intent score", api.PolicyUpload{Policies: `@id("a") permit (principal, action, resource) when { context.intent_scores has "nope.x" && context.intent_scores["nope.x"] > 1 };`}, 1, "nope.x"},
		{"optional score without has", api.PolicyUpload{Policies: `@id("a") permit (principal, action, resource) when { context.intent_scores["customer_support.lookup"] > 1 };`}, 1, "optional attribute"},
		{"approval on a forbid", api.PolicyUpload{Policies: `@id("a") @approval("x") forbid (principal, action, resource);`}, 1, "forbid"},
		{"bad max_ttl", api.PolicyUpload{Policies: `@id("a") @max_ttl("forever") permit (principal, action, resource);`}, 1, "max_ttl"},
		{"failing test", api.PolicyUpload{Policies: denyReads, Tests: []api.PolicyCase{{Name: "reads work",
			Request: api.PolicyCaseRequest{Action: "http:GET", Target: "customers", Resource: "/customers/1"},
			Expect:  api.PolicyCaseExpect{Verdict: api.VerdictAllow}}}}, 0, `case "reads work": got deny [no-reads]`},
		{"unknown mode", api.PolicyUpload{Mode: "shadow", Policies: denyReads}, -1, ""},
		{"both body and rollback", api.PolicyUpload{Policies: denyReads, RollbackTo: 1}, -1, ""},
		{"rollback to a missing version", api.PolicyUpload{RollbackTo: 99}, -2, ""},
		{"too large", api.PolicyUpload{Policies: strings.Repeat(" ", authority.MaxDocumentBytes+1)}, 0, "the limit is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.auth.PutPolicies(ctx, agent(root), tt.up)
			switch tt.wantLine {
			case -1:
				if !errors.Is(err, authority.ErrInvalid) {
					t.Fatalf("PutPolicies: %v, want ErrInvalid", err)
				}
				return
			case -2:
				if !errors.Is(err, authority.ErrNotFound) {
					t.Fatalf("PutPolicies: %v, want ErrNotFound", err)
				}
				return
			}
			var e *authority.Error
			if !errors.As(err, &e) || e.Kind != authority.ErrInvalidDocument || len(e.Problems) == 0 {
				t.Fatalf("PutPolicies: %v, want ErrInvalidDocument with problems", err)
			}
			found := false
			for _, p := range e.Problems {
				found = found || ((tt.wantLine == 0 || p.Line == tt.wantLine) && strings.Contains(p.Message, tt.wantMsg))
			}
			if !found {
				t.Errorf("problems %+v, want one at line %d containing %q", e.Problems, tt.wantLine, tt.wantMsg)
			}
		})
	}
	// Nothing was stored: the demo policies still decide.
	doc, err := f.auth.GetPolicies(ctx, agent(root), "", 0)
	if err != nil || doc.Version != 1 {
		t.Fatalf("GetPolicies = v%d, %v; want v1", doc.Version, err)
	}
}

func TestPutPoliciesActivatesVersionsAndRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	s := f.open(t)
	if _, err := f.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil {
		t.Fatalf("read under v1: %v", err)
	}
	if _, err := f.auth.PutPolicies(ctx, agent("demo-agent"), api.PolicyUpload{Policies: denyReads}); !errors.Is(err, authority.ErrForbidden) {
		t.Fatalf("PutPolicies as an agent: %v, want ErrForbidden", err)
	}
	if _, err := f.auth.PutPolicies(ctx, agent(grace), api.PolicyUpload{Policies: denyReads}); !errors.Is(err, authority.ErrForbidden) {
		t.Fatalf("PutPolicies as an operator: %v, want ErrForbidden", err)
	}
	v2, err := f.auth.PutPolicies(ctx, agent(root), api.PolicyUpload{Policies: denyReads, Tests: []api.PolicyCase{{
		Request: api.PolicyCaseRequest{Action: "http:GET", Target: "customers"},
		Expect:  api.PolicyCaseExpect{Verdict: api.VerdictDeny, Reasons: []string{"no-reads"}}}}})
	if err != nil || v2.Version != 2 || v2.CreatedBy != root || v2.Record == nil {
		t.Fatalf("PutPolicies = %+v, %v", v2, err)
	}
	_, err = f.auth.Act(ctx, agent("demo-agent"), s.SessionID, read)
	var e *authority.Error
	if !errors.As(err, &e) || e.Kind != authority.ErrDenied || e.Reasons[0] != "no-reads" {
		t.Fatalf("read under v2: %v, want a denial by no-reads", err)
	}
	v3, err := f.auth.PutPolicies(ctx, agent(root), api.PolicyUpload{RollbackTo: 1})
	if err != nil || v3.Version != 3 {
		t.Fatalf("rollback: %+v, %v", v3, err)
	}
	v1, _ := f.auth.GetPolicies(ctx, agent(root), "", 1)
	if v3.Body != v1.Body || v3.SHA256 != v1.SHA256 {
		t.Fatal("the rollback's body differs from version 1")
	}
	if _, err := f.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil {
		t.Fatalf("read after the rollback: %v", err)
	}
	// Every change is in the admin chain, and the decision names the version that decided.
	rep, err := audit.VerifyChain(ctx, f.store, audit.AdminChain)
	if err != nil || rep.Break != nil || len(rep.Records) != 2 {
		t.Fatalf("admin chain: %d records, %v, %v", len(rep.Records), err, rep.Break)
	}
	if a := rep.Records[1].Admin; a.Version != 3 || a.RollbackOf != 1 || a.By != root || a.SHA256 != v1.SHA256 {
		t.Errorf("rollback record: %+v", a)
	}
	srep, _ := audit.VerifyChain(ctx, f.store, s.SessionID)
	var versions []int64
	for _, r := range srep.Records {
		if r.Verdict != nil {
			versions = append(versions, r.Verdict.PolicyVersion)
		}
	}
	if len(versions) != 3 || versions[0] != 1 || versions[1] != 2 || versions[2] != 3 {
		t.Errorf("decisions' policy versions %v, want [1 2 3]", versions)
	}
}

// reloading is another authority on f's store (another Lambda instance), with f's roles,
// reloading the documents every second.
func (f *fixture) reloading(t *testing.T) *authority.Authority {
	t.Helper()
	other, err := authority.New(context.Background(), authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now),
		Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Roles: roles, Log: quiet, ReloadInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return other
}

func TestOtherAuthoritiesReloadNewVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	other := f.reloading(t)
	s := f.open(t)
	if _, err := f.auth.PutPolicies(ctx, agent(root), api.PolicyUpload{Policies: denyReads}); err != nil {
		t.Fatal(err)
	}
	// Within the interval the other authority still decides with version 1...
	if _, err := other.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil {
		t.Fatalf("read before reload: %v", err)
	}
	// ...and after it, with version 2.
	f.advance(time.Second)
	if _, err := other.Act(ctx, agent("demo-agent"), s.SessionID, read); !errors.Is(err, authority.ErrDenied) {
		t.Fatalf("read after reload: %v, want ErrDenied", err)
	}
}

func TestLogOnlyPoliciesAreRecordedNotEnforced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	s := f.open(t)
	doc, err := f.auth.PutPolicies(ctx, agent(root), api.PolicyUpload{Mode: authority.ModeLogOnly, Policies: denyReads})
	if err != nil || doc.Mode != authority.ModeLogOnly || doc.Version != 1 {
		t.Fatalf("PutPolicies(log-only) = %+v, %v", doc, err)
	}
	res, err := f.auth.Act(ctx, agent("demo-agent"), s.SessionID, read)
	if err != nil {
		t.Fatalf("read with a log-only deny: %v", err)
	}
	rep, _ := audit.VerifyChain(ctx, f.store, s.SessionID)
	dec := rep.Records[res.Record.Seq-2] // the decision before the result
	if dec.Verdict == nil || dec.Verdict.Decision != api.VerdictAllow || len(dec.Verdict.Shadow) != 1 {
		t.Fatalf("decision record: %+v", dec.Verdict)
	}
	if sh := dec.Verdict.Shadow[0]; sh.Set != authority.ShadowDocumentName || sh.Decision != api.VerdictDeny || sh.Reasons[0] != "no-reads" || sh.Version != 1 {
		t.Errorf("shadow verdict %+v", sh)
	}
	// An empty log-only set turns shadow evaluation off.
	if _, err := f.auth.PutPolicies(ctx, agent(root), api.PolicyUpload{Mode: authority.ModeLogOnly, Policies: "// off\n"}); err != nil {
		t.Fatal(err)
	}
	res, err = f.auth.Act(ctx, agent("demo-agent"), s.SessionID, read)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ = audit.VerifyChain(ctx, f.store, s.SessionID)
	if sh := rep.Records[res.Record.Seq-2].Verdict.Shadow; sh != nil {
		t.Errorf("shadow verdicts with an empty log-only set: %+v", sh)
	}
}

func TestPutIntentsValidatesExamplesAndPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	cat, err := os.ReadFile("../local/defaults/intents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(cat), "      - remove customer 77 from the CRM\n", "      - remove customer 77 from the CRM\n      - write a poem about the sea\n", 1)
	if bad == string(cat) {
		t.Fatal("fixture edit did not apply")
	}
	tests := []struct {
		name, catalog, want string
	}{
		{"failing example", bad, "write a poem"},
		{"not a catalog", "intents: 7", "yaml"},
	}
	for _, tt := range tests {
		_, err := f.auth.PutIntents(ctx, agent(root), api.IntentUpload{Catalog: tt.catalog})
		var e *authority.Error
		if !errors.As(err, &e) || e.Kind != authority.ErrInvalidDocument || !strings.Contains(e.Problems[0].Message, tt.want) {
			t.Errorf("%s: %v %+v, want ErrInvalidDocument mentioning %q", tt.name, err, e, tt.want)
		}
	}
	// A catalog without the intent a policy reads by score is refused for the policies' sake.
	if _, err := f.auth.PutPolicies(ctx, agent(root), api.PolicyUpload{Policies: `@id("a") permit (principal, action, resource) when { context.intent_scores has "customer_support.lookup" && context.intent_scores["customer_support.lookup"] > 80 };`}); err != nil {
		t.Fatal(err)
	}
	only := "intents:\n  - name: reporting.aggregate\n    description: d\n    risk: low\n    families: [read]\n    keywords: [{text: report, weight: 0.9}]\n    examples: [report please]\n"
	_, err = f.auth.PutIntents(ctx, agent(root), api.IntentUpload{Catalog: only})
	if !errors.Is(err, authority.ErrInvalidDocument) {
		t.Fatalf("catalog dropping a scored intent: %v, want ErrInvalidDocument", err)
	}
	doc, err := f.auth.PutIntents(ctx, agent(root), api.IntentUpload{Catalog: string(cat)})
	if err != nil || doc.Version != 2 {
		t.Fatalf("PutIntents = %+v, %v", doc, err)
	}
}

// TestPolicySetsHavePrecompiledCompanions: every stored policy set version gets its
// precompiled form beside it, on upload and on first load of a version stored without one,
// and another authority decides with it. (That a damaged or foreign form falls back to the
// text is policy.TestLoad.) The texts are unique to each run: Sets already compiled in the
// process are reused without looking for their companion.
func TestPolicySetsHavePrecompiledCompanions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	companion := func(version int64) error {
		c, err := f.store.GetDocument(ctx, store.KindPolicies, authority.DocumentName+authority.CompiledSuffix, version)
		if err == nil && len(c.Body) == 0 {
			err = errors.New("empty")
		}
		return err
	}
	unique := fmt.Sprintf("\n// %s %d ", t.Name(), time.Now().UnixNano())
	doc, err := f.auth.PutPolicies(ctx, agent(root), api.PolicyUpload{Policies: denyReads + unique + "upload\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := companion(doc.Version); err != nil {
		t.Fatalf("companion of uploaded v%d: %v", doc.Version, err)
	}
	// A version stored without one (as by an older release) gets it when first loaded.
	next := doc.Version + 1
	if err := f.store.PutDocument(ctx, store.Document{Kind: store.KindPolicies, Name: authority.DocumentName, Version: next,
		Body: []byte(denyReads + unique + "stored\n"), CreatedBy: root, CreatedAt: f.now()}); err != nil {
		t.Fatal(err)
	}
	if err := companion(next); err == nil {
		t.Fatal("companion before any load")
	}
	other, err := authority.New(ctx, authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now),
		Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Roles: roles, Log: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := companion(next); err != nil {
		t.Fatalf("companion of v%d after load: %v", next, err)
	}
	s := f.open(t)
	if _, err := other.Act(ctx, agent("demo-agent"), s.SessionID, read); !errors.Is(err, authority.ErrDenied) {
		t.Fatalf("read under v%d loaded by another authority: %v, want ErrDenied", next, err)
	}
}

// The target registry is reloaded like the policy set: another authority acts on the version
// it has until its reload interval passes, then on the new one; a registry stored around the
// API that does not validate is never put in force.
func TestOtherAuthoritiesReloadTheTargetRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	other := f.reloading(t)
	s := f.open(t)
	if _, err := f.auth.PutTargets(ctx, agent(grace), api.TargetsUpload{Targets: "targets: []\n"}); !errors.Is(err, authority.ErrForbidden) {
		t.Fatalf("PutTargets as an operator: %v, want ErrForbidden", err)
	}
	v1, err := f.auth.GetTargets(ctx, agent(root), 0)
	if err != nil {
		t.Fatal(err)
	}
	without := strings.Replace(v1.Body, "name: customers", "name: customers-retired", 1)
	if without == v1.Body {
		t.Fatalf("the fixture's registry names no customers target: %s", v1.Body)
	}
	if v2, err := f.auth.PutTargets(ctx, agent(root), api.TargetsUpload{Targets: without}); err != nil || v2.Version != v1.Version+1 {
		t.Fatalf("PutTargets = %+v, %v", v2, err)
	}
	if _, err := other.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil {
		t.Fatalf("read before reload: %v", err)
	}
	f.advance(time.Second)
	if _, err := other.Act(ctx, agent("demo-agent"), s.SessionID, read); !errors.Is(err, authority.ErrUnknownTarget) {
		t.Fatalf("read after reload: %v, want ErrUnknownTarget", err)
	}
	// A version written straight to the store that does not validate stays out of force.
	if err := f.store.PutDocument(ctx, store.Document{Kind: store.KindTargets, Name: authority.DocumentName, Version: v1.Version + 2,
		Body: []byte(v1.Body + "- {name: broken, kind: ftp}\n"), CreatedBy: "someone", CreatedAt: f.now().UTC()}); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Second)
	if _, err := other.Act(ctx, agent("demo-agent"), s.SessionID, read); !errors.Is(err, authority.ErrUnknownTarget) {
		t.Fatalf("read after an invalid version was stored: %v, want the last valid registry (ErrUnknownTarget)", err)
	}
}
