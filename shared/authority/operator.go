package authority

import (
	"context"
	"errors"
	"strings"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/identity"
)

// tokenVerifier checks OIDC tokens (identity.TokenVerifier).
type tokenVerifier interface {
	VerifyOperator(ctx context.Context, raw string, agent identity.Principal) (identity.Operator, error)
	VerifyAgent(ctx context.Context, raw string) (map[string]string, error)
	Trusts(iss, trust string) bool
	Issuers(trust string) []string
}

// TrustsAgentIssuer reports whether iss is an issuer trusted for agents. The edge uses it to
// re-check the issuer of a bearer token an API Gateway JWT authorizer accepted.
func (a *Authority) TrustsAgentIssuer(iss string) bool {
	return a.tokens != nil && a.tokens.Trusts(iss, identity.TrustAgent)
}

// AgentIssuers returns the issuers whose tokens agents may present, sorted (for the MCP
// endpoint's Protected Resource Metadata, RFC 9728).
func (a *Authority) AgentIssuers() []string {
	if a.tokens == nil {
		return nil
	}
	return a.tokens.Issuers(identity.TrustAgent)
}

// VerifyAgentToken verifies a bearer token of an issuer trusted for agents, as API Gateway's
// JWT authorizer would, and returns the claims that authorizer passes on
// (identity.TokenVerifier.VerifyAgent). The edge calls it for a route deployed without an
// authorizer that still takes bearer agents (the MCP endpoint in jwt mode).
func (a *Authority) VerifyAgentToken(ctx context.Context, raw string) (map[string]string, error) {
	if a.tokens == nil {
		return nil, identity.ErrUntrustedIssuer
	}
	return a.tokens.VerifyAgent(ctx, raw)
}

// operatorOf establishes the human behind a new session: verified when the agent presents an
// operator token (the X-Mandate-Operator-Token header or operator_token in the body, checked
// against the issuers trusted for operators), asserted otherwise. A delegation token must name
// this agent in act.sub. A token that fails any check refuses the request (401); it is never
// downgraded to an asserted operator.
func (a *Authority) operatorOf(ctx context.Context, c Caller, agent principal, req api.OpenSessionRequest) (operator, error) {
	token := req.OperatorToken
	if c.OperatorToken != "" {
		if token != "" && token != c.OperatorToken {
			return operator{}, fail(ErrInvalid, "the operator token in the header and in the body differ", nil)
		}
		token = c.OperatorToken
	}
	if token == "" {
		if strings.TrimSpace(req.Operator) == "" {
			return operator{}, fail(ErrInvalid, "operator or an operator token is required", nil)
		}
		return operator{ID: req.Operator, Method: OperatorAsserted}, nil
	}
	if a.tokens == nil {
		return operator{}, fail(ErrUnauthenticated, "operator tokens are not accepted: no operator issuer is configured",
			identity.ErrUntrustedIssuer)
	}
	op, err := a.tokens.VerifyOperator(ctx, token, agent.full)
	if err != nil {
		a.log.InfoContext(ctx, "operator token refused", "request_id", c.RequestID, "agent", agent.ID,
			"source", c.SourceIP, "reason", reasonOf(err))
		return operator{}, fail(ErrUnauthenticated, "the operator token is not acceptable", err)
	}
	if req.Operator != "" && req.Operator != op.ID {
		return operator{}, fail(ErrInvalid, "operator does not match the operator token", nil)
	}
	a.log.InfoContext(ctx, "operator verified", "request_id", c.RequestID, "agent", agent.ID, "operator", op.ID,
		"issuer", op.Issuer, "method", op.Method)
	return operator{ID: op.ID, Verified: true, Method: op.Method, Issuer: op.Issuer}, nil
}

// OperatorAsserted is the method of an operator the agent merely named.
const OperatorAsserted = "asserted"

// operator is the human behind a session and how that was established.
type operator struct {
	ID       string
	Verified bool
	Method   string // OperatorAsserted, identity.OperatorDelegation or identity.OperatorIDToken
	Issuer   string // the verifying token's issuer
}

// reasonOf names the failed check of an identity error for logs: the sentinel's text, never
// the token.
func reasonOf(err error) string {
	for _, s := range []error{identity.ErrExpired, identity.ErrWrongAudience, identity.ErrUntrustedIssuer,
		identity.ErrActorMismatch, identity.ErrUnknownKey, identity.ErrBadSignature, identity.ErrMalformed, identity.ErrUnsigned} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "unauthenticated"
}
