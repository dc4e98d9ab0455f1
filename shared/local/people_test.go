package local_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
)

// One person, one identity: every spelling of the session operator's name is that person,
// so they cannot approve their own session's actions; a look-alike name is nobody, and
// nobody can be shown to be someone else.
func TestApproverIsAnotherPersonWhateverTheSpelling(t *testing.T) {
	t.Parallel()
	inst := start(t)
	agent := agentClient(inst)
	ada := humanClient(t, inst, inst.Config.Operators, local.DefaultOperator)
	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	ctx := context.Background()
	export := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers"}}
	ask := func(operator string) string {
		t.Helper()
		s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: operator, Prompt: prompt})
		if err != nil {
			t.Fatal(err)
		}
		status, raw := signed(t, agent, "POST", inst.URL+"/v1/sessions/"+s.SessionID+"/actions", export)
		var res api.ActionResponse
		if err := json.Unmarshal(raw, &res); err != nil || status != http.StatusAccepted {
			t.Fatalf("export as %q: %d %s", operator, status, raw)
		}
		return inst.URL + "/v1/approvals/" + res.ApprovalID + "/approve"
	}
	for _, operator := range []string{"Ada@example.com", "ada@example.com ", "ADA@EXAMPLE.COM", "ａｄａ@example.com", " ada@Example.com\t"} {
		approve := ask(operator)
		if status, raw := signed(t, ada, "POST", approve, nil); status != http.StatusForbidden || !strings.Contains(string(raw), "cannot approve") {
			t.Errorf("ada approving a session of %q: %d %s, want 403", operator, status, raw)
		}
		if status, raw := signed(t, grace, "POST", approve, nil); status != http.StatusOK {
			t.Errorf("grace approving a session of %q: %d %s", operator, status, raw)
		}
	}
	for _, operator := range []string{"аda@example.com" /* Cyrillic а */, "ada@example.com\u200b", "mallory@example.com"} {
		approve := ask(operator)
		for who, c := range map[string]*client.Client{"ada": ada, "grace": grace} {
			if status, raw := signed(t, c, "POST", approve, nil); status != http.StatusForbidden || !strings.Contains(string(raw), "nobody in the directory") {
				t.Errorf("%s approving a session of the unknown %q: %d %s, want 403", who, operator, status, raw)
			}
		}
	}
}

