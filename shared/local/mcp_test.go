package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.yaml.in/yaml/v3"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/mcpgate"
)

func mcpSession(t *testing.T, inst *local.Instance, c *client.Client) *mcp.ClientSession {
	t.Helper()
	mc := mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "1"}, nil)
	cs, err := mc.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: inst.URL + mcpgate.Path, HTTPClient: c.HTTPClient(), DisableStandaloneSSE: true, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// An agent speaking MCP through the official Go SDK gets governed tools: only what policy
// could allow is offered, every call is one decision and one result in the Mandate session's
// chain, results are masked, refusals are tool errors, and a kill ends the session's use.
func TestMCPFrontDoor(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	agent := agentClient(inst)
	changed := make(chan struct{}, 16)
	mc := mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} }})
	cs, err := mc.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: inst.URL + mcpgate.Path, HTTPClient: agent.HTTPClient(), MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	for _, want := range []string{mcpgate.OpenSessionTool, "customers.get", "orders.GetItem", "orders.Query"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools/list lacks %s: %v", want, names)
		}
	}
	for _, never := range []string{"customers.delete", "orders.DeleteItem", "orders.PutItem"} {
		if slices.Contains(names, never) {
			t.Errorf("tools/list offers %s, which no permit allows: %v", never, names)
		}
	}

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}})
	if err != nil || !res.IsError || !strings.Contains(text(res), mcpgate.OpenSessionTool) {
		t.Fatalf("a call before open_session = %+v %v", res, err)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: mcpgate.OpenSessionTool, Arguments: map[string]any{"operator": local.DefaultOperator, "prompt": prompt}})
	if err != nil || res.IsError {
		t.Fatalf("open_session = %+v %v", res, err)
	}
	var opened struct {
		SessionID string `json:"session_id"`
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if json.Unmarshal(raw, &opened) != nil || !strings.HasPrefix(opened.SessionID, "ses_") {
		t.Fatalf("open_session answered %s", raw)
	}

	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}})
	if err != nil || res.IsError || strings.Contains(text(res), "grace.hopper@example.org") || !strings.Contains(text(res), "Grace Hopper") {
		t.Fatalf("customers.get = %+v %v (%s)", res, err, text(res))
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers"}})
	if err != nil || res.IsError || !strings.Contains(text(res), "approval_id") {
		t.Fatalf("the bulk export = %+v %v, want an approval to wait for", res, err)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/%2e%2e/admin"}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "non-canonical") {
		t.Fatalf("a non-canonical path = %+v %v", res, err)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42", "statement": "DROP TABLE x"}})
	if err != nil || !res.IsError {
		t.Fatalf("arguments outside the schema = %+v %v", res, err)
	}

	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: "session", ID: opened.SessionID, Reason: "mcp test"}, nil); err != nil {
		t.Fatal(err)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "kill") {
		t.Fatalf("a call after the kill = %+v %v", res, err)
	}
	// The kill ended the session's use: its tools are withdrawn (the client is told with
	// notifications/tools/list_changed) and a further call is refused.
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/43"}}); err == nil {
		t.Fatal("a call after the session ended was taken")
	}
	after, err := cs.ListTools(ctx, nil)
	if err != nil || len(after.Tools) != 1 || after.Tools[0].Name != mcpgate.OpenSessionTool {
		t.Fatalf("tools after the kill = %+v %v", after, err)
	}
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no notifications/tools/list_changed after the kill")
	}

	a, err := agent.Audit(ctx, opened.SessionID)
	if err != nil || !a.Verified {
		t.Fatalf("audit: %v %v", a.Problems, err)
	}
	var types []string
	for _, r := range a.Records {
		b, _ := json.Marshal(r)
		var rec audit.Record
		_ = json.Unmarshal(b, &rec)
		types = append(types, rec.Type)
		if rec.Type != audit.TypeSessionOpen && !strings.HasPrefix(rec.RequestID, "mcp-") && rec.Type != audit.TypeKill {
			t.Errorf("record %d (%s) does not name the MCP call: %q", rec.Seq, rec.Type, rec.RequestID)
		}
	}
	want := "session.open,decision,result,decision,approval.request,decision,kill,decision"
	if got := strings.Join(types, ","); got != want {
		t.Fatalf("chain = %s\nwant    %s", got, want)
	}
}

