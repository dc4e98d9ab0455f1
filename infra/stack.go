package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// MandateStackProps configures NewMandateStack.
type MandateStackProps struct {
	awscdk.StackProps
	// Config is the validated context (ConfigFromContext).
	Config Config
	// Functions are the catalog entries to deploy (see Catalog and Available).
	Functions []Function
	// AssetDir holds one folder per function with its bootstrap binary: AssetDir/<name>/bootstrap
	// (the Makefile's build/ folder).
	AssetDir string
}

// Mandate is the deployed authority: every resource a concern file creates, for the ones after it.
type Mandate struct {
	Stack  awscdk.Stack
	Config Config

	// keys.go
	DataKey    awskms.Key // encrypts tables, buckets, queues and logs
	SigningKey awskms.Key // signs checkpoints (ECC_NIST_P256, SIGN_VERIFY)

	// tables.go
	Tables Tables

	// archive.go
	AccessLogs    awss3.Bucket // server access logs of the other buckets
	Archive       awss3.Bucket // the audit archive: Object Lock COMPLIANCE
	AthenaResults awss3.Bucket

	// functions.go
	DLQ       awssqs.Queue // failed asynchronous invocations and stream batches
	Functions map[string]awslambda.Function
	Roles     map[string]awsiam.Role // one per function

	// api.go
	API         awsapigatewayv2.HttpApi
	Stage       awsapigatewayv2.CfnStage
	CallerRoles map[string]awsiam.Role // agent, operator, admin
}

// NewMandateStack builds the whole authority, one concern after another in flow order.
func NewMandateStack(scope constructs.Construct, id string, props *MandateStackProps) *Mandate {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	m := &Mandate{Stack: stack, Config: props.Config}
	awscdk.Tags_Of(stack).Add(jsii.String("mandate:stage"), jsii.String(props.Config.Stage), nil)
	m.keys()
	m.tables()
	m.archive()
	m.functions(props.Functions, props.AssetDir)
	m.api()
	m.callerRoles()
	m.analytics()
	m.monitoring()
	m.outputs()
	return m
}

func (m *Mandate) outputs() {
	out := func(id, value, desc string) {
		awscdk.NewCfnOutput(m.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: jsii.String(value), Description: jsii.String(desc)})
	}
	out("ApiEndpoint", *m.API.ApiEndpoint(), "Mandate's HTTP API (SigV4 service execute-api)")
	out("ArchiveBucket", *m.Archive.BucketName(), "audit archive with Object Lock COMPLIANCE")
	out("AuditTable", *m.Tables.Audit.TableName(), "audit table (hash chains)")
	for _, name := range []string{"agent", "operator", "admin"} {
		if r, ok := m.CallerRoles[name]; ok {
			out(title(name)+"RoleArn", *r.RoleArn(), "assume to call the "+name+" routes")
		}
	}
	if r, ok := m.Roles["action"]; ok {
		out("BrokerRoleArn", *r.RoleArn(), "the principal target roles trust (NewTargetRole)")
	}
	if r, ok := m.Roles["mcp"]; ok {
		out("MCPBrokerRoleArn", *r.RoleArn(), "the other principal target roles trust, for tool calls through /mcp (TargetRoleProps.MCP)")
	}
	if r, ok := m.Roles["killswitch"]; ok {
		out("KillSwitchRoleArn", *r.RoleArn(), "the only principal revocation roles trust (NewRevocationRole)")
	}
}

func title(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
