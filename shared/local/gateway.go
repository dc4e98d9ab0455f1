package local

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/identity"
)

// Gateway plays API Gateway for `mandate local`: it verifies SigV4 as the IAM authorizer
// would, builds the API Gateway v2 event and calls the edge handler.
type Gateway struct {
	handler  *edge.Handler
	verifier *identity.SigV4Verifier
	log      *slog.Logger
	mux      *http.ServeMux
	tokens   *identity.TokenVerifier  // bearer tokens of OIDC agents; nil: refused (bearer.go)
	limiter  *identity.FailureLimiter // failed authentications per source and presented key
	// humanKeys are the access key ids of humans: never blocked on the kill routes.
	humanKeys map[string]bool
}

var killRoutes = map[string]bool{edge.RouteKill: true, edge.RouteLiftKill: true, edge.RouteListKills: true}

// MaxGatewayBodyBytes is the largest body the gateway passes on, as API Gateway's payload
// limit does; the handler refuses bodies over api.MaxBodyBytes itself, after authenticating
// them, so that the refusal is recorded in the session's chain.
const MaxGatewayBodyBytes = 6 << 20

// NewGateway returns a Gateway serving edge.AllRoutes through h.
func NewGateway(h *edge.Handler, v *identity.SigV4Verifier, log *slog.Logger) *Gateway {
	g := &Gateway{handler: h, verifier: v, log: log, mux: http.NewServeMux(), limiter: identity.NewFailureLimiter(0, 0, nil)}
	for _, route := range edge.AllRoutes {
		g.mux.HandleFunc(muxPattern(route), func(w http.ResponseWriter, r *http.Request) { g.dispatch(w, r, route) })
	}
	g.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, api.Problem{Type: api.ProblemNotFound, Title: "No such route", Status: 404, RequestID: requestID(r)})
	})
	return g
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

func (g *Gateway) dispatch(w http.ResponseWriter, r *http.Request, route string) {
	rid := requestID(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxGatewayBodyBytes+1))
	if err != nil {
		writeProblem(w, api.Problem{Type: api.ProblemMalformed, Title: "Invalid request", Status: 400, Detail: "the body could not be read", RequestID: rid})
		return
	}
	if len(body) > MaxGatewayBodyBytes {
		writeProblem(w, api.Problem{Type: api.ProblemTooLarge, Title: "Body too large", Status: 413, RequestID: rid})
		return
	}
	// A human's key always reaches the kill switches, however often its source failed.
	if !(killRoutes[route] && g.humanKeys[presentedKey(r)]) && g.refuseBlocked(w, r, rid) {
		return
	}
	authorizer, iam, err := g.authenticate(r, body) // bearer.go: SigV4 or an OIDC bearer token
	if err != nil {
		g.refuseUnauthenticated(w, r, rid, err)
		return
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route, RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{}, PathParameters: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route, AccountID: iam.AccountID, Stage: "$default", RequestID: rid,
			DomainName: r.Host, APIID: "local",
			Time: time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: sourceIP(r), UserAgent: r.UserAgent(),
			},
			Authorizer: authorizer,
		},
	}
	for k, vs := range r.Header {
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if r.URL.RawQuery != "" {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range r.URL.Query() {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if id := r.PathValue("id"); id != "" {
		ev.PathParameters["id"] = id
	}
	if scope := r.PathValue("scope"); scope != "" {
		ev.PathParameters["scope"] = scope
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	resp, _ := g.handler.Handle(r.Context(), ev) // Handle answers every failure itself
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	io.WriteString(w, resp.Body)
}

// muxPattern spells a route's greedy parameter ({id+}, API Gateway's) as ServeMux does ({id...}).
func muxPattern(route string) string { return strings.ReplaceAll(route, "+}", "...}") }

func writeProblem(w http.ResponseWriter, p api.Problem) {
	w.Header().Set("Content-Type", api.ProblemContentType)
	if p.RequestID != "" {
		w.Header().Set("X-Request-Id", p.RequestID)
	}
	if p.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Add("WWW-Authenticate", `AWS4-HMAC-SHA256 realm="mandate"`)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func requestID(*http.Request) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
