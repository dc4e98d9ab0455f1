package mcpgate

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/store"
)

// implementation is what the gate's servers call themselves.
var implementation = &mcp.Implementation{Name: "mandate", Version: "1"}

// Path is where the MCP endpoint is served.
const Path = "/mcp"

// OpenSessionTool is the tool that binds an MCP session to a new Mandate session.
const OpenSessionTool = "open_session"

// Gate serves MCP over Streamable HTTP.
type Gate struct {
	auth *authority.Authority
	log  *slog.Logger
	h    *mcp.StreamableHTTPHandler

	mu     sync.Mutex
	owners map[string]*owner // MCP session id -> the agent that started it
	held   map[string]int    // agent -> MCP sessions it owns or is starting
	swept  time.Time         // when owners of idle sessions were last dropped
	start  sync.Once         // builds h, with IdleTimeout, on the first request

	// stateless: nothing is kept between requests (stateless.go). schemas spares the server
	// built for each MCP session (or each stateless request) the reflection of open_session's
	// schema.
	stateless bool
	schemas   *mcp.SchemaCache
	shared    atomic.Pointer[shared]
	bare      *mcp.Server  // a stateful gate's answer for requests in a running session (server)
	built     atomic.Int64 // servers built, ServersBuilt

	// IdleTimeout closes an MCP session that has had no request for this long (0: never),
	// and the gate forgets its owner. Set it before the gate serves.
	IdleTimeout time.Duration
	// MaxSessions is how many MCP sessions one agent may hold at once (0: no limit); a
	// request to start one more is refused with 429. Set it before the gate serves.
	MaxSessions int

	// ApprovalWait is how long a tool call that needs a human's approval waits for it when
	// the client sent a progress token (0: it never waits); ApprovalPoll how often it looks.
	ApprovalWait, ApprovalPoll time.Duration
}

// Defaults of Gate.ApprovalWait, Gate.ApprovalPoll, Gate.IdleTimeout and Gate.MaxSessions.
const (
	DefaultApprovalWait = 2 * time.Minute
	DefaultApprovalPoll = time.Second
	DefaultIdleTimeout  = 30 * time.Minute
	DefaultMaxSessions  = 100
)

// owner is the agent that started an MCP session, and when the session was last used.
type owner struct {
	agent  string
	seen   time.Time // a request's start or end
	active int       // requests being served
}

// New returns a gate over a.
func New(a *authority.Authority, log *slog.Logger) *Gate {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Gate{auth: a, log: log, owners: map[string]*owner{}, held: map[string]int{}, schemas: mcp.NewSchemaCache(),
		ApprovalWait: DefaultApprovalWait, ApprovalPoll: DefaultApprovalPoll, IdleTimeout: DefaultIdleTimeout, MaxSessions: DefaultMaxSessions}
	g.bare = mcp.NewServer(implementation, nil)
	return g
}

// Sessions is how many MCP sessions the gate holds an owner for.
func (g *Gate) Sessions() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.owners)
}

// use marks the start (+1) or end (-1) of a request in MCP session sid; it reports whether
// agent owns the session.
func (g *Gate) use(sid, agent string, delta int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	o, ok := g.owners[sid]
	if !ok || o.agent != agent {
		return false
	}
	o.active += delta
	o.seen = time.Now()
	return true
}

// reserve holds a place for one more MCP session of agent while a request that may start one
// is served, so that parallel requests cannot start more than MaxSessions between them; it
// reports false when the agent already holds MaxSessions. Owners of sessions idle past
// IdleTimeout, which the SDK has closed, are dropped first: every half IdleTimeout, and when
// an agent is at its limit at most once a second (an agent asking again and again does not
// make every request walk every session).
func (g *Gate) reserve(agent string) bool {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	full := g.MaxSessions > 0 && g.held[agent] >= g.MaxSessions
	since := now.Sub(g.swept)
	if g.IdleTimeout > 0 && (since >= g.IdleTimeout/2 || (full && since >= time.Second)) {
		g.swept = now
		for id, o := range g.owners {
			if o.active <= 0 && now.Sub(o.seen) > g.IdleTimeout {
				g.drop(id, o)
			}
		}
		full = g.MaxSessions > 0 && g.held[agent] >= g.MaxSessions
	}
	if full {
		return false
	}
	g.held[agent]++
	return true
}

// settle turns the place reserve held into agent's MCP session sid, or gives it back when
// the request started none (sid "").
func (g *Gate) settle(agent, sid string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if sid != "" {
		g.owners[sid] = &owner{agent: agent, seen: time.Now(), active: 1}
		return
	}
	g.unhold(agent)
}

