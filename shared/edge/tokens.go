package edge

import (
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/identity"
)

// Request headers the edge reads besides the credentials the authorizers verified.
const (
	// HeaderOperatorToken carries the operator's proof: an RFC 8693 delegation token or the
	// operator's OIDC ID token.
	HeaderOperatorToken = "X-Mandate-Operator-Token"
	// HeaderIdempotencyKey makes an action idempotent (same as idempotency_key in the body).
	HeaderIdempotencyKey = "Idempotency-Key"
)

// readCredentials copies into c what the authorizers left in the event besides IAM: the
// claims of a bearer token the JWT authorizer verified, the operator token, the SigV4
// signature (for replay refusal) and the idempotency key.
func readCredentials(c *authority.Caller, req events.APIGatewayV2HTTPRequest) {
	if az := req.RequestContext.Authorizer; az != nil && az.JWT != nil && c.IAM == nil {
		c.JWT = make(map[string]string, len(az.JWT.Claims))
		for k, v := range az.JWT.Claims {
			c.JWT[k] = v
		}
	}
	c.OperatorToken = header(req, HeaderOperatorToken)
	c.IdempotencyKey = header(req, HeaderIdempotencyKey)
	if c.IAM != nil {
		c.Signature = signatureOf(req)
	}
}

// header returns a request header by name, whatever the case of the event's key (API Gateway
// v2 lower-cases them; hand-written events may not).
func header(req events.APIGatewayV2HTTPRequest, name string) string {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// signatureOf returns the SigV4 signature of the request: the Signature= component of the
// Authorization header, or the X-Amz-Signature query parameter of a presigned request.
func signatureOf(req events.APIGatewayV2HTTPRequest) string {
	if h := header(req, "Authorization"); strings.HasPrefix(h, identity.Algorithm+" ") {
		if _, sig, ok := strings.Cut(h, "Signature="); ok {
			sig, _, _ = strings.Cut(sig, ",")
			return strings.TrimSpace(sig)
		}
	}
	return req.QueryStringParameters["X-Amz-Signature"]
}

// untrustedIssuer refuses a bearer-token caller whose issuer is not among the issuers trusted
// for agents: the JWT authorizer checked the token, the edge re-checks the allow-list.
func (h *Handler) untrustedIssuer(c authority.Caller) (api.Problem, bool) {
	if c.JWT == nil || c.IAM != nil {
		return api.Problem{}, false
	}
	if h.trusts != nil && h.trusts(c.JWT["iss"]) {
		return api.Problem{}, false
	}
	return api.Problem{Type: api.ProblemUntrustedIssuer, Title: "Not authenticated", Status: 401,
		Detail: "the bearer token's issuer is not trusted for agents"}, true
}

// AuthProblemType maps an authentication failure to its stable problem type. The type names
// the failed check (expired, bad signature, unknown key, wrong audience, ...) and never which
// part of a secret was wrong.
func AuthProblemType(err error) string {
	switch {
	case err == nil:
		return api.ProblemUnauthenticated
	case errors.Is(err, identity.ErrTooManyFailures):
		return api.ProblemTooManyFailures
	case errors.Is(err, identity.ErrActorMismatch):
		return api.ProblemActorMismatch
	case errors.Is(err, identity.ErrWrongAudience):
		return api.ProblemWrongAudience
	case errors.Is(err, identity.ErrUntrustedIssuer):
		return api.ProblemUntrustedIssuer
	case errors.Is(err, identity.ErrTokenExpired):
		return api.ProblemExpiredToken
	case errors.Is(err, identity.ErrExpired):
		return api.ProblemExpiredSignature
	case errors.Is(err, identity.ErrUnknownKey):
		return api.ProblemUnknownKey
	case errors.Is(err, identity.ErrBadSignature):
		return api.ProblemBadSignature
	case errors.Is(err, identity.ErrMalformed):
		return api.ProblemMalformedCredentials
	}
	return api.ProblemUnauthenticated
}
