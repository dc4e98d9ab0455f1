package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/revoke"
)

// Who may call a function's routes. Each kind gets its own IAM role (api.go), and an agent
// can never reach an operator's or administrator's route.
const (
	CallerAgent    = "agent"
	CallerOperator = "operator"
	CallerAdmin    = "admin"
)

// TargetRoleTag marks the IAM roles the broker may assume (NewTargetRole sets it); the action
// function's role can assume no other role.
const TargetRoleTag, TargetRoleTagValue = "mandate:target", "true"

// Function is one Lambda function of the authority: adding a function is one entry in Catalog.
type Function struct {
	// Name is the folder under functions/ and under the asset directory.
	Name string
	// Routes are API Gateway route keys (edge.*Routes); none for event-driven functions.
	Routes []string
	// Caller is CallerAgent, CallerOperator or CallerAdmin for API functions.
	Caller string
	// Public are routes of Routes deployed without authorization: discovery documents only.
	Public []string
	// OwnBearer are routes of Routes that, with agentAuth jwt, are deployed without the JWT
	// authorizer: the function verifies the bearer token itself, against the same issuers,
	// so that its 401 can say where the resource metadata is (edge.mcpBearer).
	OwnBearer []string
	// MemoryMB and Timeout size the function.
	MemoryMB int
	Timeout  time.Duration
	// Grant gives the function's role exactly what it needs, on resources only.
	Grant func(m *Mandate, role awsiam.Role)
	// Env adds environment variables beyond the store's (names are constants of shared/).
	Env func(m *Mandate) map[string]string
	// Wire connects an event-driven function to its source (stream, schedule).
	Wire func(m *Mandate, fn awslambda.Function)
	// ReachesTargets says the function calls targets (the broker and executors): it runs in
	// the VPC of the stack context (CtxVPC), when one is given.
	ReachesTargets bool
}

