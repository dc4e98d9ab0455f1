package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
)

// awsRecords is how many records the AWS scenario adds to the session's chain: the refusal.
const awsRecords = 1

// orderKey is the DynamoDB key of the order the agent names.
var orderKey = map[string]any{"id": map[string]any{"S": "o-42"}}

// awsScenario: the agent tries DeleteItem on the DynamoDB orders table. Policy forbids
// deletes on that target, so the action is refused and recorded before the broker is asked
// for anything: no role is assumed, no credential exists. It needs no AWS account.
func awsScenario(ctx context.Context, n *narrator, inst *local.Instance, agent *client.Client, session string) {
	n.say("\n4c. The agent tries to delete order o-42 from the DynamoDB table of target %q:\n     dynamodb:DeleteItem on %s", local.DemoAWSTarget, local.DemoOrdersTableARN)
	_, err := agent.Act(ctx, session, api.ActionRequest{Action: api.Action{Kind: api.KindAWS, Target: local.DemoAWSTarget,
		Service: "dynamodb", Operation: "DeleteItem", Resource: local.DemoOrdersTableARN, Params: map[string]any{"Key": orderKey}}})
	var pe *client.ProblemError
	if !errors.As(err, &pe) {
		n.say("   -> %v", err)
		n.expect(false, "aws delete", "the DeleteItem was not refused")
		return
	}
	n.say("   -> denied (%d) by %v", pe.Status, pe.Reasons)
	if pe.Record != nil {
		n.say("   -> recorded as #%d; refused before minting: no role was assumed, no credential exists", pe.Record.Seq)
	}
	n.expect(pe.Status == http.StatusForbidden && slices.Contains(pe.Reasons, "forbid-delete-orders") && pe.Record != nil, "aws delete",
		fmt.Sprintf("status %d, reasons %v", pe.Status, pe.Reasons))
	explainScenario(ctx, n, inst, session)
}

// explainScenario explains an allowed GetItem in the demo session, as `mandate explain
// --data DIR --session ID` does: what the broker would ask STS for. Local mode has no STS, so
// the demo shows the credential instead of using it; the plan is computed by the code Mint
// uses, and nothing is recorded.
func explainScenario(ctx context.Context, n *narrator, inst *local.Instance, session string) {
	act := api.Action{Kind: api.KindAWS, Target: local.DemoAWSTarget, Service: "dynamodb", Operation: "GetItem",
		Resource: local.DemoOrdersTableARN, Params: map[string]any{"Key": orderKey}}
	n.say("\n   Reading one order (dynamodb:GetItem) is allowed for this session. Local mode has no STS, so")
	n.say("   the demo performs no AWS action; `mandate explain --session %s` shows the AssumeRole", session)
	n.say("   request the action function would make in AWS (nothing executed, minted or recorded; the\n   session name and the record tag end in the decision record's hash when it runs):")
	ex, err := inst.Explain(ctx, session, act)
	if err != nil {
		n.say("   -> %v", err)
		n.expect(false, "explain", "the action could not be explained")
		return
	}
	n.say("   -> verdict %s by %v", ex.Verdict, ex.Reasons)
	if ex.Mint == nil {
		n.say("   -> nothing would be minted: %s", ex.MintError)
		n.expect(false, "explain", "no mint plan for an allowed GetItem")
		return
	}
	m := ex.Mint
	n.say("   -> %s: AssumeRole %s as %s, SourceIdentity %s, %d s, usable for %s", m.Kind, m.RoleARN, m.RoleSessionName, m.SourceIdentity, m.DurationSeconds, m.Lifetime)
	n.say("   -> session tags %s", summaryTags(m.Tags))
	var pol broker.SessionPolicy
	_ = json.Unmarshal(m.SessionPolicy, &pol)
	pretty, _ := json.MarshalIndent(pol, "      ", "  ")
	n.say("   -> session policy:\n      %s", pretty)
	ok := ex.Verdict == api.VerdictAllow && m.Kind == "sts-session" && m.DurationSeconds == broker.DurationSeconds &&
		m.SourceIdentity == "asserted."+local.DefaultOperator && len(pol.Statement) == 1 &&
		slices.Equal(pol.Statement[0].Action, []string{"dynamodb:GetItem"}) && slices.Equal(pol.Statement[0].Resource, []string{local.DemoOrdersTableARN}) &&
		pol.Statement[0].Condition["DateLessThan"]["aws:CurrentTime"] != ""
	n.expect(ok, "explain", fmt.Sprintf("verdict %s, mint %s, policy %s", ex.Verdict, m.Kind, m.SessionPolicy))
}

func summaryTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return strings.Join(parts, " ")
}
