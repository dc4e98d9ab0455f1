package main

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/authority"
)

// StageName is the API stage: the default stage, so the endpoint has no stage path.
const StageName = "$default"

// accessLogFormat is one JSON line per request; it never holds a header, body or token.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.userArn","jwtSub":"$context.authorizer.claims.sub","time":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status","latency":"$context.responseLatency","integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error"}`

// api creates the HTTP API: every route of every deployed function, IAM authorization (or the
// JWT authorizer for agents, with agentAuth jwt), a throttled default stage with access logs.
func (m *Mandate) api() {
	s := m.Stack
	m.API = awsapigatewayv2.NewHttpApi(s, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String("mandate-" + m.Config.Stage),
		Description:        jsii.String("Mandate: the runtime authority for AI agents"),
		CreateDefaultStage: jsii.Bool(false),
	})
	logs := awslogs.NewLogGroup(s, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/apigateway/mandate-" + m.Config.Stage),
		Retention:     awslogs.RetentionDays_ONE_YEAR,
		EncryptionKey: m.DataKey,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	m.Stage = awsapigatewayv2.NewCfnStage(s, jsii.String("Stage"), &awsapigatewayv2.CfnStageProps{
		ApiId:      m.API.ApiId(),
		StageName:  jsii.String(StageName),
		AutoDeploy: jsii.Bool(true),
		DefaultRouteSettings: &awsapigatewayv2.CfnStage_RouteSettingsProperty{
			ThrottlingRateLimit:  jsii.Number(m.Config.ThrottleRate),
			ThrottlingBurstLimit: jsii.Number(m.Config.ThrottleBurst),
		},
		AccessLogSettings: &awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
			DestinationArn: logs.LogGroupArn(),
			Format:         jsii.String(accessLogFormat),
		},
	})

	iam := awsapigatewayv2authorizers.NewHttpIamAuthorizer()
	var agents awsapigatewayv2.IHttpRouteAuthorizer = iam
	if m.Config.AgentAuth == AgentAuthJWT {
		agents = awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("AgentJwt"), jsii.String(m.Config.OIDCIssuer),
			&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{JwtAudience: jsii.Strings(m.Config.OIDCAudiences...)})
	}
	for _, f := range m.deployed() {
		if f.async() {
			continue
		}
		integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(title(f.Name)+"Integration"), m.Functions[f.Name], nil)
		auth := awsapigatewayv2.IHttpRouteAuthorizer(iam)
		if f.Caller == CallerAgent {
			auth = agents
		}
		for _, key := range f.Routes {
			method, path, _ := strings.Cut(key, " ")
			routeAuth, public := auth, slices.Contains(f.Public, key)
			ownBearer := m.Config.AgentAuth == AgentAuthJWT && slices.Contains(f.OwnBearer, key)
			if public || ownBearer {
				routeAuth = awsapigatewayv2.NewHttpNoneAuthorizer()
			}
			routes := m.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
				Path:        jsii.String(path),
				Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(method)},
				Integration: integration,
				Authorizer:  routeAuth,
			})
			why := ""
			switch {
			case public:
				why = "a discovery document (RFC 9728 resource metadata) that clients read before they hold credentials; it names public issuers only"
			case ownBearer:
				why = "the function verifies the bearer token against the agents' issuers itself, so that its 401 names the RFC 9728 resource metadata, which the JWT authorizer's 401 cannot"
			}
			if why != "" {
				for _, r := range *routes {
					suppress(r, "APIG4", why)
				}
			}
		}
	}
}

// deployed returns the deployed catalog entries in catalog order.
func (m *Mandate) deployed() []Function {
	var out []Function
	for _, f := range Catalog {
		if _, ok := m.Functions[f.Name]; ok {
			out = append(out, f)
		}
	}
	return out
}

// routeARNs returns the execute-api ARNs of the routes callers of kind may invoke.
func (m *Mandate) routeARNs(kind string) []string {
	var out []string
	for _, f := range m.deployed() {
		if f.Caller != kind {
			continue
		}
		for _, key := range f.Routes {
			if slices.Contains(f.Public, key) {
				continue // anyone may read it: no caller role needs it
			}
			method, path, _ := strings.Cut(key, " ")
			out = append(out, *m.API.ArnForExecuteApi(jsii.String(method), jsii.String(pathPattern(path)), jsii.String(StageName)))
		}
	}
	return out
}

// routeARNsFinding matches the cdk-nag IAM5 findings of routeARNs: the wildcards stand for
// path parameters of exactly the listed routes; API, stage and method are fixed.
const routeARNsFinding = `/^Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api[A-F0-9]+>\/\$default\/(GET|POST|PUT|DELETE)\/v1\/[a-z\/*]+$/`

