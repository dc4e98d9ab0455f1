package ocsf_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/ocsf"
)

// required lists the attributes OCSF 1.1.0 requires of an API Activity event: the class's
// own (actor, api, src_endpoint), the base event's, and those the objects require
// (metadata.product.vendor_name, metadata.version, api.operation, cloud.provider).
var required = []string{
	"activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time",
	"metadata", "metadata.version", "metadata.product", "metadata.product.vendor_name",
	"actor", "api", "api.operation", "src_endpoint", "cloud", "cloud.provider",
}

func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func records() map[string]audit.Record {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	id := audit.Identity{Agent: "arn:aws:iam::111122223333:role/agent", AgentKind: "iam", Operator: "ada@example.com", OperatorVerified: true}
	base := func(typ string, seq uint64) audit.Record {
		return audit.Record{Version: 1, Session: "ses_1", Seq: seq, Type: typ, Time: t0, Identity: id, Hash: strings.Repeat("a", 64), RequestID: "req-1",
			Client: &audit.Client{SourceIP: "203.0.113.7", UserAgent: "agent/1.0"}}
	}
	open := base(audit.TypeSessionOpen, 1)
	open.Prompt = &audit.Prompt{Masked: "call [PHONE]", SHA256: "p"}
	open.Intents = []api.Intent{{Name: "customer_support.lookup", Score: 0.8}}
	allow := base(audit.TypeDecision, 2)
	allow.Action = &audit.Action{Kind: "http", Target: "customers", Name: "http:GET", Resource: "/customers/42", Digest: "d"}
	allow.Verdict = &audit.Verdict{Decision: "allow", Reasons: []string{"permit-read"}}
	deny := base(audit.TypeDecision, 3)
	deny.Action = &audit.Action{Kind: "aws", Target: "s3", Name: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k", Digest: "d"}
	deny.Verdict = &audit.Verdict{Decision: "deny", Reasons: []string{"forbid-delete"}}
	result := base(audit.TypeResult, 4)
	result.Result = &audit.Result{DecisionSeq: 2, Status: 200, Outcome: "ok", Masking: map[string]int{"email": 1}, DurationMS: 12}
	approval := base(audit.TypeApprovalApprove, 5)
	approval.Approval = &audit.Approval{ID: "apr_1", Status: "approved", By: "grace@example.com"}
	admin := base(audit.TypeAdminChange, 1)
	admin.Session, admin.Identity = audit.AdminChain, audit.Identity{}
	admin.Admin = &audit.Admin{Kind: "policies", Name: "default", Version: 2, SHA256: "s", By: "root@example.com"}
	return map[string]audit.Record{"session.open": open, "allow": allow, "deny": deny, "result": result, "approval": approval, "admin": admin}
}

func TestEveryRecordMapsToAValidAPIActivity(t *testing.T) {
	t.Parallel()
	for name, r := range records() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := json.Marshal(ocsf.Map(r))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			for _, path := range required {
				v, ok := lookup(m, path)
				if !ok || v == nil || v == "" {
					t.Errorf("required %s missing: %s", path, raw)
				}
			}
			if m["class_uid"] != float64(6003) || m["category_uid"] != float64(6) {
				t.Errorf("class %v category %v", m["class_uid"], m["category_uid"])
			}
			if tu, act := m["type_uid"].(float64), m["activity_id"].(float64); tu != 6003*100+act {
				t.Errorf("type_uid %v for activity %v", tu, act)
			}
			// actor needs at least one of user, session, app_name, process, invoked_by.
			if _, ok := lookup(m, "actor.user.name"); !ok {
				t.Errorf("actor without user: %s", raw)
			}
			if ms := m["time"].(float64); ms != float64(r.Time.UnixMilli()) {
				t.Errorf("time %v", ms)
			}
		})
	}
}

