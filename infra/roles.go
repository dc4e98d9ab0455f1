package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/config"
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
	role := awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewArnPrincipal(props.Broker.RoleArn()),
		RoleName:    props.RoleName,
		Description: props.Description,
		// Revocation denies are swept after this (config.MaxTargetCredentialLifetime).
		MaxSessionDuration: awscdk.Duration_Seconds(jsii.Number(config.MaxTargetCredentialLifetime.Seconds())),
	})
	// The trust policy is replaced whole, so no unconditioned statement from AssumedBy remains.
	role.Node().DefaultChild().(awsiam.CfnRole).SetAssumeRolePolicyDocument(trust)
	awscdk.Tags_Of(role).Add(jsii.String(TargetRoleTag), jsii.String(TargetRoleTagValue), nil)
	return role
}