// The MCP endpoint is never anonymous, and an MCP session id presented by another identity
// is unknown.
func TestMCPNeedsTheSameAgent(t *testing.T) {
	t.Parallel()
	inst := start(t)
	resp, err := http.Post(inst.URL+mcpgate.Path, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), ";"), `resource_metadata="`+inst.URL+local.MetadataPath+`"`) {
		t.Fatalf("an anonymous initialize = %d %v, want 401 naming the resource metadata", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
	meta, err := http.Get(inst.URL + local.MetadataPath)
	if err != nil {
		t.Fatal(err)
	}
	var prm struct {
		Resource string   `json:"resource"`
		Servers  []string `json:"authorization_servers"`
	}
	err = json.NewDecoder(meta.Body).Decode(&prm)
	meta.Body.Close()
	if err != nil || prm.Resource != inst.URL+mcpgate.Path || prm.Servers == nil {
		t.Fatalf("protected resource metadata = %+v %v", prm, err)
	}
	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	req, _ := http.NewRequest(http.MethodPost, inst.URL+mcpgate.Path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err = grace.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a human on the MCP endpoint = %d, want 403", resp.StatusCode)
	}
	cs := mcpSession(t, inst, agentClient(inst))
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodPost, inst.URL+mcpgate.Path, strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", cs.ID())
	resp, err = grace.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("another identity used the agent's MCP session: %d", resp.StatusCode)
	}
}

// A captured signed MCP request replayed as is does not run its tool call again.
func TestMCPReplayRefused(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	c := agentClient(inst)
	cs := mcpSession(t, inst, c)
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: mcpgate.OpenSessionTool, Arguments: map[string]any{"operator": local.DefaultOperator, "prompt": prompt}}); err != nil || res.IsError {
		t.Fatalf("open_session: %v", err)
	}
	body := []byte(`{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`)
	req, _ := http.NewRequest(http.MethodPost, inst.URL+mcpgate.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", cs.ID())
	req.Header.Set("Mcp-Protocol-Version", cs.InitializeResult().ProtocolVersion)
	req.Header.Set(client.HeaderNonce, "fixed-nonce")
	if err := c.Sign(ctx, req, body); err != nil {
		t.Fatal(err)
	}
	send := func() (int, string) {
		again := req.Clone(ctx)
		again.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(answer)
	}
	served := inst.CRM.Served()
	if code, answer := send(); code != http.StatusOK || strings.Contains(answer, `"isError":true`) {
		t.Fatalf("the signed call = %d %s", code, answer)
	}
	// The replay's call is refused as a tool error naming the replay: the signature was
	// claimed in the write that recorded the first call's decision.
	if code, answer := send(); code != http.StatusOK || !strings.Contains(answer, `"isError":true`) || !strings.Contains(answer, "replayed request") {
		t.Fatalf("its exact replay = %d %s, want a tool error naming the replay", code, answer)
	}
	if inst.CRM.Served() != served+1 {
		t.Fatalf("the target served %d calls, want 1", inst.CRM.Served()-served)
	}
	// A client cannot hand its calls a signature of its choosing: the gate drops the header
	// it carries signatures in and sets the verified one.
	forged := []byte(`{"jsonrpc":"2.0","id":100,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`)
	req, _ = http.NewRequest(http.MethodPost, inst.URL+mcpgate.Path, bytes.NewReader(forged))
	for k, v := range map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
		"Mcp-Session-Id": cs.ID(), "Mcp-Protocol-Version": cs.InitializeResult().ProtocolVersion, "X-Mandate-Verified-Signature": "chosen"} {
		req.Header.Set(k, v)
	}
	if err := c.Sign(ctx, req, forged); err != nil {
		t.Fatal(err)
	}
	body = forged
	for i := range 2 {
		code, answer := send()
		if refused := strings.Contains(answer, "replayed request"); code != http.StatusOK || refused != (i == 1) {
			t.Fatalf("send %d of a call naming its own signature = %d %s", i+1, code, answer)
		}
	}
}

// A tool call costs the durable writes of the same action on the REST route: its decision
// (with the POST's replay claim) and its result, and no write of its own per POST.
func TestMCPToolCallWritesAsRESTDoes(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	c := agentClient(inst)
	writes := func(do func()) uint64 {
		t.Helper()
		before, ok := inst.StoreStats()
		if !ok {
			t.Fatal("no store stats")
		}
		do()
		after, _ := inst.StoreStats()
		return after.Writes - before.Writes
	}
	s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	read := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}
	rest := writes(func() {
		if _, err := c.Act(ctx, s.SessionID, read); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Audit(ctx, s.SessionID); err != nil { // the result record is on disk
			t.Fatal(err)
		}
	})
	cs := mcpSession(t, inst, c)
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: mcpgate.OpenSessionTool, Arguments: map[string]any{"operator": local.DefaultOperator, "prompt": prompt}})
	if err != nil || res.IsError {
		t.Fatalf("open_session: %v %s", err, toolErr(res))
	}
	mandate := res.StructuredContent.(map[string]any)["session_id"].(string)
	viaMCP := writes(func() {
		if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}}); err != nil || res.IsError {
			t.Fatalf("tool call: %v %s", err, toolErr(res))
		}
		if _, err := c.Audit(ctx, mandate); err != nil {
			t.Fatal(err)
		}
	})
	if rest != 2 || viaMCP != rest {
		t.Fatalf("durable writes: REST action %d, tool call %d; want 2 each", rest, viaMCP)
	}
}