// forget drops the owner of MCP session sid, which has ended.
func (g *Gate) forget(sid string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if o, ok := g.owners[sid]; ok {
		g.drop(sid, o)
	}
}

// drop forgets owner o of sid; g.mu is held.
func (g *Gate) drop(sid string, o *owner) {
	delete(g.owners, sid)
	g.unhold(o.agent)
}

// unhold gives back one of agent's places; g.mu is held.
func (g *Gate) unhold(agent string) {
	if g.held[agent]--; g.held[agent] <= 0 {
		delete(g.held, agent)
	}
}

// ServersBuilt is how many MCP servers, each with its tools, the gate has built: one per MCP
// session, or for a stateless gate one per change of the tools on offer.
func (g *Gate) ServersBuilt() int64 { return g.built.Load() }

type callerKey struct{}

// WithCaller returns ctx carrying the verified caller of an HTTP request to the gate.
func WithCaller(ctx context.Context, c authority.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

func callerFrom(ctx context.Context) (authority.Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(authority.Caller)
	return c, ok
}

// ServeHTTP serves one HTTP request of the MCP transport from a verified caller.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Header.Del(signatureHeader) // only ServeHTTP sets it, below
	if g.stateless {
		g.serveStateless(w, r)
		return
	}
	c, ok := callerFrom(r.Context())
	if !ok {
		writeProblem(w, api.Problem{Type: api.ProblemUnauthenticated, Title: "Not authenticated", Status: http.StatusUnauthorized})
		return
	}
	agent, err := g.auth.AgentOf(c)
	if err != nil {
		writeProblem(w, api.Problem{Type: api.ProblemForbidden, Title: "Forbidden", Status: http.StatusForbidden, Detail: "only agents use the MCP endpoint"})
		return
	}
	// A signed POST carries calls that act. Its signature reaches the call that acts (a tool
	// call, open_session) with the request, which the SDK hands each handler, and is claimed
	// in the write that records it, as POST /v1/sessions/{id}/actions does: an exact copy of
	// the POST is refused as a tool error naming the replay, with no durable write of its
	// own per POST. A replayed initialize or tools/list only reads.
	if r.Method == http.MethodPost && c.Signature != "" {
		r.Header.Set(signatureHeader, c.Signature)
	}
	g.start.Do(func() {
		g.h = mcp.NewStreamableHTTPHandler(g.server, &mcp.StreamableHTTPOptions{Logger: g.log, SessionTimeout: max(g.IdleTimeout, 0)})
	})
	sid := r.Header.Get("Mcp-Session-Id")
	if sid != "" && !g.use(sid, agent, +1) {
		// Another identity's MCP session is reported exactly like a missing one.
		writeProblem(w, api.Problem{Type: api.ProblemSessionNotFound, Title: "No such session", Status: http.StatusNotFound})
		return
	}
	rec := &recorder{ResponseWriter: w}
	if sid == "" {
		if !g.reserve(agent) {
			writeProblem(w, api.Problem{Type: api.ProblemTooManySessions, Title: "Too many MCP sessions", Status: http.StatusTooManyRequests,
				Detail: fmt.Sprintf("this agent holds %d MCP sessions, the most one agent may: end one (DELETE /mcp with its Mcp-Session-Id) or let one go idle for %s", g.MaxSessions, g.IdleTimeout)})
			return
		}
		// The answer settles the place reserved, before it leaves: a streamed answer reaches
		// the client, which may send its next request, before ServeHTTP returns. A new session
		// is then the agent's, and a request that started none (a probe of another protocol
		// version, a refusal) gives its place back.
		rec.started = func(id string) {
			sid = id
			g.settle(agent, id)
		}
		r = r.WithContext(context.WithValue(r.Context(), newbornKey{}, &newborn{}))
		defer func() {
			if !rec.wrote {
				g.settle(agent, "")
			}
		}()
	}
	if sid != "" && r.Method == http.MethodDelete {
		// Forgotten before the SDK answers: a client that hears the session ended may start
		// another at once, which must find the place free.
		g.forget(sid)
		g.h.ServeHTTP(rec, r)
		return
	}
	g.h.ServeHTTP(rec, r)
	if sid != "" {
		g.use(sid, agent, -1)
	}
}

// signatureHeader carries a stateful gate's verified SigV4 signature of a POST to the calls
// the POST carries (ServeHTTP sets it; a client's own is dropped).
const signatureHeader = "X-Mandate-Verified-Signature"

// signatureOf is the verified signature of the POST that carried req ("" for a bearer
// token's).
func signatureOf(req *mcp.CallToolRequest) string {
	if req == nil || req.Extra == nil {
		return ""
	}
	return req.Extra.Header.Get(signatureHeader)
}