// Kills name people and agents however they are written, refuse names of nobody, and stop
// every human action of a stopped person and every approval of a stopped scope.
func TestKillsNamePeopleAndAgents(t *testing.T) {
	t.Parallel()
	inst := start(t)
	agent := agentClient(inst)
	ada := humanClient(t, inst, inst.Config.Operators, local.DefaultOperator)
	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	ctx := context.Background()
	read := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}

	// Nobody: 404 and nothing stored.
	for _, req := range []api.KillRequest{
		{Scope: "agent", ID: "no-such-agent", Reason: "x"},
		{Scope: "operator", ID: "mallory@example.com", Reason: "x"},
		{Scope: "operator", ID: "аda@example.com", Reason: "x"},
		{Scope: "session", ID: "ses_aaaaaaaaaaaaaaaaaaaaaaaaaa", Reason: "x"},
	} {
		if p := problemOf(t, grace.Do(ctx, http.MethodPost, "/v1/kill", req, nil)); p.Status != http.StatusNotFound {
			t.Errorf("kill %s %q = %+v, want 404", req.Scope, req.ID, p)
		}
	}
	var list api.KillList
	if err := grace.Do(ctx, http.MethodGet, "/v1/kill", nil, &list); err != nil || len(list.Kills) != 0 {
		t.Fatalf("kills stored for nobody: %+v %v", list, err)
	}

	// An agent by its configured name and by its access key id.
	for _, id := range []string{inst.Config.Agents[0].Name, inst.Config.Agents[0].AccessKeyID} {
		s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
		if err != nil {
			t.Fatal(err)
		}
		var kill api.Kill
		if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: "agent", ID: id, Reason: "by name"}, &kill); err != nil {
			t.Fatal(err)
		}
		if kill.ID != s.Agent {
			t.Errorf("a kill of agent %q is kept under %q, want %q", id, kill.ID, s.Agent)
		}
		if _, err := agent.Act(ctx, s.SessionID, read); problemOf(t, err).Type != api.ProblemKilled {
			t.Errorf("after killing agent %q the agent acts: %v", id, err)
		}
		if err := grace.Do(ctx, http.MethodDelete, "/v1/kill/agent/"+url.PathEscape(id), api.LiftRequest{Reason: "ok"}, nil); err != nil {
			t.Fatal(err)
		}
	}

	// A person under another spelling: their sessions stop, they cannot approve or lift.
	s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: "Ada@Example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	key := client.NewIdempotencyKey()
	if _, err := agent.Act(ctx, s.SessionID, api.ActionRequest{Action: read.Action, IdempotencyKey: key}); err != nil {
		t.Fatal(err)
	}
	status, raw := signed(t, agent, "POST", inst.URL+"/v1/sessions/"+s.SessionID+"/actions",
		api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers"}})
	var pending api.ActionResponse
	if err := json.Unmarshal(raw, &pending); err != nil || status != http.StatusAccepted {
		t.Fatalf("export: %d %s", status, raw)
	}
	var kill api.Kill
	if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: "operator", ID: " ADA@example.com", Reason: "compromised"}, &kill); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Act(ctx, s.SessionID, read); problemOf(t, err).Type != api.ProblemKilled {
		t.Errorf("the person's session acts after the kill: %v", err)
	}
	// The idempotent retry of an action that ran before the kill is not replayed past it.
	if _, err := agent.Act(ctx, s.SessionID, api.ActionRequest{Action: read.Action, IdempotencyKey: key}); problemOf(t, err).Type != api.ProblemKilled {
		t.Errorf("an idempotent replay under the kill: %v, want killed", err)
	}
	// A pending approval of the stopped session cannot be approved, even by another person.
	if status, raw := signed(t, grace, "POST", inst.URL+"/v1/approvals/"+pending.ApprovalID+"/approve", nil); status != http.StatusForbidden || !strings.Contains(string(raw), api.ProblemKilled) {
		t.Errorf("approving a stopped session's action: %d %s", status, raw)
	}
	// The stopped person cannot lift their own kill.
	path := "/v1/kill/operator/" + url.PathEscape("ada@example.com")
	if p := problemOf(t, ada.Do(ctx, http.MethodDelete, path, api.LiftRequest{Reason: "me"}, nil)); p.Type != api.ProblemKilled {
		t.Errorf("the stopped person lifts their kill: %+v", p)
	}
	if err := grace.Do(ctx, http.MethodDelete, "/v1/kill/operator/"+url.PathEscape("Ada@EXAMPLE.com"), api.LiftRequest{Reason: "contained"}, nil); err != nil {
		t.Errorf("another person lifts the kill under another spelling: %v", err)
	}
}

// The generated configuration holds two administrators, so the documented two-person flow
// runs as written: one asks for log-only, a second confirms, and {"mode":"enforce"} alone
// turns enforcement back on.
func TestTwoAdministratorsOfTheGeneratedConfig(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	first := humanClient(t, inst, inst.Config.Admins, local.DefaultAdmin)
	second := humanClient(t, inst, inst.Config.Admins, local.SecondAdmin)
	var e api.Enforcement
	if err := first.Do(ctx, http.MethodPut, "/v1/policies/enforcement", api.EnforcementRequest{Mode: api.EnforcementLogOnly, Reason: "monitoring rollout"}, &e); err != nil || e.Status != "pending" {
		t.Fatalf("first administrator: %+v %v", e, err)
	}
	if p := problemOf(t, first.Do(ctx, http.MethodPut, "/v1/policies/enforcement", api.EnforcementRequest{Mode: api.EnforcementLogOnly, Reason: "again"}, nil)); p.Status != http.StatusForbidden {
		t.Fatalf("the same administrator confirming = %+v", p)
	}
	if err := second.Do(ctx, http.MethodPut, "/v1/policies/enforcement", api.EnforcementRequest{Mode: api.EnforcementLogOnly, Reason: "agreed"}, &e); err != nil || e.Mode != api.EnforcementLogOnly {
		t.Fatalf("second administrator: %+v %v", e, err)
	}
	if err := first.Do(ctx, http.MethodPut, "/v1/policies/enforcement", map[string]string{"mode": api.EnforcementOn}, &e); err != nil || e.Mode != api.EnforcementOn {
		t.Fatalf(`{"mode":"enforce"} = %+v %v`, e, err)
	}
}

