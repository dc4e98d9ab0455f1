package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/local"
)

// approvalRecords is how many records the approval scenario adds to the session's chain:
// decision (approval), approval.request, approval.approve, approval.consume, decision
// (allow), result, and the decision (deny) of the refused second use.
const approvalRecords = 7

// approvalScenario: listing every customer needs another human's approval. The agent asks
// and gets 202 with an approval id; the session's own operator may not approve it; a second
// human does; the agent's retry with the approval id runs; a second retry is refused.
func approvalScenario(ctx context.Context, n *narrator, inst *local.Instance, agent *client.Client, session string) {
	const scenario = "approval"
	list := api.Action{Kind: api.KindHTTP, Target: crm.Audience, Method: "GET", Path: "/customers"}
	n.say("\n4. The agent lists every customer (http GET /customers): a bulk export of personal data")
	res, err := agent.Act(ctx, session, api.ActionRequest{Action: list})
	if err != nil || res.Verdict != api.VerdictApproval || res.ApprovalID == "" {
		n.say("   -> %v %+v", err, res)
		n.expect(false, scenario, "the export did not wait for an approval")
		return
	}
	n.say("   -> 202: policy %v asks a human to approve; approval %s, expires %s", res.Reasons, res.ApprovalID, res.ExpiresAt.Format("15:04:05 MST"))

	self, other := human(inst, local.DefaultOperator), human(inst, local.DefaultApprover)
	if self == nil || other == nil {
		n.expect(false, scenario, "the configuration names no second human with a key")
		return
	}
	var decided api.Approval
	n.say("   %s, the operator who opened the session, tries to approve it", local.DefaultOperator)
	err = self.Do(ctx, http.MethodPost, "/v1/approvals/"+res.ApprovalID+"/approve", api.DecideRequest{}, &decided)
	var pe *client.ProblemError
	selfRefused := errors.As(err, &pe) && pe.Status == http.StatusForbidden
	n.say("   -> %v", err)
	served := inst.CRM.Served()
	n.say("   %s, a second human, approves it", local.DefaultApprover)
	err = other.Do(ctx, http.MethodPost, "/v1/approvals/"+res.ApprovalID+"/approve", api.DecideRequest{Note: "export for the quarterly support review"}, &decided)
	if err != nil {
		n.say("   -> %v", err)
		n.expect(false, scenario, "the second human could not approve")
		return
	}
	n.say("   -> %s by %s", decided.Status, decided.DecidedBy)

	n.say("   The agent retries the same action with the approval id")
	done, err := agent.Act(ctx, session, api.ActionRequest{Action: list, ApprovalID: res.ApprovalID})
	ran := err == nil && done.Verdict == api.VerdictAllow && done.Status == http.StatusOK && inst.CRM.Served() == served+1
	if err != nil {
		n.say("   -> %v", err)
	} else {
		n.say("   -> allowed; the target answered %d; masked values: %s; recorded as #%d", done.Status, summary(done.Masking), done.Record.Seq)
	}
	n.say("   The agent tries to use the approval a second time")
	_, err = agent.Act(ctx, session, api.ActionRequest{Action: list, ApprovalID: res.ApprovalID})
	reused := errors.As(err, &pe) && pe.Type == api.ProblemApprovalInvalid
	n.say("   -> %v", err)
	n.expect(selfRefused && ran && reused && inst.CRM.Served() == served+1, scenario,
		fmt.Sprintf("self approval refused %v, approved retry ran %v, second use refused %v", selfRefused, ran, reused))
}

// human returns a client signing as the named human, nil if the configuration gives them
// no key.
func human(inst *local.Instance, name string) *client.Client {
	for _, h := range inst.Config.Operators {
		if h.Name == name && h.AccessKeyID != "" {
			return client.New(inst.URL, inst.Config.Region, h.AccessKeyID, h.SecretAccessKey)
		}
	}
	return nil
}