// recorder calls started with the MCP session id the SDK assigns on initialisation ("" for
// an answer that starts no session), once, before the response's header is sent.
type recorder struct {
	http.ResponseWriter
	started func(id string)
	wrote   bool
}

func (r *recorder) header() {
	if r.wrote {
		return
	}
	r.wrote = true
	if r.started != nil {
		r.started(r.Header().Get("Mcp-Session-Id"))
	}
}

func (r *recorder) WriteHeader(code int) {
	r.header()
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.header()
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	r.header()
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// session is one MCP session's binding to Mandate.
type session struct {
	mu      sync.Mutex
	caller  authority.Caller // the agent, without the initialising request's signature
	mandate string           // the Mandate session; "" until open_session
	ended   string           // why no more calls are taken
	server  *mcp.Server
	offered map[string]bool   // target tools on offer now
	offers  []authority.Offer // what offered was made from (Offers's answer; none once ended)
	client  audit.Client      // where the MCP session was started from, on its records
	bound   *binding          // a stateless gate's request binding; nil for a stateful gate
}

// refresh brings the offered tools in line with what policy could allow now, or with none
// once the session has ended; the SDK announces each change to the client with
// notifications/tools/list_changed.
func (g *Gate) refresh(ctx context.Context, st *session) {
	st.mu.Lock()
	ended := st.ended != ""
	st.mu.Unlock()
	var offers []authority.Offer
	if !ended {
		offers = g.auth.Offers(ctx)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	// Offers answers with the same slice while policy and targets stay the same: then so do
	// the tools, and a tool call does not rebuild them. (None offered before and none now:
	// nothing to change either.)
	if len(offers) == len(st.offers) && (len(offers) == 0 || &offers[0] == &st.offers[0]) {
		return
	}
	st.offers = offers
	want := map[string]tool{}
	for _, o := range offers {
		for _, t := range toolsFor(o) {
			want[t.tool.Name] = t
		}
	}
	var gone []string
	for name := range st.offered {
		if _, ok := want[name]; !ok {
			gone = append(gone, name)
			delete(st.offered, name)
		}
	}
	if len(gone) > 0 {
		st.server.RemoveTools(gone...)
	}
	for name, t := range want {
		if !st.offered[name] {
			st.offered[name] = true
			g.addTool(st, t)
		}
	}
}

func (g *Gate) addTool(st *session, t tool) {
	st.server.AddTool(t.tool, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		st, ok := g.sessionOf(ctx, st)
		if !ok {
			return errorResult("Mandate could not take the call"), nil
		}
		res, err := g.call(ctx, st, t, req)
		if !g.stateless { // a stateless server has no stream to announce changes on
			g.refresh(ctx, st) // a kill or a policy change since: the client hears of it
		}
		return res, err
	})
}

// server answers the SDK's question for the MCP server of a request. The SDK asks on every
// request, for the protocol versions the server speaks, and once more for the request that
// starts a session. Only that request gets a server of its own, with its tools, built once
// (its context holds it between the two questions); a request in a running session gets the
// bare server, which speaks the same versions.
func (g *Gate) server(r *http.Request) *mcp.Server {
	if g.stateless {
		return g.statelessServer(r)
	}
	if r.Header.Get("Mcp-Session-Id") != "" {
		return g.bare
	}
	nb, ok := r.Context().Value(newbornKey{}).(*newborn)
	if !ok { // not through ServeHTTP
		return g.newServer(r, false)
	}
	if nb.server == nil {
		nb.server = g.newServer(r, false)
	}
	return nb.server
}

// newborn holds the server built for a request that starts an MCP session.
type newborn struct{ server *mcp.Server }

type newbornKey struct{}

// newServer builds the MCP server of one MCP session, or, shared, the server a stateless gate
// serves every request with (its handlers then act for the request's own session, sessionOf).
func (g *Gate) newServer(r *http.Request, shared bool) *mcp.Server {
	g.built.Add(1)
	c, _ := callerFrom(r.Context())
	c.Signature, c.IdempotencyKey = "", "" // each tool call is its own request to the authority
	st := &session{caller: c, offered: map[string]bool{}, client: audit.Client{SourceIP: c.SourceIP, UserAgent: r.UserAgent()}}
	opts := &mcp.ServerOptions{
		Instructions: "Call " + OpenSessionTool + " first with the operator you act for and their original request; every other tool acts through Mandate in that session.",
	}
	opts.SchemaCache = g.schemas
	if shared { // stateless: no stream to announce a changed tool list on
		opts.Capabilities = &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}}
	}
	s := mcp.NewServer(implementation, opts)
	mcp.AddTool(s, &mcp.Tool{Name: OpenSessionTool, Description: "Open the Mandate session every other tool acts in: the human operator you act for and their original prompt."},
		func(ctx context.Context, req *mcp.CallToolRequest, in openInput) (*mcp.CallToolResult, openOutput, error) {
			st, ok := g.sessionOf(ctx, st)
			if !ok {
				return errorResult("Mandate could not take the call"), openOutput{}, nil
			}
			return g.open(ctx, st, req, in)
		})
	st.server = s
	g.refresh(r.Context(), st)
	return s
}