// Administrators manage the directory of people through the API: a stored version replaces
// the configured one at once, a directory in which two people share an identity is refused,
// and the checks follow the new directory.
func TestPeopleDirectoryThroughTheAPI(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	admin := humanClient(t, inst, inst.Config.Admins, local.DefaultAdmin)
	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	agent := agentClient(inst)
	bad := api.PeopleUpload{People: "- {id: ada@example.com, aliases: [boss@example.com]}\n- {id: grace@example.com, aliases: [Boss@Example.com]}\n"}
	if p := problemOf(t, admin.Do(ctx, http.MethodPut, "/v1/people", bad, nil)); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a directory with a shared alias = %+v, want 422", p)
	}
	if p := problemOf(t, grace.Do(ctx, http.MethodPut, "/v1/people", bad, nil)); p.Status != http.StatusForbidden {
		t.Fatalf("an operator uploading people = %+v, want 403", p)
	}
	// The new directory knows ada by a second address.
	var grace0 local.Operator
	for _, o := range inst.Config.Operators {
		if o.Name == local.DefaultApprover {
			grace0 = o
		}
	}
	dir := "- {id: ada@example.com, aliases: [countess@example.com]}\n- {id: grace@example.com, iam: [\"arn:aws:iam::000000000000:user/" + grace0.Name + "\"]}\n" +
		"- {id: admin@example.com}\n- {id: margaret@example.com}\n"
	var doc api.Document
	if err := admin.Do(ctx, http.MethodPut, "/v1/people", api.PeopleUpload{People: dir}, &doc); err != nil || doc.Version != 1 || doc.Record == nil {
		t.Fatalf("PUT /v1/people = %+v %v", doc, err)
	}
	if err := admin.Do(ctx, http.MethodGet, "/v1/people", nil, &doc); err != nil || !strings.Contains(doc.Body, "countess@example.com") {
		t.Fatalf("GET /v1/people = %+v %v", doc, err)
	}
	var kill api.Kill
	if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: "operator", ID: "Countess@example.com", Reason: "the alias is ada"}, &kill); err != nil || kill.ID != "ada@example.com" {
		t.Fatalf("kill by the new alias = %+v %v", kill, err)
	}
	s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err == nil {
		t.Fatalf("a session for the stopped person opened: %+v", s)
	}
}

// A stopped administrator changes no document: not the policies (which could permit
// anything), not the intents, the people or the targets. Another administrator still can.
func TestStoppedAdministratorChangesNoDocument(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	admin := humanClient(t, inst, inst.Config.Admins, local.DefaultAdmin)
	second := humanClient(t, inst, inst.Config.Admins, local.SecondAdmin)
	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	var policies, intents, targets api.Document
	for path, out := range map[string]*api.Document{"/v1/policies": &policies, "/v1/intents": &intents, "/v1/targets": &targets} {
		if err := admin.Do(ctx, http.MethodGet, path, nil, out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: "operator", ID: "Admin@Example.com", Reason: "credentials leaked"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		body any
	}{
		{"/v1/policies", api.PolicyUpload{Policies: "@id(\"anything\") permit(principal, action, resource);"}},
		{"/v1/intents", api.IntentUpload{RollbackTo: intents.Version}},
		{"/v1/people", api.PeopleUpload{People: "- {id: admin@example.com}\n"}},
		{"/v1/targets", api.TargetsUpload{RollbackTo: targets.Version}},
	} {
		if p := problemOf(t, admin.Do(ctx, http.MethodPut, c.path, c.body, nil)); p.Status != http.StatusForbidden || p.Type != api.ProblemKilled {
			t.Errorf("PUT %s by the stopped administrator = %+v, want 403 killed", c.path, p)
		}
	}
	var after api.Document
	if err := admin.Do(ctx, http.MethodGet, "/v1/policies", nil, &after); err != nil || after.Version != policies.Version {
		t.Fatalf("policies after the refused upload: version %d (was %d) %v", after.Version, policies.Version, err)
	}
	if err := second.Do(ctx, http.MethodPut, "/v1/intents", api.IntentUpload{RollbackTo: intents.Version}, nil); err != nil {
		t.Errorf("another administrator stores a version: %v", err)
	}
}