// An MCP session's server, with its tools, is built when the session starts, and only then:
// the SDK asks for a server on every request (for the protocol versions it speaks), and a tool
// call or a tools/list must not build a session's worth of tools again. (The Go SDK client
// starts with a probe of a newer protocol before it initialises, and each is a request with no
// session: at most two servers per session start.)
func TestMCPServerBuiltOncePerSession(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	c := agentClient(inst)
	built := inst.MCP.ServersBuilt
	before := built()
	cs := mcpSession(t, inst, c)
	started := built()
	if n := started - before; n < 1 || n > 2 {
		t.Fatalf("starting one MCP session built %d servers, want 1 or 2", n)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: mcpgate.OpenSessionTool, Arguments: map[string]any{"operator": local.DefaultOperator, "prompt": prompt}})
	if err != nil || res.IsError {
		t.Fatalf("open_session: %v %s", err, toolErr(res))
	}
	for range 3 {
		if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}}); err != nil || res.IsError {
			t.Fatalf("tool call: %v %s", err, toolErr(res))
		}
	}
	if _, err := cs.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := built() - started; n != 0 {
		t.Fatalf("four tool calls and a tools/list in a running MCP session built %d servers, want 0", n)
	}
}

// An MCP session nobody uses is closed after the idle timeout, and the gate forgets its owner:
// clients that never say goodbye do not make a long-running server grow, and the closed
// session's id is refused like any unknown one.
func TestMCPIdleSessionsClosed(t *testing.T) {
	t.Parallel()
	const idle = time.Second
	inst, err := local.Start(context.Background(), local.Options{Dir: t.TempDir(), Addr: "127.0.0.1:0", MCPIdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	ctx := context.Background()
	c := agentClient(inst)
	gone := mcpSession(t, inst, c)
	kept := mcpSession(t, inst, c)
	if n := inst.MCP.Sessions(); n != 2 {
		t.Fatalf("%d MCP sessions held, want 2", n)
	}
	// kept is used more often than the idle timeout, gone is not.
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); time.Sleep(idle / 10) {
		if _, err := kept.ListTools(ctx, nil); err != nil {
			t.Fatalf("a session in use was closed: %v", err)
		}
	}
	mcpSession(t, inst, c) // a new session drops the owners of idle ones
	if n := inst.MCP.Sessions(); n != 2 {
		t.Fatalf("%d MCP sessions held after the idle one timed out, want 2 (the one in use and the new one)", n)
	}
	if _, err := gone.ListTools(ctx, nil); err == nil {
		t.Fatal("an idle MCP session still answered after its timeout")
	}
	if _, err := kept.ListTools(ctx, nil); err != nil {
		t.Fatalf("the session in use: %v", err)
	}
}

// One agent holds at most MCPMaxSessions MCP sessions: starting more, even all at once, is
// refused with 429 naming the limit, and ending one makes room. Another agent is not held to
// the first one's count.
func TestMCPSessionsPerAgentLimited(t *testing.T) {
	t.Parallel()
	const most = 3
	dir := t.TempDir()
	cfg, err := local.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Agents = append(cfg.Agents, local.Agent{Name: "second-agent", AccessKeyID: "AKIASECONDAGENT00001", SecretAccessKey: "second-agent-secret-key-for-this-test-only-0001"})
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, local.ConfigFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	inst, err := local.Start(context.Background(), local.Options{Dir: dir, Addr: "127.0.0.1:0", MCPMaxSessions: most})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	c := agentClient(inst)
	// Connections dialled for the parallel starts and never used would hold the server's
	// shutdown for five seconds.
	t.Cleanup(func() { c.HTTPClient().CloseIdleConnections() })
	connect := func(c *client.Client) (*mcp.ClientSession, error) {
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "greedy", Version: "1"}, nil).Connect(context.Background(),
			&mcp.StreamableClientTransport{Endpoint: inst.URL + mcpgate.Path, HTTPClient: c.HTTPClient(), DisableStandaloneSSE: true, MaxRetries: -1}, nil)
		if err == nil {
			t.Cleanup(func() { cs.Close() })
		}
		return cs, err
	}
	var (
		mu      sync.Mutex
		started []*mcp.ClientSession
		wg      sync.WaitGroup
	)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cs, err := connect(c); err == nil {
				mu.Lock()
				started = append(started, cs)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(started) == 0 || len(started) > most {
		t.Fatalf("12 parallel starts: %d sessions, want 1 to %d", len(started), most)
	}
	if n := inst.MCP.Sessions(); n != len(started) {
		t.Fatalf("the gate holds %d sessions, the agent started %d", n, len(started))
	}
	for len(started) < most { // fill up, one at a time
		cs, err := connect(c)
		if err != nil {
			t.Fatalf("session %d of %d: %v", len(started)+1, most, err)
		}
		started = append(started, cs)
	}
	// One more: 429, with the limit named, and nothing held for it.
	req, _ := http.NewRequest(http.MethodPost, inst.URL+mcpgate.Path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), api.ProblemTooManySessions) || !strings.Contains(string(body), "3 MCP sessions") {
		t.Fatalf("a session over the limit: %d %s", resp.StatusCode, body)
	}
	// Another agent starts its own.
	other := inst.Config.Agents[1]
	if _, err := connect(client.New(inst.URL, inst.Config.Region, other.AccessKeyID, other.SecretAccessKey)); err != nil {
		t.Fatalf("another agent: %v", err)
	}
	// Ending one makes room for one.
	started[0].Close()
	if _, err := connect(c); err != nil {
		t.Fatalf("after one ended: %v (sessions %d, started %d)", err, inst.MCP.Sessions(), len(started))
	}
	if _, err := connect(c); err == nil {
		t.Fatal("a fourth session after one ended and one started")
	}
}

