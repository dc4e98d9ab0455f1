package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFromContext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		ctx     map[string]any
		want    func(*Config)
		wantErr []string
	}{
		{name: "defaults", ctx: map[string]any{}, want: func(*Config) {}},
		{name: "cdk.json values", ctx: map[string]any{CtxStage: "dev-1", CtxRetentionDays: float64(30), CtxThrottleRate: float64(5),
			CtxReserved: map[string]any{"action": float64(50)}, CtxAdminPrincipals: []any{"arn:aws:iam::123456789012:role/sec-admin"}},
			want: func(c *Config) {
				c.Stage, c.RetentionDays, c.ThrottleRate = "dev-1", 30, 5
				c.Reserved = map[string]int{"action": 50}
				c.AdminPrincipals = []string{"arn:aws:iam::123456789012:role/sec-admin"}
			}},
		{name: "-c strings", ctx: map[string]any{CtxRetentionDays: "90", CtxOIDCAudiences: "a, b", CtxAgentAuth: "jwt", CtxOIDCIssuer: "https://issuer.example.com"},
			want: func(c *Config) {
				c.RetentionDays, c.AgentAuth, c.OIDCIssuer, c.OIDCAudiences = 90, AgentAuthJWT, "https://issuer.example.com", []string{"a", "b"}
				// The edge trusts the agents' issuer the JWT authorizer checks (it refused every agent when unset).
				c.Issuers = `[{"issuer":"https://issuer.example.com","audiences":["a","b"],"algorithms":["RS256"],"discovery_url":"https://issuer.example.com/.well-known/openid-configuration","trust":"agent"}]`
			}},
		{name: "operator issuers in IAM mode", ctx: map[string]any{CtxIssuers: []any{map[string]any{"issuer": "https://login.example.com", "audiences": []any{"mandate"},
			"algorithms": []any{"ES256"}, "jwks_url": "https://login.example.com/jwks", "trust": "operator", "operator_claim": "email"}}},
			want: func(c *Config) {
				c.Issuers = `[{"issuer":"https://login.example.com","audiences":["mandate"],"algorithms":["ES256"],"jwks_url":"https://login.example.com/jwks","trust":"operator","operator_claim":"email"}]`
			}},
		{name: "issuers as a -c string", ctx: map[string]any{CtxIssuers: `[{"issuer":"https://i.example.com","audiences":["m"],"algorithms":["RS256"],"jwks_url":"https://i.example.com/k","trust":"agent"}]`},
			want: func(c *Config) {
				c.Issuers = `[{"issuer":"https://i.example.com","audiences":["m"],"algorithms":["RS256"],"jwks_url":"https://i.example.com/k","trust":"agent"}]`
			}},
		{name: "every problem at once", ctx: map[string]any{CtxStage: "Prod!", CtxRetentionDays: float64(0), CtxAgentAuth: "jwt",
			CtxOIDCIssuer: "http://x", CtxLogLevel: "loud", CtxReserved: map[string]any{"nope": float64(1)}, CtxAgentPrincipals: "not-an-arn"},
			wantErr: []string{CtxStage, CtxRetentionDays, CtxOIDCIssuer, CtxOIDCAudiences, CtxLogLevel, `names no function "nope"`, `"not-an-arn" is not an IAM or STS ARN`}},
		{name: "OIDC settings without jwt", ctx: map[string]any{CtxOIDCIssuer: "https://issuer.example.com"}, wantErr: []string{CtxAgentAuth}},
		{name: "issuer with HMAC", ctx: map[string]any{CtxIssuers: `[{"issuer":"https://i.example.com","audiences":["m"],"algorithms":["HS256"],"jwks_url":"https://i.example.com/k","trust":"agent"}]`}, wantErr: []string{CtxIssuers, "HS256"}},
		{name: "issuer over http", ctx: map[string]any{CtxIssuers: `[{"issuer":"https://i.example.com","audiences":["m"],"algorithms":["RS256"],"jwks_url":"http://i.example.com/k","trust":"agent"}]`}, wantErr: []string{CtxIssuers, "https"}},
		{name: "issuer with an unknown field", ctx: map[string]any{CtxIssuers: `[{"issuer":"https://i.example.com","trusted":"yes"}]`}, wantErr: []string{CtxIssuers}},
		{name: "issuer with a local key file", ctx: map[string]any{CtxIssuers: `[{"issuer":"https://i.example.com","audiences":["m"],"algorithms":["RS256"],"jwks_file":"k.json","trust":"agent"}]`}, wantErr: []string{CtxIssuers, "jwks_file"}},
		{name: "no issuer", ctx: map[string]any{CtxIssuers: `[]`}, wantErr: []string{CtxIssuers}},
		{name: "settings", ctx: map[string]any{CtxMaxActions: "25", CtxBedrockModel: "anthropic.claude-3-haiku-20240307-v1:0",
			CtxMaskKeySecret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mask-AbC123", CtxOCSFEventBus: "security-lake"},
			want: func(c *Config) {
				c.MaxActions, c.BedrockModel = 25, "anthropic.claude-3-haiku-20240307-v1:0"
				c.MaskKeySecret, c.OCSFEventBus = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mask-AbC123", "security-lake"
			}},
		{name: "bad settings", ctx: map[string]any{CtxMaxActions: float64(0), CtxBedrockModel: "claude; rm", CtxMaskKeySecret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mask",
			CtxOCSFEventBus: "arn:aws:events:x"}, wantErr: []string{CtxMaxActions, CtxBedrockModel, CtxMaskKeySecret, CtxOCSFEventBus}},
		{name: "vpc", ctx: map[string]any{CtxVPC: map[string]any{"subnets": []any{"subnet-0123456789abcdef0", "subnet-89abcdef"}, "securityGroups": []any{"sg-0123456789abcdef0"}}},
			want: func(c *Config) {
				c.VPC = &VPC{Subnets: []string{"subnet-0123456789abcdef0", "subnet-89abcdef"}, SecurityGroups: []string{"sg-0123456789abcdef0"}}
			}},
		{name: "vpc as a -c string", ctx: map[string]any{CtxVPC: `{"subnets":["subnet-0123456789abcdef0"],"securityGroups":["sg-01234567"]}`},
			want: func(c *Config) {
				c.VPC = &VPC{Subnets: []string{"subnet-0123456789abcdef0"}, SecurityGroups: []string{"sg-01234567"}}
			}},
		{name: "bad vpc ids", ctx: map[string]any{CtxVPC: map[string]any{"subnets": []any{"subnet-xyz", "subnet-89abcdef", "subnet-89abcdef"}, "securityGroups": []any{"sg-0123456789abcdef0", "vpc-01234567"}}},
			wantErr: []string{`"subnet-xyz" is not a subnet id`, `"subnet-89abcdef" is listed twice`, `"vpc-01234567" is not a security group id`}},
		{name: "vpc without groups", ctx: map[string]any{CtxVPC: map[string]any{"subnets": []any{"subnet-89abcdef"}}}, wantErr: []string{CtxVPC, "securityGroups"}},
		{name: "vpc with an unknown key", ctx: map[string]any{CtxVPC: `{"subnets":["subnet-89abcdef"],"securityGroups":["sg-01234567"],"vpcId":"vpc-1"}`}, wantErr: []string{CtxVPC, "vpcId"}},
		{name: "vpc not an object", ctx: map[string]any{CtxVPC: float64(3)}, wantErr: []string{CtxVPC}},
		{name: "fractional number", ctx: map[string]any{CtxThrottleBurst: 1.5}, wantErr: []string{CtxThrottleBurst}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ConfigFromContext(func(k string) any { return tc.ctx[k] })
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want %v", tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ConfigFromContext(func(string) any { return nil })
			tc.want(&want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
		})
	}
}

func TestPathPattern(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/v1/sessions":              "/v1/sessions",
		"/v1/sessions/{id}/actions": "/v1/sessions/*/actions",
		"/v1/kill/{scope}/{id+}":    "/v1/kill/*/*",
	} {
		if got := pathPattern(in); got != want {
			t.Errorf("pathPattern(%q) = %q, want %q", in, got, want)
		}
	}
}