func TestVerdictsAndActivities(t *testing.T) {
	t.Parallel()
	recs := records()
	cases := []struct {
		name              string
		activity, status  int
		severity          int
		operation, detail string
	}{
		// A decision is an authorization, never the operation's own activity: nothing ran yet.
		{"allow", ocsf.ActivityOther, ocsf.StatusSuccess, ocsf.SeverityInformational, "http:GET", "allow: permit-read"},
		{"deny", ocsf.ActivityOther, ocsf.StatusFailure, ocsf.SeverityMedium, "s3:DeleteObject", "deny: forbid-delete"},
		{"admin", ocsf.ActivityUpdate, ocsf.StatusSuccess, ocsf.SeverityInformational, "admin.change", ""},
	}
	for _, tc := range cases {
		e := ocsf.Map(recs[tc.name])
		if e.ActivityID != tc.activity || e.StatusID != tc.status || e.SeverityID != tc.severity || e.API.Operation != tc.operation || e.StatusDetail != tc.detail {
			t.Errorf("%s: %+v", tc.name, e)
		}
	}
	for action, want := range map[string]int{ // the activity of the operation, as its result reports it
		"http:GET": ocsf.ActivityRead, "http:PUT": ocsf.ActivityUpdate, "http:POST": ocsf.ActivityCreate,
		"sql:SELECT": ocsf.ActivityRead, "sql:INSERT": ocsf.ActivityCreate, "sql:DROP": ocsf.ActivityDelete,
		"s3:PutObject": ocsf.ActivityCreate, "dynamodb:UpdateItem": ocsf.ActivityUpdate, "ec2:DescribeInstances": ocsf.ActivityRead,
		"iam:PassRole": ocsf.ActivityOther, "nonsense": ocsf.ActivityUnknown,
	} {
		if got := ocsf.Activity(action); got != want {
			t.Errorf("Activity(%q) = %d, want %d", action, got, want)
		}
	}
}

func TestNothingBeyondTheRecord(t *testing.T) {
	t.Parallel()
	raw, _ := json.Marshal(ocsf.Map(records()["session.open"]))
	if !strings.Contains(string(raw), `"prompt_masked":"call [PHONE]"`) {
		t.Fatalf("masked prompt missing: %s", raw)
	}
}

// TestDecisionAndResultAreDistinct: the decision is an Authorize activity and its result the
// operation's own (Read for http:GET), both naming the operation and the resource; a result
// mapped without its decision does not pretend to know them.
func TestDecisionAndResultAreDistinct(t *testing.T) {
	t.Parallel()
	recs := records()
	var m ocsf.Mapper
	dec, res := m.Map(recs["allow"]), m.Map(recs["result"])
	if dec.ActivityID != ocsf.ActivityOther || dec.ActivityName != ocsf.ActivityAuthorize || dec.TypeName != "API Activity: Other" {
		t.Errorf("decision: activity %d %q, type %q", dec.ActivityID, dec.ActivityName, dec.TypeName)
	}
	if res.ActivityID != ocsf.ActivityRead || res.ActivityName != "Read" || res.StatusID != ocsf.StatusSuccess {
		t.Errorf("result: activity %d %q, status %d", res.ActivityID, res.ActivityName, res.StatusID)
	}
	for name, e := range map[string]ocsf.Event{"decision": dec, "result": res} {
		if e.API.Operation != "http:GET" || len(e.Resources) != 1 || e.Resources[0].Name != "/customers/42" || e.API.Service.Name != "customers" {
			t.Errorf("%s: operation %q, resources %+v", name, e.API.Operation, e.Resources)
		}
	}
	alone := ocsf.Map(recs["result"])
	if alone.ActivityID != ocsf.ActivityUnknown || alone.API.Operation != "result of decision #2" || len(alone.Resources) != 0 {
		t.Errorf("result alone: %+v", alone)
	}
}

// Every event names where its request came from: the caller's address and user agent.
func TestEventsCarryTheClient(t *testing.T) {
	t.Parallel()
	for name, r := range records() {
		e := ocsf.Map(r)
		if e.SrcEndpoint.IP != "203.0.113.7" || e.Unmapped["user_agent"] != "agent/1.0" {
			t.Errorf("%s: src_endpoint %+v, user agent %v", name, e.SrcEndpoint, e.Unmapped["user_agent"])
		}
	}
}