// Catalog is every function Mandate has, in flow order.
var Catalog = []Function{
	{Name: "session", Routes: edge.SessionRoutes, Caller: CallerAgent, MemoryMB: 512, Timeout: 10 * time.Second,
		Grant: func(m *Mandate, r awsiam.Role) {
			m.grantTables("session", r)
			m.grantAudit(r, true)
		}},
	{Name: "action", Routes: edge.ActionRoutes, Caller: CallerAgent, MemoryMB: 1024, Timeout: 30 * time.Second, ReachesTargets: true,
		Grant: func(m *Mandate, r awsiam.Role) {
			m.grantTables("action", r)
			m.grantAudit(r, true)
			m.grantBroker(r)
		}},
	// The MCP front door (POST /mcp) is a function of its own rather than the action
	// function: its open_session tool creates sessions, a PutItem on the sessions table that
	// the action role must never hold (it could rewrite a session whole), while its tool calls
	// act and so broker like the action function (target roles trust both, TargetRoleProps.MCP).
	// The gate is stateless (mcpgate.NewStateless): any instance serves any call of a session.
	// Its Protected Resource Metadata (RFC 9728) is public: bearer clients read it to find the
	// trusted issuers before they hold a token.
	// With agentAuth jwt, POST /mcp has no authorizer: API Gateway's JWT authorizer answers
	// 401 without the resource_metadata challenge MCP clients discover issuers by.
	{Name: "mcp", Routes: edge.MCPRoutes, Public: []string{edge.RouteMCPMetadata}, OwnBearer: []string{edge.RouteMCP}, Caller: CallerAgent, MemoryMB: 1024, Timeout: 30 * time.Second, ReachesTargets: true,
		Grant: func(m *Mandate, r awsiam.Role) {
			m.grantTables("mcp", r)
			m.grantAudit(r, true)
			m.grantBroker(r)
		}},
	{Name: "approval", Routes: edge.ApprovalRoutes, Caller: CallerOperator, MemoryMB: 512, Timeout: 10 * time.Second,
		Grant: func(m *Mandate, r awsiam.Role) {
			m.grantTables("approval", r)
			m.grantAudit(r, true)
		}},
	// The kill switch's timeout covers revocation's own bound (RevocationTimeout) plus the
	// records written before and after it.
	{Name: "killswitch", Routes: edge.KillRoutes, Caller: CallerOperator, MemoryMB: 512, Timeout: RevocationTimeout + 10*time.Second,
		Grant: func(m *Mandate, r awsiam.Role) {
			m.grantTables("killswitch", r)
			m.grantAudit(r, true)
			m.grantRevocation(r)
		},
		// Target roles of other accounts are revoked through their revocation roles.
		Env: func(m *Mandate) map[string]string { return map[string]string{config.EnvAccount: *m.Stack.Account()} }},
	{Name: "admin", Routes: edge.AdminRoutes, Caller: CallerAdmin, MemoryMB: 512, Timeout: 15 * time.Second,
		Grant: func(m *Mandate, r awsiam.Role) {
			m.grantTables("admin", r)
			m.grantAudit(r, true)
		}},
	{Name: "audit", Routes: edge.AuditRoutes, Caller: CallerAgent, MemoryMB: 512, Timeout: 15 * time.Second,
		Grant: func(m *Mandate, r awsiam.Role) {
			m.grantTables("audit", r)
			m.grantAudit(r, false)
		}},
	{Name: "shipper", MemoryMB: 512, Timeout: 60 * time.Second,
		Grant: func(m *Mandate, r awsiam.Role) { m.grantArchiveWrite(r, "audit/") },
		Env:   func(m *Mandate) map[string]string { return m.archiveEnv() },
		Wire: func(m *Mandate, fn awslambda.Function) {
			fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(m.Tables.Audit, &awslambdaeventsources.DynamoEventSourceProps{
				StartingPosition:  awslambda.StartingPosition_TRIM_HORIZON,
				BatchSize:         jsii.Number(100),
				MaxBatchingWindow: awscdk.Duration_Seconds(jsii.Number(5)),
				// No bisecting: archive object names assume a retried batch starts at the record
				// the shipper reported, and no retry limit: a record that cannot be shipped
				// holds its shard (the iterator-age alarm fires) until the stream's 24 hours
				// run out, rather than being skipped; only then does the DLQ get its pointer.
				BisectBatchOnError:      jsii.Bool(false),
				ReportBatchItemFailures: jsii.Bool(true),
				OnFailure:               awslambdaeventsources.NewSqsDlq(m.DLQ),
			}))
			suppress(m.Roles["shipper"], "IAM5", "dynamodb:ListStreams, which the stream event source needs, has no resource-level permissions", "Resource::*")
		}},
	{Name: "checkpoint", MemoryMB: 512, Timeout: 5 * time.Minute,
		Grant: func(m *Mandate, r awsiam.Role) {
			m.grantArchiveRead(r)
			m.grantArchiveWrite(r, "checkpoints/")
			m.SigningKey.Grant(r, *jsii.Strings("kms:Sign", "kms:GetPublicKey", "kms:DescribeKey")...)
		},
		Env: func(m *Mandate) map[string]string {
			env := m.archiveEnv()
			env[checkpoint.EnvKMSKey] = *m.SigningKey.KeyArn()
			return env
		},
		Wire: func(m *Mandate, fn awslambda.Function) { m.schedule(fn) }},
}

