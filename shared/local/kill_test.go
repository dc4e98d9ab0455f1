package local_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/local"
)

// TestKillOverSignedHTTP: every scope end to end over the local API, signed with the SDK
// signer: the kill refuses the agent's next action with a problem naming it, an agent cannot
// kill, and the lift (two humans for global) lets the agent act again.
func TestKillOverSignedHTTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	read := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: crm.Audience, Method: "GET", Path: "/customers/42"}}
	for _, scope := range []string{"global", "agent", "operator", "session"} {
		t.Run(scope, func(t *testing.T) {
			t.Parallel()
			inst := start(t)
			agent := agentClient(inst)
			ada, grace := humanClient(t, inst, inst.Config.Operators, local.DefaultOperator), humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
			s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
			if err != nil {
				t.Fatal(err)
			}
			id := map[string]string{"global": "", "agent": s.Agent, "operator": s.Operator.ID, "session": s.SessionID}[scope]
			req := api.KillRequest{Scope: scope, ID: id, Reason: "incident 9"}

			if p := problemOf(t, agent.Do(ctx, http.MethodPost, "/v1/kill", req, nil)); p.Status != http.StatusForbidden || p.Type != api.ProblemForbidden {
				t.Fatalf("an agent's kill = %+v", p)
			}
			var kill api.Kill
			if err := grace.Do(ctx, http.MethodPost, "/v1/kill", req, &kill); err != nil {
				t.Fatal(err)
			}
			_, err = agent.Act(ctx, s.SessionID, read)
			p := problemOf(t, err)
			if p.Status != http.StatusForbidden || p.Type != api.ProblemKilled || p.Verdict != api.VerdictDeny ||
				len(p.Reasons) != 1 || p.Reasons[0] != "kill:"+kill.Scope+":"+kill.ID || p.Record == nil {
				t.Fatalf("the agent's next action = %+v", p)
			}
			var list api.KillList
			if err := ada.Do(ctx, http.MethodGet, "/v1/kill", nil, &list); err != nil || len(list.Kills) != 1 || list.Kills[0].Reason != "incident 9" {
				t.Fatalf("GET /v1/kill = %+v %v", list, err)
			}

			time.Sleep(time.Until(kill.CreatedAt.Truncate(time.Second).Add(time.Second))) // tokens of the kill's second stay revoked
			path := "/v1/kill/" + url.PathEscape(kill.Scope) + "/" + url.PathEscape(kill.ID)
			if p := problemOf(t, agent.Do(ctx, http.MethodDelete, path, nil, nil)); p.Status != http.StatusForbidden {
				t.Fatalf("an agent's lift = %+v", p)
			}
			lifter := ada
			if scope == "operator" {
				// The person the kill stops cannot lift it themselves; another human can.
				if p := problemOf(t, ada.Do(ctx, http.MethodDelete, path, api.LiftRequest{Reason: "it was me"}, nil)); p.Type != api.ProblemKilled {
					t.Fatalf("the killed person lifting their own kill = %+v", p)
				}
				lifter = grace
			}
			var lift api.Lift
			if err := lifter.Do(ctx, http.MethodDelete, path, api.LiftRequest{Reason: "contained"}, &lift); err != nil {
				t.Fatalf("DELETE %s: %v", path, err)
			}
			if scope == "global" {
				if lift.Status != api.LiftPending {
					t.Fatalf("first lift = %+v", lift)
				}
				if p := problemOf(t, ada.Do(ctx, http.MethodDelete, path, nil, nil)); p.Status != http.StatusForbidden {
					t.Fatalf("the same human again = %+v", p)
				}
				if err := grace.Do(ctx, http.MethodDelete, path, nil, &lift); err != nil {
					t.Fatal(err)
				}
			}
			if lift.Status != api.LiftDone {
				t.Fatalf("lift = %+v", lift)
			}
			if res, err := agent.Act(ctx, s.SessionID, read); err != nil || res.Status != http.StatusOK {
				t.Fatalf("after the lift: %+v %v", res, err)
			}
		})
	}
}

// An id with slashes (an assumed-role ARN) lifts as written in the path, and percent-encoded:
// both spellings name the same kill.
func TestLiftKillOfAnIDWithSlashes(t *testing.T) {
	ctx := context.Background()
	inst := start(t)
	ada, grace := humanClient(t, inst, inst.Config.Operators, local.DefaultOperator), humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	for i, spell := range []func(string) string{
		func(id string) string { return id },
		url.PathEscape,
	} {
		id := fmt.Sprintf("arn:aws:sts::123456789012:assumed-role/agents/run-%d", i)
		var kill api.Kill
		if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: "agent", ID: id, Reason: "incident 9"}, &kill); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(kill.CreatedAt.Truncate(time.Second).Add(time.Second)))
		path := "/v1/kill/agent/" + spell(id)
		var lift api.Lift
		if err := ada.Do(ctx, http.MethodDelete, path, api.LiftRequest{Reason: "contained"}, &lift); err != nil {
			t.Fatalf("DELETE %s: %v", path, err)
		}
		if lift.Status != api.LiftDone {
			t.Fatalf("DELETE %s = %+v", path, lift)
		}
	}
	var list api.KillList
	if err := ada.Do(ctx, http.MethodGet, "/v1/kill", nil, &list); err != nil || len(list.Kills) != 0 {
		t.Fatalf("kills left = %+v %v", list, err)
	}
}