type openInput struct {
	Operator      string `json:"operator,omitempty" jsonschema:"the human you act for (an email address)"`
	OperatorToken string `json:"operator_token,omitempty" jsonschema:"a token proving the operator (RFC 8693 delegation or ID token)"`
	Prompt        string `json:"prompt" jsonschema:"the human's original request, word for word"`
	Purpose       string `json:"purpose,omitempty" jsonschema:"an optional declared purpose"`
	TTL           string `json:"ttl,omitempty" jsonschema:"an optional lifetime such as 15m"`
}

type openOutput struct {
	SessionID string       `json:"session_id"`
	Intents   []api.Intent `json:"intents"`
	ExpiresAt string       `json:"expires_at"`
}

func (g *Gate) open(ctx context.Context, st *session, req *mcp.CallToolRequest, in openInput) (*mcp.CallToolResult, openOutput, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.mandate != "" {
		return errorResult("this MCP session is already bound to Mandate session " + st.mandate + "; start a new MCP session for another"), openOutput{}, nil
	}
	c := st.caller
	c.RequestID = "mcp-" + newRequestID()
	if !g.stateless {
		c.Signature = signatureOf(req)
	}
	ctx = audit.WithClient(ctx, st.client)
	s, err := g.auth.OpenSession(ctx, c, api.OpenSessionRequest{Operator: in.Operator, OperatorToken: in.OperatorToken, Prompt: in.Prompt, Purpose: in.Purpose, TTL: in.TTL})
	if err != nil {
		return refusal(err), openOutput{}, nil
	}
	st.mandate = s.SessionID
	if st.bound != nil {
		st.bound.opened = s.SessionID // the response names it: the client sends it back
	}
	return nil, openOutput{SessionID: s.SessionID, Intents: s.Intents, ExpiresAt: s.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")}, nil
}

// call runs one tool call as one action.
func (g *Gate) call(ctx context.Context, st *session, t tool, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in callInput
	if raw := req.Params.Arguments; len(raw) > 0 {
		// Only the arguments this tool's schema names: an argument no schema of this tool
		// takes is refused, never ignored.
		var names map[string]json.RawMessage
		if err := json.Unmarshal(raw, &names); err != nil {
			return errorResult("the arguments must be a JSON object"), nil
		}
		props, _ := t.tool.InputSchema.(map[string]any)["properties"].(map[string]any)
		for name := range names {
			if _, ok := props[name]; !ok {
				return errorResult("this tool takes no argument " + strconvQuote(name)), nil
			}
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // numbers reach the target as written
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return errorResult("the arguments do not fit the tool's input schema: " + err.Error()), nil
		}
	}
	st.mu.Lock()
	mandate, ended, c := st.mandate, st.ended, st.caller
	st.mu.Unlock()
	switch {
	case ended != "":
		return errorResult(ended), nil
	case mandate == "":
		return errorResult("no Mandate session yet: call " + OpenSessionTool + " first"), nil
	}
	act, err := t.action(in)
	if err != nil {
		return errorResult(err.Error()), nil
	}
	c.RequestID = "mcp-" + newRequestID()
	if !g.stateless {
		c.Signature = signatureOf(req)
	}
	ctx = audit.WithClient(ctx, st.client)
	out, err := g.auth.Act(ctx, c, mandate, api.ActionRequest{Action: act, ApprovalID: in.ApprovalID})
	if err != nil {
		g.endOnKill(st, err)
		return refusal(err), nil
	}
	if out.Verdict == api.VerdictApproval {
		if tok := req.Params.GetProgressToken(); tok != nil && g.ApprovalWait > 0 && in.ApprovalID == "" {
			return g.awaitApproval(ctx, st, t, req, tok, c, mandate, act, out), nil
		}
		return askLater(t, out), nil
	}
	return allowed(out), nil
}

// askLater tells the agent to call again with the approval once a human granted it.
func askLater(t tool, out api.ActionResponse) *mcp.CallToolResult {
	text := fmt.Sprintf("A human must approve this exact action first (approval %s, until %s). Once approved, call %s again with the same arguments and approval_id %q.",
		out.ApprovalID, out.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"), t.tool.Name, out.ApprovalID)
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}},
		StructuredContent: map[string]any{"verdict": out.Verdict, "approval_id": out.ApprovalID, "reasons": out.Reasons}}
}

