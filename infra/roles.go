package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TargetSessionTags are the session tags the broker sets on every AssumeRole (shared/broker):
// a target role refuses a session without all of them.
var TargetSessionTags = []string{"mandate:agent", "mandate:session", "mandate:intent", "mandate:record"}

// TargetRoleProps configures NewTargetRole.
type TargetRoleProps struct {
	// Broker is the action function's role (the stack's BrokerRoleArn output; in another app,
	// awsiam.Role_FromRoleArn). It is the only principal the target role trusts.
	Broker awsiam.IRole
	// RoleName is optional.
	RoleName *string
	// Description is optional.
	Description *string
}

// NewTargetRole creates a role that Mandate's broker can assume to act on a target, and that
// nobody else can: the trust policy names only the broker role, requires every session tag of
// TargetSessionTags (and no other tag keys) and a source identity (the operator), and the role
// carries TargetRoleTag so the broker's own policy allows it. Give it the permissions the
// target's actions need; the broker narrows each credential further with a session policy.
func NewTargetRole(scope constructs.Construct, id string, props *TargetRoleProps) awsiam.Role {
	requestTags := map[string]any{"sts:SourceIdentity": "?*"}
	for _, k := range TargetSessionTags {
		requestTags["aws:RequestTag/"+k] = "?*"
	}
	trust := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("OnlyMandateBrokerWithSessionTagsAndSourceIdentity"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(props.Broker.RoleArn())},
			Actions:    jsii.Strings("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"),
			Conditions: &map[string]any{
				"StringLike":                requestTags,
				"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": TargetSessionTags},
			},
		})},
	})
	role := awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		AssumedBy:          awsiam.NewArnPrincipal(props.Broker.RoleArn()),
		RoleName:           props.RoleName,
		Description:        props.Description,
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	// The trust policy is replaced whole, so no unconditioned statement from AssumedBy remains.
	role.Node().DefaultChild().(awsiam.CfnRole).SetAssumeRolePolicyDocument(trust)
	awscdk.Tags_Of(role).Add(jsii.String(TargetRoleTag), jsii.String(TargetRoleTagValue), nil)
	return role
}