// An agent built on the TypeScript SDK, with an OIDC bearer token, gets the same governed
// tools: interoperability beyond the Go SDK, from a Node script.
func TestMCPFromTheTypeScriptSDK(t *testing.T) {
	modules := os.Getenv("MANDATE_TEST_NODE_MODULES")
	node, err := exec.LookPath("node")
	if modules == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node and MANDATE_TEST_NODE_MODULES (with @modelcontextprotocol/sdk) are required in CI")
		}
		t.Skip("run under .ci/with-services, which installs the MCP TypeScript SDK")
	}
	inst, agents, _ := startWithIssuers(t)
	work := t.TempDir()
	script, err := os.ReadFile("../../testdata/mcp/ts-client.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "ts-client.mjs"), script, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(modules, filepath.Join(work, "node_modules")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(work, "ts-client.mjs"), inst.URL+mcpgate.Path, agents.Token(t, botSubject, nil), local.DefaultOperator, prompt)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var seen struct {
		Tools  []string       `json:"tools"`
		Opened map[string]any `json:"opened"`
		Read   struct {
			IsError bool   `json:"isError"`
			Text    string `json:"text"`
		} `json:"read"`
		Export struct {
			Text string `json:"text"`
		} `json:"export"`
		Delete string `json:"delete"`
		Error  string `json:"error"`
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &seen); err != nil || seen.Error != "" {
		t.Fatalf("the TypeScript agent: %v %s\n%s", err, seen.Error, out)
	}
	if !slices.Contains(seen.Tools, "customers.get") || slices.Contains(seen.Tools, "customers.delete") {
		t.Errorf("tools = %v", seen.Tools)
	}
	if sid, _ := seen.Opened["session_id"].(string); !strings.HasPrefix(sid, "ses_") {
		t.Errorf("open_session = %v", seen.Opened)
	}
	if seen.Read.IsError || !strings.Contains(seen.Read.Text, "Grace Hopper") || strings.Contains(seen.Read.Text, "grace.hopper@example.org") {
		t.Errorf("read = %+v", seen.Read)
	}
	if !strings.Contains(seen.Export.Text, "approval_id") {
		t.Errorf("export = %+v, want an approval to wait for", seen.Export)
	}
	if !strings.HasPrefix(seen.Delete, "refused") {
		t.Errorf("delete = %q", seen.Delete)
	}
}

// TestMCPSessionsBackToBack: sessions opened one after another by several clients at once
// all initialise. The gate answers on the event stream, which reaches the client before the
// request's handler returns; a session was once owned only after that, so the client's
// notifications/initialized could find "no such session".
func TestMCPSessionsBackToBack(t *testing.T) {
	t.Parallel()
	inst := start(t)
	ctx := context.Background()
	hc := agentClient(inst).HTTPClient()
	mc := mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "1"}, nil)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 4 {
		wg.Go(func() {
			for range 75 {
				cs, err := mc.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: inst.URL + mcpgate.Path, HTTPClient: hc, DisableStandaloneSSE: true, MaxRetries: -1}, nil)
				if err != nil {
					failed.Add(1)
					t.Log(err)
					continue
				}
				cs.Close()
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of 300 sessions failed to initialise", n)
	}
}
