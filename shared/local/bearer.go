package local

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/identity"
)

// AcceptBearer makes the gateway accept `Authorization: Bearer` tokens from the issuers tv
// trusts for agents, as an API Gateway JWT authorizer would: the token is verified here and
// its claims are put in the event's requestContext.authorizer.jwt.
func (g *Gateway) AcceptBearer(tv *identity.TokenVerifier) { g.tokens = tv }

// authenticate verifies the request's credentials as API Gateway's authorizers would and
// returns the authorizer context of the event: IAM for SigV4, JWT for a bearer token.
func (g *Gateway) authenticate(r *http.Request, body []byte) (*events.APIGatewayV2HTTPRequestContextAuthorizerDescription, identity.IAMContext, error) {
	if raw, ok := bearer(r); ok {
		if g.tokens == nil {
			return nil, identity.IAMContext{}, identity.ErrUntrustedIssuer
		}
		claims, err := g.tokens.VerifyAgent(r.Context(), raw)
		if err != nil {
			return nil, identity.IAMContext{}, err
		}
		var scopes []string
		if s := claims["scope"]; s != "" {
			scopes = strings.Fields(s)
		}
		return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes},
		}, identity.IAMContext{}, nil
	}
	p, err := g.verifier.Verify(r, body)
	if err != nil {
		return nil, identity.IAMContext{}, err
	}
	iam := p.IAMContext()
	return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{
			AccessKey: iam.AccessKey, AccountID: iam.AccountID, CallerID: iam.CallerID,
			PrincipalOrgID: iam.PrincipalOrgID, UserARN: iam.UserARN, UserID: iam.UserID,
		},
	}, iam, nil
}

// bearer returns the token of a request's one `Authorization: Bearer` header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	return edge.BearerToken(h[0])
}

// refuseBlocked answers 429 to a source that failed authentication too often, without
// authenticating its request; it reports whether it did.
func (g *Gateway) refuseBlocked(w http.ResponseWriter, r *http.Request, rid string) bool {
	left, blocked := g.limiter.Blocked(failureKey(r))
	if !blocked {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(left.Seconds())+1))
	writeProblem(w, api.Problem{Type: api.ProblemTooManyFailures, Title: "Too many failed authentications", Status: http.StatusTooManyRequests,
		Detail: "this source failed authentication too often; retry later", RequestID: rid})
	return true
}

// refuseUnauthenticated counts and logs a failed authentication (never the credential) and
// answers 401 with the problem type of the failed check.
func (g *Gateway) refuseUnauthenticated(w http.ResponseWriter, r *http.Request, rid string, err error) {
	n := g.limiter.Fail(failureKey(r))
	typ := edge.AuthProblemType(err)
	_, isBearer := bearer(r)
	g.log.Info("authentication failed", "request_id", rid, "source", sourceIP(r), "reason", typ, "bearer", isBearer, "failures", n)
	if isBearer {
		w.Header().Set("WWW-Authenticate", edge.BearerChallenge)
	}
	writeProblem(w, api.Problem{Type: typ, Title: "Not authenticated", Status: http.StatusUnauthorized,
		Detail: "the request does not carry a valid credential of a known agent", RequestID: rid})
}

// failureKey is what failed authentications are counted by: the source and the credential it
// presented (the SigV4 access key id, "bearer" or "anonymous"). Failures with another key, or
// none, never lock a valid key out, even from the same address behind one NAT.
func failureKey(r *http.Request) string {
	return sourceIP(r) + "|" + presentedKey(r)
}

// presentedKey is the access key id a request claims to be signed with, without checking it.
func presentedKey(r *http.Request) string {
	if _, ok := bearer(r); ok {
		return "bearer"
	}
	cred := r.URL.Query().Get("X-Amz-Credential")
	if az := r.Header.Get("Authorization"); cred == "" && strings.HasPrefix(az, "AWS4-HMAC-SHA256 ") {
		if _, rest, ok := strings.Cut(az, "Credential="); ok {
			cred = rest
		}
	}
	if key, _, ok := strings.Cut(cred, "/"); ok && key != "" && len(key) <= 128 {
		return key
	}
	return "anonymous"
}
