package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
)

// signed sends a request signed with c's key and returns the status and body.
func signed(t *testing.T, c *client.Client, method, url string, in any) (int, []byte) {
	t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Sign(context.Background(), req, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func humanClient(t *testing.T, inst *local.Instance, list []local.Operator, name string) *client.Client {
	t.Helper()
	for _, h := range list {
		if h.Name == name {
			return client.New(inst.URL, inst.Config.Region, h.AccessKeyID, h.SecretAccessKey)
		}
	}
	t.Fatalf("no human %q with a key in the configuration", name)
	return nil
}

// TestHumanRoutesOverSignedHTTP walks an approval and a policy upload over the local API,
// each caller signing with its own key, and checks that no kind of caller can use another
// kind's routes.
func TestHumanRoutesOverSignedHTTP(t *testing.T) {
	t.Parallel()
	inst := start(t)
	agent := agentClient(inst)
	ada := humanClient(t, inst, inst.Config.Operators, local.DefaultOperator)
	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	admin := humanClient(t, inst, inst.Config.Admins, local.DefaultAdmin)
	ctx := context.Background()

	s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	export := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers"}}
	status, raw := signed(t, agent, "POST", inst.URL+"/v1/sessions/"+s.SessionID+"/actions", export)
	var res api.ActionResponse
	if err := json.Unmarshal(raw, &res); err != nil || status != http.StatusAccepted || res.Verdict != api.VerdictApproval || res.ApprovalID == "" || res.ExpiresAt == nil {
		t.Fatalf("export: %d %s", status, raw)
	}

	// Who may call what.
	approve := inst.URL + "/v1/approvals/" + res.ApprovalID + "/approve"
	forbidden := []struct {
		who          string
		c            *client.Client
		method, path string
		body         any
	}{
		{"the agent lists approvals", agent, "GET", "/v1/approvals", nil},
		{"the agent approves", agent, "POST", "/v1/approvals/" + res.ApprovalID + "/approve", nil},
		{"the agent reads policies", agent, "GET", "/v1/policies", nil},
		{"the agent uploads policies", agent, "PUT", "/v1/policies", api.PolicyUpload{Policies: "// none\n"}},
		{"the session's operator approves", ada, "POST", "/v1/approvals/" + res.ApprovalID + "/approve", nil},
		{"an operator uploads policies", grace, "PUT", "/v1/policies", api.PolicyUpload{Policies: "// none\n"}},
		{"the admin approves", admin, "POST", "/v1/approvals/" + res.ApprovalID + "/approve", nil},
		{"a human opens a session", grace, "POST", "/v1/sessions", api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt}},
	}
	for _, f := range forbidden {
		status, raw := signed(t, f.c, f.method, inst.URL+f.path, f.body)
		if status != http.StatusForbidden || !strings.Contains(string(raw), api.ProblemForbidden) {
			t.Errorf("%s: %d %s, want 403 %s", f.who, status, raw, api.ProblemForbidden)
		}
	}

	status, raw = signed(t, grace, "GET", inst.URL+"/v1/approvals", nil)
	if status != http.StatusOK || !strings.Contains(string(raw), res.ApprovalID) {
		t.Fatalf("list: %d %s", status, raw)
	}
	if status, raw = signed(t, grace, "POST", approve, api.DecideRequest{Note: "ok"}); status != http.StatusOK {
		t.Fatalf("approve: %d %s", status, raw)
	}
	if status, raw = signed(t, grace, "POST", approve, nil); status != http.StatusConflict || !strings.Contains(string(raw), api.ProblemApprovalDecided) {
		t.Errorf("second approve: %d %s, want 409", status, raw)
	}
	export.ApprovalID = res.ApprovalID
	if status, raw = signed(t, agent, "POST", inst.URL+"/v1/sessions/"+s.SessionID+"/actions", export); status != http.StatusOK {
		t.Fatalf("retry: %d %s", status, raw)
	}
	if status, raw = signed(t, agent, "POST", inst.URL+"/v1/sessions/"+s.SessionID+"/actions", export); status != http.StatusForbidden || !strings.Contains(string(raw), api.ProblemApprovalInvalid) {
		t.Errorf("reuse: %d %s, want 403 %s", status, raw, api.ProblemApprovalInvalid)
	}

	// The policy store: a rejected upload is a 422 naming line and policy; a good one is
	// version 2.
	status, raw = signed(t, admin, "PUT", inst.URL+"/v1/policies", api.PolicyUpload{Policies: "@id(\"a\") permit (principal, action, resource);\n@id(\"b\") permit (principal, action, resource) when { context.nope };"})
	var p api.Problem
	if err := json.Unmarshal(raw, &p); err != nil || status != http.StatusUnprocessableEntity || p.Type != api.ProblemInvalidDocument ||
		len(p.Errors) != 1 || p.Errors[0].Line != 2 || p.Errors[0].PolicyID != "b" {
		t.Fatalf("invalid upload: %d %s", status, raw)
	}
	status, raw = signed(t, admin, "GET", inst.URL+"/v1/policies", nil)
	var cur api.Document
	if err := json.Unmarshal(raw, &cur); err != nil || status != http.StatusOK || cur.Version != 1 {
		t.Fatalf("get: %d %s", status, raw)
	}
	status, raw = signed(t, admin, "PUT", inst.URL+"/v1/policies", api.PolicyUpload{Policies: cur.Body})
	if err := json.Unmarshal(raw, &cur); err != nil || status != http.StatusCreated || cur.Version != 2 || cur.Record == nil {
		t.Fatalf("good upload: %d %s", status, raw)
	}
	if status, raw = signed(t, admin, "GET", inst.URL+"/v1/policies?version=x", nil); status != http.StatusBadRequest {
		t.Errorf("bad version: %d %s", status, raw)
	}
	if status, raw = signed(t, admin, "GET", inst.URL+"/v1/intents?version=1", nil); status != http.StatusOK {
		t.Errorf("get intents: %d %s", status, raw)
	}
}