// awaitApproval: the client asked for progress, so the call waits for a human (up to
// ApprovalWait, and never past the approval's expiry), telling the client with a progress
// notification each time it looks. Approved, the action runs with the approval, as the
// agent's own retry would (its decision and result records follow the approval's); denied,
// the call is a tool error naming who denied it; still waiting at the end, or cancelled by
// the client, it answers as without progress: call again with approval_id. Looking is a read
// and records nothing.
func (g *Gate) awaitApproval(ctx context.Context, st *session, t tool, req *mcp.CallToolRequest, tok any, c authority.Caller, mandate string, act api.Action, asked api.ActionResponse) *mcp.CallToolResult {
	deadline := time.Now().Add(g.ApprovalWait)
	if asked.ExpiresAt != nil && asked.ExpiresAt.Before(deadline) {
		deadline = *asked.ExpiresAt
	}
	poll := time.NewTicker(max(g.ApprovalPoll, 10*time.Millisecond))
	defer poll.Stop()
	for n := 1; time.Now().Before(deadline); n++ {
		_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: float64(n),
			Message: fmt.Sprintf("waiting for a human to approve (approval %s, asked for by %s)", asked.ApprovalID, strings.Join(asked.Reasons, ", "))})
		select {
		case <-ctx.Done():
			return askLater(t, asked)
		case <-poll.C:
		}
		ap, err := g.auth.AgentApproval(ctx, c, mandate, asked.ApprovalID)
		if err != nil {
			return refusal(err)
		}
		switch ap.Status {
		case store.ApprovalPending:
			continue
		case store.ApprovalDenied:
			res := errorResult(fmt.Sprintf("a human denied this action (approval %s, by %s)", ap.ApprovalID, ap.DecidedBy))
			res.StructuredContent = map[string]any{"refused": "approval-denied", "approval_id": ap.ApprovalID, "decided_by": ap.DecidedBy}
			return res
		case store.ApprovalApproved:
			// The asking decision claimed the POST's signature; the approval, used once,
			// keeps this run to one.
			c.RequestID, c.Signature = "mcp-"+newRequestID(), ""
			out, err := g.auth.Act(ctx, c, mandate, api.ActionRequest{Action: act, ApprovalID: ap.ApprovalID})
			if err != nil {
				g.endOnKill(st, err)
				return refusal(err)
			}
			return allowed(out)
		default: // consumed by another call: that call ran it
			return errorResult(fmt.Sprintf("approval %s is %s: another call used it", ap.ApprovalID, ap.Status))
		}
	}
	return askLater(t, asked)
}

// allowed is the result of a performed action, masked, with its shape.
func allowed(out api.ActionResponse) *mcp.CallToolResult {
	body, _ := json.Marshal(out.Result)
	return &mcp.CallToolResult{
		Content: []mcp.Content{&mcp.TextContent{Text: string(body)}},
		StructuredContent: map[string]any{"verdict": out.Verdict, "status": out.Status, "result": out.Result,
			"masking": out.Masking, "record": out.Record},
	}
}

// endOnKill ends the MCP session's use when err says the Mandate session has ended.
func (g *Gate) endOnKill(st *session, err error) {
	var e *authority.Error
	if errors.As(err, &e) && (e.Kind == authority.ErrKilled || e.Kind == authority.ErrSessionClosed || e.Kind == authority.ErrSessionExpired) {
		st.mu.Lock()
		st.ended = "the Mandate session has ended (" + e.Kind.Error() + "): " + e.Detail
		st.mu.Unlock()
	}
}

// refusal is a tool error naming what refused the call.
func refusal(err error) *mcp.CallToolResult {
	var e *authority.Error
	if !errors.As(err, &e) {
		return errorResult("Mandate could not take the call")
	}
	text := e.Kind.Error()
	if e.Detail != "" {
		text += ": " + e.Detail
	}
	if len(e.Reasons) > 0 {
		text += " (" + strings.Join(e.Reasons, ", ") + ")"
	}
	res := errorResult(text)
	res.StructuredContent = map[string]any{"refused": e.Kind.Error(), "reasons": e.Reasons, "record": e.Record}
	return res
}

func errorResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeProblem(w http.ResponseWriter, p api.Problem) {
	w.Header().Set("Content-Type", api.ProblemContentType)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func strconvQuote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}
