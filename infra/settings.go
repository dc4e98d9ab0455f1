package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/ocsf"
)

// contextSettings adds to env (and grants role) the optional settings of the stack context
// that function f uses: the action budget and the masking key on every API function, the
// Bedrock model on the functions that classify (session, and mcp's open_session), the OCSF bus on the shipper.
func (m *Mandate) contextSettings(f Function, env map[string]*string, role awsiam.Role) {
	c := m.Config
	part, region, account := *m.Stack.Partition(), *m.Stack.Region(), *m.Stack.Account()
	if !f.async() {
		if c.MaxActions > 0 {
			env[config.EnvMaxActions] = jsii.String(itoa(c.MaxActions))
		}
		if c.MaskKeySecret != "" {
			env[config.EnvMaskKeyRef] = jsii.String(c.MaskKeySecret)
			res := c.MaskKeySecret // a full ARN: exactly this secret
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("ReadMaskingKey"), Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: jsii.Strings(res),
			}))
		}
	}
	if (f.Name == "session" || f.Name == "mcp") && c.BedrockModel != "" { // both open sessions
		env[config.EnvBedrockModel] = jsii.String(c.BedrockModel)
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("AskIntentModel"), Actions: jsii.Strings("bedrock:InvokeModel"),
			Resources: jsii.Strings("arn:" + part + ":bedrock:" + region + "::foundation-model/" + c.BedrockModel),
		}))
	}
	if f.Name == "shipper" && c.OCSFEventBus != "" {
		env[ocsf.EnvEventBus] = jsii.String(c.OCSFEventBus)
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ForwardOCSF"), Actions: jsii.Strings("events:PutEvents"),
			Resources: jsii.Strings("arn:" + part + ":events:" + region + ":" + account + ":event-bus/" + c.OCSFEventBus),
		}))
	}
}
