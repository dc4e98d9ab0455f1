package main

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/revoke"
)

// TargetSessionTags are the session tags the broker sets on every AssumeRole (shared/broker):
// a target role refuses a session without all of them.
var TargetSessionTags = []string{"mandate:agent", "mandate:session", "mandate:intent", "mandate:record"}

// TargetRoleProps configures NewTargetRole.
type TargetRoleProps struct {
	// Broker is the action function's role (the stack's BrokerRoleArn output; in another app,
	// awsiam.Role_FromRoleArn). It is the only principal the target role trusts.
	Broker awsiam.IRole
	// MCP is optional: the mcp function's role (the stack's MCPBrokerRoleArn output), which
	// brokers tool calls as the action function brokers actions. Without it, tool calls on
	// this target through /mcp are refused at AssumeRole.
	MCP awsiam.IRole
	// RoleName is optional.
	RoleName *string
	// Description is optional.
	Description *string
}

// NewTargetRole creates a role that Mandate's broker can assume to act on a target, and that
// nobody else can: the trust policy names only the broker roles (action's, and mcp's when
// given), requires every session tag of
// TargetSessionTags (and no other tag keys) and a source identity (the operator), and the role
// carries TargetRoleTag so the broker's own policy allows it. Give it the permissions the
// target's actions need; the broker narrows each credential further with a session policy.
// Its permissions boundary is its revocation policy (path revoke.PolicyPath), the only thing
// the kill switch may write: a role that needs a boundary of its own cannot be revoked on.
func NewTargetRole(scope constructs.Construct, id string, props *TargetRoleProps) awsiam.Role {
	tags := map[string]any{}
	for _, k := range TargetSessionTags {
		tags["aws:RequestTag/"+k] = "?*"
	}
	onlyTheseKeys := map[string]any{"aws:TagKeys": TargetSessionTags}
	identity := map[string]any{"sts:SourceIdentity": "?*"}
	both := map[string]any{}
	for k, v := range tags {
		both[k] = v
	}
	for k, v := range identity {
		both[k] = v
	}
	// One statement per STS action, each with the conditions its request carries: IAM
	// authorizes sts:TagSession and sts:SetSourceIdentity as actions of their own, and a
	// statement joining them under every condition refuses sts:TagSession.
	brokers := []awsiam.IPrincipal{awsiam.NewArnPrincipal(props.Broker.RoleArn())}
	if props.MCP != nil {
		brokers = append(brokers, awsiam.NewArnPrincipal(props.MCP.RoleArn()))
	}
	stmt := func(sid, action string, cond map[string]any) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(sid),
			Principals: &brokers,
			Actions:    jsii.Strings(action),
			Conditions: &cond,
		})
	}
	trust := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{
			stmt("OnlyMandateBrokerWithSessionTagsAndSourceIdentity", "sts:AssumeRole",
				map[string]any{"StringLike": both, "ForAllValues:StringEquals": onlyTheseKeys}),
			stmt("OnlyMandateSessionTags", "sts:TagSession",
				map[string]any{"StringLike": tags, "ForAllValues:StringEquals": onlyTheseKeys}),
			stmt("OnlyWithSourceIdentity", "sts:SetSourceIdentity",
				map[string]any{"StringLike": identity}),
		},
	})
	// The revocation policy: the role's permissions boundary, which the kill switch rewrites
	// (shared/revoke). It starts allowing everything the role's own policies grant.
	revocation := awsiam.NewManagedPolicy(scope, jsii.String(id+"Revocation"), &awsiam.ManagedPolicyProps{
		Path:        jsii.String(revoke.PolicyPath),
		Description: jsii.String("Mandate revocation: denies credentials issued before a kill (a permissions boundary: it grants nothing)"),
		Document:    awsiam.PolicyDocument_FromJson(emptyRevocation()),
	})
	suppress(revocation, "IAM5", "a permissions boundary grants nothing: its Allow * passes what the role's own policies grant, and its denies revoke",
		"Action::*", "Resource::*")
	role := awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewArnPrincipal(props.Broker.RoleArn()),
		RoleName:    props.RoleName,
		Description: props.Description,
		// Revocation denies are swept after this (config.MaxTargetCredentialLifetime).
		MaxSessionDuration:  awscdk.Duration_Seconds(jsii.Number(config.MaxTargetCredentialLifetime.Seconds())),
		PermissionsBoundary: revocation,
	})
	// The trust policy is replaced whole, so no unconditioned statement from AssumedBy remains.
	role.Node().DefaultChild().(awsiam.CfnRole).SetAssumeRolePolicyDocument(trust)
	awscdk.Tags_Of(role).Add(jsii.String(TargetRoleTag), jsii.String(TargetRoleTagValue), nil)
	return role
}

// emptyRevocation is revoke.EmptyDocument as CDK takes it.
func emptyRevocation() map[string]any {
	var doc map[string]any
	if err := json.Unmarshal(revoke.EmptyDocument(), &doc); err != nil {
		panic("infra: revoke.EmptyDocument: " + err.Error())
	}
	return doc
}

// RevocationRoleProps configures NewRevocationRole.
type RevocationRoleProps struct {
	// KillSwitch is the kill switch function's role in the Mandate account (the stack's
	// KillSwitchRoleArn output, through awsiam.Role_FromRoleArn). It is the only principal
	// the revocation role trusts.
	KillSwitch awsiam.IRole
}

// NewRevocationRole creates, in an account that holds target roles of a Mandate in another
// account, the role its kill switch assumes to revoke there (named revoke.RevocationRoleName,
// the name the kill switch derives): trusted by the kill switch role only, allowed only to
// read this account's tagged target roles and write versions of their revocation policies.
// One per account.
func NewRevocationRole(scope constructs.Construct, id string, props *RevocationRoleProps) awsiam.Role {
	stack := awscdk.Stack_Of(scope)
	role := awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewArnPrincipal(props.KillSwitch.RoleArn()),
		RoleName:    jsii.String(revoke.RevocationRoleName),
		Description: jsii.String("Mandate kill switch: revokes credentials on this account's target roles"),
	})
	for _, st := range revocationStatements(*stack.Partition(), *stack.Account()) {
		role.AddToPrincipalPolicy(st)
	}
	suppress(role, "IAM5", "the revocation role reads target roles only (tagged "+TargetRoleTag+"="+TargetRoleTagValue+") and writes revocation policies only (path "+revoke.PolicyPath+")",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:policy"+revoke.PolicyPath+"*")
	return role
}
