package mcpgate

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
)

// NewStateless returns a gate that keeps nothing between HTTP requests, for a server that
// answers one request at a time and may be a different process on the next (a Lambda
// function). It runs the SDK's stateless Streamable HTTP mode: every request is served with
// the tools policy could allow now, by one MCP server rebuilt only when those change, whose
// handlers act for the request's own session (built per request from its caller and header).
//
// The MCP session is the Mandate session: open_session answers with the new Mandate session
// id in the Mcp-Session-Id response header, the client sends it back on every later request
// (as the transport requires), and each tool call acts in the session it names. Everything
// else comes from the store on each call: the session's agent (a session id presented by
// another agent is refused exactly like a missing one), its TTL, kill switches, budget and
// approvals. There is no standing stream, so tools/list_changed is not announced (a kill is
// felt on the next call, which is refused and names it) and a call needing approval never
// waits: it answers at once with how to call again.
func NewStateless(a *authority.Authority, log *slog.Logger) *Gate {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Gate{auth: a, log: log, stateless: true, schemas: mcp.NewSchemaCache()}
	g.h = mcp.NewStreamableHTTPHandler(g.server, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: log,
		// The caller was authenticated by the front (SigV4 or a bearer token), not by the
		// Host it named: the check for browsers on loopback servers has nothing to guard.
		DisableLocalhostProtection: true})
	return g
}

// binding is one request's tie to its Mandate session: the one the client named in
// Mcp-Session-Id, or the one open_session opened while serving it.
type binding struct {
	mandate string
	opened  string
}

// sessionKey carries a stateless request's own session to the shared server's handlers.
type sessionKey struct{}

// sessionOf is the session a handler serves: its own MCP session's on a stateful gate; on a
// stateless one the request's, which the shared server's handlers find in their context.
func (g *Gate) sessionOf(ctx context.Context, own *session) (*session, bool) {
	if !g.stateless {
		return own, true
	}
	st, ok := ctx.Value(sessionKey{}).(*session)
	return st, ok
}

// shared is the server a stateless gate serves every request with while the tools policy
// could allow stay the same.
type shared struct {
	tools  string // the offered tools' names, in order
	server *mcp.Server
}

// serveStateless serves one request of a stateless gate.
func (g *Gate) serveStateless(w http.ResponseWriter, r *http.Request) {
	c, ok := callerFrom(r.Context())
	if !ok {
		writeProblem(w, api.Problem{Type: api.ProblemUnauthenticated, Title: "Not authenticated", Status: http.StatusUnauthorized})
		return
	}
	if _, err := g.auth.AgentOf(c); err != nil {
		writeProblem(w, api.Problem{Type: api.ProblemForbidden, Title: "Forbidden", Status: http.StatusForbidden, Detail: "only agents use the MCP endpoint"})
		return
	}
	// No replay claim of its own here: the request's signature stays on the caller, and the
	// call that acts (a tool call, open_session) claims it in the write that records it, as
	// POST /v1/sessions/{id}/actions does; a replayed one is refused as a tool error naming
	// the replay. A replayed initialize or tools/list only reads. One signed POST acts at most
	// once: a second call in the same request meets its own claim.
	b := &binding{mandate: r.Header.Get(sessionHeader)}
	c.IdempotencyKey = ""
	st := &session{caller: c, mandate: b.mandate, offered: map[string]bool{}, bound: b,
		client: audit.Client{SourceIP: c.SourceIP, UserAgent: r.UserAgent()}}
	g.h.ServeHTTP(&naming{ResponseWriter: w, b: b}, r.WithContext(context.WithValue(r.Context(), sessionKey{}, st)))
}

// sessionHeader carries the MCP session id, here the Mandate session's.
const sessionHeader = "Mcp-Session-Id"

// statelessServer is the server of a request: the shared one while the offered tools stay
// the same, a new one when policy changed them.
func (g *Gate) statelessServer(r *http.Request) *mcp.Server {
	var names []string
	for _, o := range g.auth.Offers(r.Context()) {
		for _, a := range o.Actions {
			names = append(names, o.Target+" "+a)
		}
	}
	key := strings.Join(names, "\n")
	if cur := g.shared.Load(); cur != nil && cur.tools == key {
		return cur.server
	}
	s := g.newServer(r, true)
	g.shared.Store(&shared{tools: key, server: s})
	return s
}

// naming adds the Mcp-Session-Id of a session opened while serving the request to its response.
type naming struct {
	http.ResponseWriter
	b     *binding
	wrote bool
}

func (n *naming) WriteHeader(code int) {
	if !n.wrote {
		n.wrote = true
		if n.b.opened != "" {
			n.Header().Set(sessionHeader, n.b.opened)
		}
	}
	n.ResponseWriter.WriteHeader(code)
}

func (n *naming) Write(p []byte) (int, error) {
	if !n.wrote {
		n.WriteHeader(http.StatusOK)
	}
	return n.ResponseWriter.Write(p)
}

func (n *naming) Flush() {
	if f, ok := n.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
