package local_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store"
)

// Administrators manage the target registry through the API like the policy set: a stored
// version is in force at once, agents act only on the targets it names, nobody else may
// change or read it, an invalid registry is refused naming the field, and every version is
// in the admin chain.
func TestTargetsThroughTheAPI(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	admin := humanClient(t, inst, inst.Config.Admins, local.DefaultAdmin)
	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	agent := agentClient(inst)

	var seeded api.Document
	if err := admin.Do(ctx, http.MethodGet, "/v1/targets", nil, &seeded); err != nil || seeded.Kind != store.KindTargets || !strings.Contains(seeded.Body, "name: customers") {
		t.Fatalf("GET /v1/targets = %+v %v", seeded, err)
	}
	for _, who := range []struct {
		name   string
		method string
		body   any
	}{{"an operator reads targets", http.MethodGet, nil}, {"an operator uploads targets", http.MethodPut, api.TargetsUpload{Targets: seeded.Body}}} {
		if p := problemOf(t, grace.Do(ctx, who.method, "/v1/targets", who.body, nil)); p.Status != http.StatusForbidden {
			t.Errorf("%s = %+v, want 403", who.name, p)
		}
		if p := problemOf(t, agent.Do(ctx, who.method, "/v1/targets", who.body, nil)); p.Status != http.StatusForbidden {
			t.Errorf("the agent: %s = %+v, want 403", who.name, p)
		}
	}
	bad := []struct{ name, doc, field string }{
		{"bad base_url", "targets:\n- {name: customers, kind: http, base_url: 'ftp://crm'}\n", "targets[0] (\"customers\"): base_url"},
		{"unknown field", "targets:\n- {name: customers, kind: http, base_url: 'http://crm', password: x}\n", "password"},
		{"bad kms key", "targets:\n- {name: o, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/r', region: us-east-1, allowed_resources: ['arn:aws:s3:::b/*'], kms_keys: ['alias/mine']}\n", "kms_keys[0]"},
	}
	for _, b := range bad {
		p := problemOf(t, admin.Do(ctx, http.MethodPut, "/v1/targets", api.TargetsUpload{Targets: b.doc}, nil))
		if p.Status != http.StatusUnprocessableEntity || len(p.Errors) == 0 || !strings.Contains(p.Errors[0].Message, b.field) {
			t.Errorf("%s = %+v, want 422 naming %s", b.name, p, b.field)
		}
	}
	if p := problemOf(t, admin.Do(ctx, http.MethodPut, "/v1/targets", api.TargetsUpload{}, nil)); p.Status != http.StatusBadRequest {
		t.Errorf("an empty upload = %+v, want 400", p)
	}

	// A registry without the customer service: the agent's read is refused before policy.
	without := strings.Replace(seeded.Body, "name: customers", "name: customers-retired", 1)
	var v2 api.Document
	if err := admin.Do(ctx, http.MethodPut, "/v1/targets", api.TargetsUpload{Targets: without}, &v2); err != nil || v2.Version != 2 || v2.Record == nil {
		t.Fatalf("PUT /v1/targets = %+v %v", v2, err)
	}
	s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	read := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}
	if _, err := agent.Act(ctx, s.SessionID, read); err == nil {
		t.Fatal("an action on a target the registry no longer names ran")
	} else if p := problemOf(t, err); p.Status/100 != 4 {
		t.Fatalf("action on a removed target = %+v, want 4xx", p)
	}
	// The administrator puts the customer service back (as a rollback): the read works.
	var v3 api.Document
	if err := admin.Do(ctx, http.MethodPut, "/v1/targets", api.TargetsUpload{RollbackTo: 1}, &v3); err != nil || v3.Version != 3 || v3.SHA256 != seeded.SHA256 {
		t.Fatalf("rollback = %+v %v", v3, err)
	}
	if _, err := agent.Act(ctx, s.SessionID, read); err != nil {
		t.Fatalf("action on the target put back: %v", err)
	}
	var got api.Document
	if err := admin.Do(ctx, http.MethodGet, "/v1/targets?version=2", nil, &got); err != nil || got.Body != without {
		t.Fatalf("GET /v1/targets?version=2 = %+v %v", got, err)
	}

	inst.Close()
	reps, err := local.Verify(ctx, inst.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	for _, r := range reps {
		for _, rec := range r.Records {
			if rec.Type == audit.TypeAdminChange && rec.Admin != nil && rec.Admin.Kind == store.KindTargets {
				if r.Break != nil {
					t.Fatalf("the admin chain is broken: %+v", r.Break)
				}
				versions = append(versions, rec.Admin.Version)
			}
		}
	}
	if len(versions) != 2 || versions[0] != 2 || versions[1] != 3 {
		t.Fatalf("target registry changes on record: versions %v, want [2 3]", versions)
	}
}
