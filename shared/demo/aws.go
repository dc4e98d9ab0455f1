package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/local"
)

// orderKey is the DynamoDB key of the order the agent names.
var orderKey = map[string]any{"id": map[string]any{"S": "o-42"}}

// awsReads is how many times the agent reads the order when an AWS endpoint answers: the
// second read shows the credential reused.
const awsReads = 2

// awsScenario: the agent tries DeleteItem on the DynamoDB orders table. Policy forbids
// deletes on that target, so the action is refused and recorded before the broker is asked
// for anything: no role is assumed, no credential exists. Then it reads one order, which
// policy allows: through STS against the AWS endpoint when there is one, explained otherwise.
// It returns how many records it added to the session's chain.
func awsScenario(ctx context.Context, n *narrator, inst *local.Instance, agent *client.Client, session string, rt http.RoundTripper) int {
	n.say("\n4c. The agent tries to delete order o-42 from the DynamoDB table of target %q:\n     dynamodb:DeleteItem on %s", local.DemoAWSTarget, local.DemoOrdersTableARN)
	_, err := agent.Act(ctx, session, api.ActionRequest{Action: api.Action{Kind: api.KindAWS, Target: local.DemoAWSTarget,
		Service: "dynamodb", Operation: "DeleteItem", Resource: local.DemoOrdersTableARN, Params: map[string]any{"Key": orderKey}}})
	var pe *client.ProblemError
	if !errors.As(err, &pe) {
		n.say("   -> %v", err)
		n.expect(false, "aws delete", "the DeleteItem was not refused")
		return 1
	}
	n.say("   -> denied (%d) by %v", pe.Status, pe.Reasons)
	if pe.Record != nil {
		n.say("   -> recorded as #%d; refused before minting: no role was assumed, no credential exists", pe.Record.Seq)
	}
	n.expect(pe.Status == http.StatusForbidden && slices.Contains(pe.Reasons, "forbid-delete-orders") && pe.Record != nil, "aws delete",
		fmt.Sprintf("status %d, reasons %v", pe.Status, pe.Reasons))
	var why string
	switch {
	case inst.AWSEndpoint == "":
		why = "no AWS endpoint (mandate demo --aws-endpoint http://127.0.0.1:5000 with moto_server running)"
	default:
		if err := setupAWS(ctx, inst.AWSEndpoint, inst.Config.Region, rt); err != nil {
			why = fmt.Sprintf("the AWS endpoint %s does not answer (%v)", inst.AWSEndpoint, err)
		}
	}
	if why != "" {
		n.say("\n   Reading one order is allowed, but %s: it is explained, not performed.", why)
		explainScenario(ctx, n, inst, session)
		return 1
	}
	return 1 + getItemScenario(ctx, n, inst, agent, session)
}

// getItemScenario reads order o-42 through Mandate against the AWS endpoint, twice: the
// broker assumes the target role through STS with the session policy, SourceIdentity and
// tags, the executor calls GetItem with the minted credential, the answer is masked and both
// decision and result are recorded. The second read reuses the credential. It returns how
// many records it added.
func getItemScenario(ctx context.Context, n *narrator, inst *local.Instance, agent *client.Client, session string) int {
	n.say("\n4d. The agent reads order o-42 (dynamodb:GetItem on %s) through Mandate,\n     against the AWS endpoint %s, twice", local.DemoOrdersTableARN, inst.AWSEndpoint)
	reused0, assumed0 := inst.Broker().ReuseStats()
	records, ok := 0, true
	var last api.ActionResponse
	for i := range awsReads {
		res, err := agent.Act(ctx, session, api.ActionRequest{Action: api.Action{Kind: api.KindAWS, Target: local.DemoAWSTarget,
			Service: "dynamodb", Operation: "GetItem", Resource: local.DemoOrdersTableARN, Params: map[string]any{"Key": orderKey}}})
		if err != nil {
			n.say("   -> %v", err)
			n.expect(false, "aws read", "the GetItem was refused")
			return records + 1
		}
		records += 2
		body, _ := json.Marshal(res.Result)
		ok = ok && res.Verdict == api.VerdictAllow && res.Status == http.StatusOK && leaks(string(body)) == "" && strings.Contains(string(body), `"email":{"S":"[EMAIL]"}`)
		if i == 0 {
			n.say("   -> allowed by %v; DynamoDB answered %d, masked:\n      %s", res.Reasons, res.Status, body)
			n.say("   -> masked values: %s; recorded as #%d", summary(res.Masking), res.Record.Seq)
		}
		last = res
	}
	reused, assumed := inst.Broker().ReuseStats()
	reused, assumed = reused-reused0, assumed-assumed0
	chain, err := agent.Audit(ctx, session)
	credential := ""
	if err == nil {
		for _, raw := range chain.Records {
			var r audit.Record
			b, _ := json.Marshal(raw)
			if json.Unmarshal(b, &r) == nil && r.Result != nil && r.Seq == last.Record.Seq { // the response names the result record
				credential = r.Result.Credential
			}
		}
	}
	n.say("   -> STS AssumeRole calls: %d for %d reads (the second reused the credential: same session,\n      action and resource, inside its window); recorded credential: %s", assumed, awsReads, credential)
	n.say("   -> the AssumeRole request, as `mandate explain --session %s` shows it:", session)
	explainPlan(ctx, n, inst, session)
	n.expect(ok && assumed == 1 && reused == awsReads-1 && strings.HasPrefix(credential, "sts-session"), "aws read",
		fmt.Sprintf("answers as expected %v, %d AssumeRole, %d reused, credential %q", ok, assumed, reused, credential))
	return records
}

