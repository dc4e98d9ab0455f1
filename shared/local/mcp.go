package local

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/mcpgate"
)

// MetadataPath is where the MCP endpoint's OAuth 2.0 Protected Resource Metadata (RFC 9728)
// is served, for MCP clients that authenticate with bearer tokens.
const MetadataPath = "/.well-known/oauth-protected-resource" + mcpgate.Path

// ServeMCP serves the MCP front door at mcpgate.Path: each HTTP request is authenticated as
// every route's is (SigV4 or an OIDC bearer token, the same failure limits) and reaches the
// gate with its verified caller; an unauthenticated one never does, and is told where the
// resource metadata naming the trusted agent issuers is. issuers are those issuers.
func (g *Gateway) ServeMCP(gate http.Handler, issuers []string) {
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		g.mux.HandleFunc(method+" "+mcpgate.Path, func(w http.ResponseWriter, r *http.Request) { g.dispatchMCP(w, r, gate) })
	}
	g.mux.HandleFunc("GET "+MetadataPath, func(w http.ResponseWriter, r *http.Request) {
		if issuers == nil {
			issuers = []string{}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"resource":                 "http://" + r.Host + mcpgate.Path,
			"authorization_servers":    issuers,
			"bearer_methods_supported": []string{"header"},
			"resource_name":            "Mandate",
		})
	})
}

func (g *Gateway) dispatchMCP(w http.ResponseWriter, r *http.Request, gate http.Handler) {
	rid := requestID(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, api.MaxBodyBytes+1))
	if err != nil || len(body) > api.MaxBodyBytes {
		writeProblem(w, api.Problem{Type: api.ProblemTooLarge, Title: "Body too large", Status: http.StatusRequestEntityTooLarge, RequestID: rid})
		return
	}
	if g.refuseBlocked(w, r, rid) {
		return
	}
	authorizer, _, err := g.authenticate(r, body) // bearer.go
	if err != nil {
		// MCP clients that use bearer tokens discover the trusted issuers here (RFC 9728).
		w.Header().Add("WWW-Authenticate", `Bearer resource_metadata="http://`+r.Host+MetadataPath+`"`)
		g.refuseUnauthenticated(w, r, rid, err)
		return
	}
	ev := events.APIGatewayV2HTTPRequest{Headers: map[string]string{}, RequestContext: events.APIGatewayV2HTTPRequestContext{
		RequestID: rid, Authorizer: authorizer, HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{SourceIP: sourceIP(r), UserAgent: r.UserAgent()},
	}}
	for k, vs := range r.Header {
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	gate.ServeHTTP(w, r.WithContext(mcpgate.WithCaller(r.Context(), edge.CallerOf(ev))))
}
