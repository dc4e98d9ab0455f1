package edge

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/mcpgate"
)

// RouteMCP is the MCP front door (Streamable HTTP). Only POST: a Lambda function answers one
// request at a time and keeps no stream open, so the gate runs stateless (mcpgate.NewStateless)
// and the GET stream and DELETE of stateful MCP sessions do not exist.
const RouteMCP = "POST " + mcpgate.Path

// RouteMCPMetadata is the MCP endpoint's OAuth 2.0 Protected Resource Metadata (RFC 9728):
// where MCP clients that authenticate with bearer tokens discover the trusted agent issuers.
// It is a discovery document, served to anyone (the stack deploys it without authorization).
const RouteMCPMetadata = "GET /.well-known/oauth-protected-resource" + mcpgate.Path

// mcpBearer authenticates a call of the MCP route that reached the function without an
// authorizer's verdict: in jwt mode the stack deploys that route without one, because API
// Gateway's JWT authorizer answers 401 without saying where the resource metadata is, and MCP
// clients find their authorization server only from that (MCP authorization, RFC 9728
// section 5.1). The function verifies the bearer token as the authorizer would, against the
// issuers trusted for agents, and refuses anything else with a challenge naming the metadata.
// It reports whether it refused; when it did not, c carries the token's claims.
func (h *Handler) mcpBearer(ctx context.Context, c *authority.Caller, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, bool) {
	challenge := `Bearer resource_metadata="https://` + req.RequestContext.DomainName + strings.TrimPrefix(RouteMCPMetadata, "GET ") + `"`
	p := api.Problem{Type: api.ProblemUnauthenticated, Title: "Not authenticated", Status: http.StatusUnauthorized,
		Detail: "the MCP endpoint takes a bearer token of an issuer trusted for agents (see the resource metadata)", RequestID: req.RequestContext.RequestID}
	raw, ok := BearerToken(header(req, "Authorization"))
	if ok {
		claims, err := h.verifyAgent(ctx, raw)
		if err == nil {
			c.JWT = claims
			return events.APIGatewayV2HTTPResponse{}, false
		}
		p.Type, p.Detail = AuthProblemType(err), "the bearer token was not accepted"
		challenge += `, error="invalid_token"`
		h.log.InfoContext(ctx, "authentication failed", "request_id", p.RequestID, "route", req.RouteKey, "reason", p.Type)
	}
	resp := problem(p)
	resp.Headers["WWW-Authenticate"] = challenge
	return resp, true
}

// BearerToken returns the token of an `Authorization: Bearer <token>` header value (the
// scheme in any case); false for another scheme or an empty token.
func BearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// MCPRoutes are served by the mcp function.
var MCPRoutes = []string{RouteMCP, RouteMCPMetadata}

// ProtectedResourceMetadata is the RFC 9728 document of the MCP endpoint.
type ProtectedResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name"`
}

// mcpRoutes are the handlers of MCPRoutes: the event becomes the HTTP request the gate
// serves, with the caller every route reads (callerOf), and its answer is passed through.
func mcpRoutes(a *authority.Authority, gate http.Handler) map[string]route {
	return map[string]route{
		RouteMCPMetadata: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			issuers := a.AgentIssuers()
			if issuers == nil {
				issuers = []string{}
			}
			return http.StatusOK, ProtectedResourceMetadata{Resource: "https://" + req.RequestContext.DomainName + mcpgate.Path,
				AuthorizationServers: issuers, BearerMethodsSupported: []string{"header"}, ResourceName: "Mandate"}, nil
		},
		RouteMCP: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			body := []byte(req.Body)
			if req.IsBase64Encoded {
				var err error
				if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
					return 0, nil, &requestError{status: 400, typ: api.ProblemMalformed, detail: "the body is not valid base64"}
				}
			}
			if len(body) > api.MaxBodyBytes {
				return 0, nil, &requestError{status: 413, typ: api.ProblemTooLarge, detail: "the body is too large"}
			}
			r, err := http.NewRequestWithContext(mcpgate.WithCaller(ctx, c), http.MethodPost, mcpgate.Path, bytes.NewReader(body))
			if err != nil {
				return 0, nil, &requestError{status: 400, typ: api.ProblemMalformed, detail: "the request cannot be read"}
			}
			for k, v := range req.Headers {
				r.Header.Set(k, v)
			}
			r.Host = req.RequestContext.DomainName
			r.RemoteAddr = req.RequestContext.HTTP.SourceIP
			w := &passThrough{header: http.Header{}}
			gate.ServeHTTP(w, r)
			return w.status(), w, nil
		},
	}
}

// passThrough records the gate's answer; Handle returns it as it is.
type passThrough struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (p *passThrough) Header() http.Header { return p.header }
func (p *passThrough) WriteHeader(code int) {
	if p.code == 0 {
		p.code = code
	}
}
func (p *passThrough) Write(b []byte) (int, error) {
	if p.code == 0 {
		p.code = http.StatusOK
	}
	return p.body.Write(b)
}
func (p *passThrough) status() int {
	if p.code == 0 {
		return http.StatusOK
	}
	return p.code
}

// response is the API Gateway answer of the recorded response.
func (p *passThrough) response(rid string) events.APIGatewayV2HTTPResponse {
	h := map[string]string{"X-Request-Id": rid}
	for k, vs := range p.header {
		h[k] = strings.Join(vs, ",")
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: p.status(), Headers: h, Body: p.body.String()}
}