// explainScenario explains an allowed GetItem in the demo session, as `mandate explain
// --data DIR --session ID` does: what the broker would ask STS for. Without an AWS endpoint
// the demo shows the credential instead of using it; the plan is computed by the code Mint
// uses, and nothing is recorded.
func explainScenario(ctx context.Context, n *narrator, inst *local.Instance, session string) {
	n.say("   `mandate explain --session %s` shows the AssumeRole request the action function would", session)
	n.say("   make in AWS (nothing executed, minted or recorded; the session name and the record tag\n   end in the decision record's hash when it runs):")
	explainPlan(ctx, n, inst, session)
}

// explainPlan prints and checks the plan of an allowed GetItem in the session.
func explainPlan(ctx context.Context, n *narrator, inst *local.Instance, session string) {
	act := api.Action{Kind: api.KindAWS, Target: local.DemoAWSTarget, Service: "dynamodb", Operation: "GetItem",
		Resource: local.DemoOrdersTableARN, Params: map[string]any{"Key": orderKey}}
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

// setupAWS prepares the AWS endpoint as the orders target's administrator would: the
// target role mandate-orders with the trust policy a deployed target role has
// (broker.TrustPolicy, naming the identity Mandate calls STS as), and the orders table
// holding order o-42 with customer 42's contact details. What exists already is kept; the
// order is written again.
func setupAWS(ctx context.Context, endpoint, region string, rt http.RoundTripper) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc := &http.Client{Transport: rt}
	creds := local.StandInCredentials()
	me, err := sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: hc, RetryMaxAttempts: 1}).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("sts GetCallerIdentity: %w", err)
	}
	trust, err := json.Marshal(broker.TrustPolicy(aws.ToString(me.Arn)))
	if err != nil {
		return err
	}
	role := strings.TrimPrefix(local.DemoOrdersRoleARN, "arn:aws:iam::123456789012:role/")
	_, err = iam.New(iam.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: hc, RetryMaxAttempts: 1}).
		CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(string(trust)),
			Description: aws.String("Mandate demo target role: only Mandate's broker, with session tags and a source identity"),
			Tags:        []iamtypes.Tag{{Key: aws.String("mandate:target"), Value: aws.String("true")}}})
	var exists *iamtypes.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("iam CreateRole: %w", err)
	}
	db := dynamodb.New(dynamodb.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: hc, RetryMaxAttempts: 1})
	table := aws.String(strings.TrimPrefix(local.DemoOrdersTableARN, "arn:aws:dynamodb:us-east-1:123456789012:table/"))
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: table, BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}}})
	var inUse *ddbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamodb CreateTable: %w", err)
	}
	var grace crm.Customer
	for _, c := range crm.Seed() {
		if c.ID == "42" {
			grace = c
		}
	}
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: map[string]ddbtypes.AttributeValue{
		"id": s("o-42"), "customer": s(grace.ID), "name": s(grace.Name), "email": s(grace.Email), "card": s(grace.Card),
		"total": &ddbtypes.AttributeValueMemberN{Value: "129.90"}, "status": s("shipped"),
	}})
	if err != nil {
		return fmt.Errorf("dynamodb PutItem: %w", err)
	}
	return nil
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