// Available returns the catalog entries whose functions/<name> folder exists under root, so the
// stack deploys exactly the functions the repository has.
func Available(root string) []Function {
	var out []Function
	for _, f := range Catalog {
		if _, err := os.Stat(filepath.Join(root, "functions", f.Name, "main.go")); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// async reports whether the function is invoked by events, not by the API.
func (f Function) async() bool { return len(f.Routes) == 0 }

// functions creates the dead-letter queue, then one role, log group and function per entry.
func (m *Mandate) functions(fs []Function, assetDir string) {
	s := m.Stack
	m.Functions = map[string]awslambda.Function{}
	m.Roles = map[string]awsiam.Role{}
	m.DLQ = awssqs.NewQueue(s, jsii.String("DeadLetters"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: m.DataKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
	})
	storeEnv := map[string]string{config.EnvStore: config.StoreDynamoDB, config.EnvLogLevel: m.Config.LogLevel}
	for k, v := range m.Tables.Env() {
		storeEnv[k] = v
	}
	if m.Config.Issuers != "" {
		storeEnv[config.EnvIssuers] = m.Config.Issuers
	}
	for _, f := range fs {
		id := title(f.Name)
		role := awsiam.NewRole(s, jsii.String(id+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("Mandate " + f.Name + " function"),
		})
		logs := awslogs.NewLogGroup(s, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
			LogGroupName:  jsii.String("/aws/lambda/mandate-" + m.Config.Stage + "-" + f.Name),
			Retention:     awslogs.RetentionDays_ONE_YEAR,
			EncryptionKey: m.DataKey,
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		logs.GrantWrite(role)
		env := map[string]*string{}
		if !f.async() {
			for k, v := range storeEnv {
				env[k] = jsii.String(v)
			}
		} else {
			env[config.EnvLogLevel] = jsii.String(m.Config.LogLevel)
		}
		if f.Env != nil {
			for k, v := range f.Env(m) {
				env[k] = jsii.String(v)
			}
		}
		props := &awslambda.FunctionProps{
			FunctionName:          jsii.String("mandate-" + m.Config.Stage + "-" + f.Name),
			Description:           jsii.String("Mandate " + f.Name),
			Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:          awslambda.Architecture_ARM_64(),
			Handler:               jsii.String("bootstrap"),
			Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Join(assetDir, f.Name)), nil),
			MemorySize:            jsii.Number(f.MemoryMB),
			Timeout:               awscdk.Duration_Seconds(jsii.Number(f.Timeout.Seconds())),
			Role:                  role,
			LogGroup:              logs,
			LoggingFormat:         awslambda.LoggingFormat_JSON,
			Environment:           &env,
			EnvironmentEncryption: m.DataKey,
		}
		if n, ok := m.Config.Reserved[f.Name]; ok {
			props.ReservedConcurrentExecutions = jsii.Number(n)
		}
		if f.async() {
			props.DeadLetterQueue = m.DLQ
			props.RetryAttempts = jsii.Number(2)
		}
		m.contextSettings(f, env, role) // settings.go
		fn := awslambda.NewFunction(s, jsii.String(id+"Function"), props)
		m.placeInVPC(f, fn, role)
		f.Grant(m, role)
		suppressDataKey(role)
		m.Functions[f.Name] = fn
		m.Roles[f.Name] = role
		if f.Wire != nil {
			f.Wire(m, fn)
		}
	}
}

// placeInVPC puts a function that reaches targets in the context's subnets and security
// groups, and lets its role manage the network interfaces Lambda creates there (the managed
// policy Lambda documents for this; its ec2 actions have no resource-level form).
func (m *Mandate) placeInVPC(f Function, fn awslambda.Function, role awsiam.Role) {
	v := m.Config.VPC
	if v == nil || !f.ReachesTargets {
		return
	}
	cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	cfn.AddPropertyOverride(jsii.String("VpcConfig"), map[string]any{"SubnetIds": v.Subnets, "SecurityGroupIds": v.SecurityGroups})
	role.AddManagedPolicy(awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("service-role/AWSLambdaVPCAccessExecutionRole")))
	suppress(role, "IAM4", "Lambda's network interfaces in the target VPC: the documented managed policy, whose ec2 actions have no resource-level permissions",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
}

// grantBroker lets a brokering function's role (action, mcp) assume target roles, and only roles tagged
// TargetRoleTag, with session tags and a source identity (shared/broker).
func (m *Mandate) grantBroker(r awsiam.Role) {
	r.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("AssumeMandateTargetRoles"),
		Actions:   jsii.Strings("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"),
		Resources: jsii.Strings("arn:" + *m.Stack.Partition() + ":iam::*:role/*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:ResourceTag/" + TargetRoleTag: TargetRoleTagValue},
		},
	}))
	suppress(r, "IAM5", "target roles may live in any account; the statement only matches roles tagged "+TargetRoleTag+"="+TargetRoleTagValue,
		"Resource::arn:<AWS::Partition>:iam::*:role/*")
	// Secrets injected into http targets' requests (and the masking key): only secrets
	// tagged for Mandate, in this account and Region.
	r.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadMandateTargetSecrets"),
		Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
		Resources: jsii.Strings("arn:" + *m.Stack.Partition() + ":secretsmanager:" + *m.Stack.Region() + ":" + *m.Stack.Account() + ":secret:*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"secretsmanager:ResourceTag/" + TargetRoleTag: TargetRoleTagValue},
		},
	}))
	suppress(r, "IAM5", "target secrets are named by the targets registry; the statement only matches secrets tagged "+TargetRoleTag+"="+TargetRoleTagValue,
		"Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:*")
}

