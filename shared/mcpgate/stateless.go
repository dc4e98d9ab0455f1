package mcpgate

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
)

// NewStateless returns a gate that keeps nothing between HTTP requests, for a server that
// answers one request at a time and may be a different process on the next (a Lambda
// function). It runs the SDK's stateless Streamable HTTP mode: every request is served by an
// MCP server built for it, with the tools policy could allow now.
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
	server  *mcp.Server // built once per request (the SDK asks for it more than once)
}

type bindingKey struct{}

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
	g.h.ServeHTTP(&naming{ResponseWriter: w, b: b}, r.WithContext(context.WithValue(r.Context(), bindingKey{}, b)))
}

// sessionHeader carries the MCP session id, here the Mandate session's.
const sessionHeader = "Mcp-Session-Id"

// statelessServer is the MCP server of one request.
func (g *Gate) statelessServer(r *http.Request) *mcp.Server {
	b, ok := r.Context().Value(bindingKey{}).(*binding)
	if !ok {
		b = &binding{}
	}
	if b.server == nil {
		b.server = g.newServer(r, b)
	}
	return b.server
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