// pathPattern turns route parameters into the wildcards execute-api ARNs match paths with.
func pathPattern(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, "/")
}

// callerRoles creates one role per kind of caller whose only permission is execute-api:Invoke
// on that kind's routes: agents never reach an operator's or an administrator's route, and
// have no permission on anything else (zero direct connectivity).
func (m *Mandate) callerRoles() {
	m.CallerRoles = map[string]awsiam.Role{}
	for _, c := range []struct {
		kind       string
		principals []string
	}{
		{CallerAgent, m.Config.AgentPrincipals},
		{CallerOperator, m.Config.OperatorPrincipals},
		{CallerAdmin, m.Config.AdminPrincipals},
	} {
		arns := m.routeARNs(c.kind)
		if len(arns) == 0 {
			continue
		}
		if c.kind == CallerAgent && m.Config.AgentAuth == AgentAuthJWT {
			continue // OIDC agents carry a JWT, not an IAM role
		}
		var trust awsiam.IPrincipal = awsiam.NewAccountRootPrincipal()
		if len(c.principals) > 0 {
			var ps []awsiam.IPrincipal
			for _, a := range c.principals {
				ps = append(ps, awsiam.NewArnPrincipal(jsii.String(a)))
			}
			trust = awsiam.NewCompositePrincipal(ps...)
		}
		// AWS, not the caller, names each role session: the session name must be the
		// caller's IAM user name, or the value of the caller's tag (mandate-person for humans,
		// mandate-agent for workloads). The functions read the person or the agent from it.
		tag := SessionTagPerson
		if c.kind == CallerAgent {
			tag = SessionTagAgent
		}
		role := awsiam.NewRole(m.Stack, jsii.String(title(c.kind)+"CallerRole"), &awsiam.RoleProps{
			RoleName: jsii.String(m.callerRoleName(c.kind)),
			AssumedBy: awsiam.NewPrincipalWithConditions(trust, &map[string]any{
				"StringEquals": map[string]any{"sts:RoleSessionName": "${aws:username}"},
			}),
			Description:        jsii.String("Mandate " + c.kind + ": may only invoke the " + c.kind + " routes"),
			MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
			InlinePolicies: &map[string]awsiam.PolicyDocument{
				"InvokeRoutes": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
					Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
						Actions:   jsii.Strings("execute-api:Invoke"),
						Resources: jsii.Strings(arns...),
					})},
				}),
			},
		})
		role.AssumeRolePolicy().AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("sts:AssumeRole"),
			Principals: &[]awsiam.IPrincipal{trust},
			Conditions: &map[string]any{"StringEquals": map[string]any{"sts:RoleSessionName": "${aws:PrincipalTag/" + tag + "}"}},
		}))
		suppress(role, "IAM5", "the wildcards stand for the path parameters ({id}) of exactly this caller's routes; API, stage and method are fixed", routeARNsFinding)
		m.CallerRoles[c.kind] = role
	}
	m.humanEnv()
}

// Principal tags that name the person or agent behind a caller role session: an IAM role or
// user that may assume a caller role carries one, and its session name must equal it.
const (
	SessionTagPerson = "mandate-person"
	SessionTagAgent  = "mandate-agent"
)

// callerRoleName is the fixed name of a caller role, so its ARN can be written without a
// reference to the role (the functions name it, and the role's policy names the API that
// calls the functions: a reference would be a cycle).
func (m *Mandate) callerRoleName(kind string) string {
	return "mandate-" + m.Config.Stage + "-" + kind
}

// humanEnv tells the functions which identities are humans: whoever comes through the
// operator or the admin caller role. Each role session is one person (the session name, set
// by the identity provider, names them), so approvals and the two-person rule tell apart
// people who share a role.
func (m *Mandate) humanEnv() {
	arn := func(kind string) *string {
		return m.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("iam"), Region: jsii.String(""),
			Resource: jsii.String("role"), ResourceName: jsii.String(m.callerRoleName(kind))})
	}
	for _, fn := range m.Functions {
		if _, ok := m.CallerRoles[CallerAgent]; ok {
			// Every session of the agent caller role is its own agent (authority.Roles.SessionBound).
			fn.AddEnvironment(jsii.String(authority.EnvSessionBoundRoles), arn(CallerAgent), nil)
		}
		if _, ok := m.CallerRoles[CallerOperator]; ok {
			fn.AddEnvironment(jsii.String(authority.EnvOperators), arn(CallerOperator), nil)
		}
		if _, ok := m.CallerRoles[CallerAdmin]; ok {
			fn.AddEnvironment(jsii.String(authority.EnvAdmins), arn(CallerAdmin), nil)
		}
	}
}