// RevocationActions are the IAM calls of shared/revoke: it reads a target role's permissions
// boundary (GetRole), then lists, reads, writes and deletes versions of that revocation
// policy, and nothing else.
var RevocationActions = append(slices.Clone(revocationReads), revocationWrites...)

// revocationReads are granted on tagged target roles, revocationWrites on revocation policies.
var (
	revocationReads  = []string{"iam:GetRole"}
	revocationWrites = []string{"iam:ListPolicyVersions", "iam:GetPolicyVersion", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion"}
)

// RevocationTimeout is how long a kill allows itself to revoke on target roles
// (shared/authority's revocation bound); the kill switch function's timeout exceeds it.
const RevocationTimeout = authority.RevocationTimeout

// grantRevocation lets the kill switch write the revocation policies of target roles (the
// customer-managed policies under revoke.PolicyPath that are their permissions boundaries)
// in this account, and assume the revocation role of any other account. It may not change a
// role, nor any other policy: a boundary only takes permissions away, so what it writes can
// never grant a target role anything.
func (m *Mandate) grantRevocation(r awsiam.Role) {
	for _, st := range revocationStatements(*m.Stack.Partition(), *m.Stack.Account()) {
		r.AddToPrincipalPolicy(st)
	}
	r.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("AssumeRevocationRoles"),
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: jsii.Strings("arn:" + *m.Stack.Partition() + ":iam::*:role/" + revoke.RevocationRoleName),
	}))
	suppress(r, "IAM5", "the kill switch reads target roles only (tagged "+TargetRoleTag+"="+TargetRoleTagValue+"), writes revocation policies only (path "+revoke.PolicyPath+"), and assumes the revocation role of any account",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:policy"+revoke.PolicyPath+"*",
		"Resource::arn:<AWS::Partition>:iam::*:role/"+revoke.RevocationRoleName)
}

// revocationStatements are the grants of revocation in one account: read the tagged target
// roles (to find their revocation policy), and write versions of revocation policies.
func revocationStatements(partition, account string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadMandateTargetRoles"),
			Actions:   jsii.Strings(revocationReads...),
			Resources: jsii.Strings("arn:" + partition + ":iam::" + account + ":role/*"),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"iam:ResourceTag/" + TargetRoleTag: TargetRoleTagValue},
			},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("WriteRevocationPolicies"),
			Actions:   jsii.Strings(revocationWrites...),
			Resources: jsii.Strings("arn:" + partition + ":iam::" + account + ":policy" + revoke.PolicyPath + "*"),
		}),
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// checkFunctions reports functions listed twice or missing their bootstrap.
func checkFunctions(fs []Function, assetDir string) error {
	var errs []string
	seen := map[string]bool{}
	for _, f := range fs {
		if seen[f.Name] {
			errs = append(errs, "function "+f.Name+" listed twice")
		}
		seen[f.Name] = true
		if _, err := os.Stat(filepath.Join(assetDir, f.Name, "bootstrap")); err != nil {
			errs = append(errs, fmt.Sprintf("function %s: no bootstrap in %s (run `make build`)", f.Name, filepath.Join(assetDir, f.Name)))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("infra: %v", errs)
	}
	return nil
}
