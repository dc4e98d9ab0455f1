package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/local"
)

// killRecords is how many records the kill scenario adds: in the session's chain the
// allowed read (decision, result), the kill, and the refused next action (decision); in the
// control chain the kill and its revocation.
const killRecords = 6

// killScenario: a human stops the session while the agent works. The agent's next action is
// refused, naming the kill and its reason, and the action token Mandate minted for the
// agent's last read before the kill, replayed straight to the target as someone who read the
// target's access log would, is refused too.
func killScenario(ctx context.Context, n *narrator, inst *local.Instance, agent *client.Client, session string) {
	const scenario = "kill switch"
	read := api.Action{Kind: api.KindHTTP, Target: crm.Audience, Method: "GET", Path: "/customers/42"}
	n.say("\n6. A security engineer stops the session while the agent is working")
	if _, err := agent.Act(ctx, session, api.ActionRequest{Action: read}); err != nil {
		n.say("   -> %v", err)
		n.expect(false, scenario, "the read before the kill was refused")
		return
	}
	leaked := inst.CRM.LastToken()
	before := replay(inst, leaked)
	n.say("   The agent reads customer 42 again; the action token Mandate minted for it is in the")
	n.say("   target's access log, and replayed straight to the target it still works: %d", before)

	grace := human(inst, local.DefaultApprover)
	if grace == nil {
		n.expect(false, scenario, "the configuration names no operator with a key")
		return
	}
	const reason = "suspected prompt injection in ticket #4711"
	var kill api.Kill
	n.say("   %s kills the session: POST /v1/kill {scope: session, reason: %q}", local.DefaultApprover, reason)
	if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: api.ScopeSession, ID: session, Reason: reason}, &kill); err != nil {
		n.say("   -> %v", err)
		n.expect(false, scenario, "the kill was refused")
		return
	}
	n.say("   -> in force, recorded as #%d of the control chain; revocation published to %d list(s)", kill.Record.Seq, kill.Revocation.Published)

	n.say("   The agent tries its next action")
	served := inst.CRM.Served()
	_, err := agent.Act(ctx, session, api.ActionRequest{Action: read})
	var pe *client.ProblemError
	refused := errors.As(err, &pe) && pe.Status == http.StatusForbidden && pe.Type == api.ProblemKilled && strings.Contains(pe.Detail, reason)
	n.say("   -> %v", err)
	after := replay(inst, leaked)
	n.say("   The token minted before the kill, replayed to the target again -> %d", after)
	n.expect(refused && inst.CRM.Served() == served && before == http.StatusOK && after == http.StatusUnauthorized, scenario,
		fmt.Sprintf("next action refused by the kill %v, target served %d, leaked token before %d after %d", refused, inst.CRM.Served()-served, before, after))
}

// replay sends tok to the demo target directly and returns the status.
func replay(inst *local.Instance, tok string) int {
	req, err := http.NewRequest(http.MethodGet, "http://"+inst.CRMAddr+"/customers/42", nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
