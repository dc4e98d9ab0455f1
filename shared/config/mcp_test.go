package config_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/fixture"
	"github.com/mandate-dev/mandate/shared/local"
)

// TestMCPIsStatelessAcrossInstances: the MCP function keeps nothing between invocations. One
// instance initialises and opens the Mandate session, which comes back as the Mcp-Session-Id;
// a second instance, built afresh from the same configuration, serves the tool calls of that
// session from the store alone.
func TestMCPIsStatelessAcrossInstances(t *testing.T) {
	t.Parallel()
	path, dir := fixture.DemoStore(t)
	e := env(map[string]string{config.EnvStore: "bolt:" + path, config.EnvSecretsDir: dir})
	cfg, err := config.FromEnv(e)
	if err != nil {
		t.Fatal(err)
	}
	instance := func(serve func(h *edge.Handler)) {
		h, closer, err := cfg.Handler(context.Background(), e, slog.New(slog.DiscardHandler), edge.MCPRoutes)
		if err != nil {
			t.Fatal(err)
		}
		defer closer.Close() // the embedded store admits one process at a time
		serve(h)
	}
	call := func(h *edge.Handler, n int, sid, message string) (events.APIGatewayV2HTTPResponse, map[string]any) {
		t.Helper()
		resp, err := h.Handle(context.Background(), fixture.MCPEvent(t, n, sid, message))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s (%v)", message, resp.StatusCode, resp.Body, err)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
			t.Fatalf("%s: %s is not JSON-RPC: %v", message, resp.Body, err)
		}
		return resp, out
	}
	var sid string
	instance(func(h *edge.Handler) {
		resp, out := call(h, 1, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
		if !strings.Contains(js(out), `"name":"mandate"`) || resp.Headers["Mcp-Session-Id"] != "" || strings.Contains(js(out), "listChanged") {
			t.Fatalf("initialize: %s %v, want the server's info, no MCP session yet and no promise of list_changed", resp.Body, resp.Headers)
		}
		resp, out = call(h, 2, "", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"open_session","arguments":{"operator":"`+local.DefaultOperator+`","prompt":"Look up customer 42 and tell me their email domain","ttl":"1h"}}}`)
		sid = resp.Headers["Mcp-Session-Id"]
		if !strings.HasPrefix(sid, "ses_") || !strings.Contains(js(out), sid) {
			t.Fatalf("open_session: %s %v, want the Mandate session as the Mcp-Session-Id", resp.Body, resp.Headers)
		}
	})
	instance(func(h *edge.Handler) {
		_, out := call(h, 3, sid, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`)
		var names []string
		for _, tl := range out["result"].(map[string]any)["tools"].([]any) {
			names = append(names, tl.(map[string]any)["name"].(string))
		}
		if !slices.Contains(names, "customers.get") || slices.Contains(names, "customers.delete") {
			t.Errorf("tools/list: %v, want customers.get and never customers.delete", names)
		}
		_, out = call(h, 4, sid, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`)
		if got := js(out); !strings.Contains(got, `"verdict":"allow"`) || !strings.Contains(got, "[EMAIL]") || strings.Contains(got, "grace.hopper@example.org") || strings.Contains(got, `"isError":true`) {
			t.Errorf("tools/call in the second instance: %s, want the masked customer", got)
		}
		_, out = call(h, 5, "", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`)
		if got := js(out); !strings.Contains(got, `"isError":true`) || !strings.Contains(got, "open_session") {
			t.Errorf("tools/call without a session: %s, want a tool error pointing at open_session", got)
		}
		_, out = call(h, 6, sid, `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"open_session","arguments":{"operator":"`+local.DefaultOperator+`","prompt":"again"}}}`)
		if got := js(out); !strings.Contains(got, `"isError":true`) || !strings.Contains(got, "already bound") {
			t.Errorf("open_session in a bound MCP session: %s, want a tool error", got)
		}
		// Another agent presenting the session id gets nothing of it.
		other := fixture.MCPEvent(t, 7, sid, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`)
		iam := *other.RequestContext.Authorizer.IAM
		iam.UserARN = "arn:aws:sts::123456789012:assumed-role/another-agent/x"
		other.RequestContext.Authorizer.IAM = &iam
		resp, _ := h.Handle(context.Background(), other)
		if resp.StatusCode == http.StatusOK && (!strings.Contains(resp.Body, `"isError":true`) || strings.Contains(resp.Body, "[EMAIL]")) {
			t.Errorf("another agent's call in the session: %d %s, want a refusal", resp.StatusCode, resp.Body)
		}
		// A replayed signed tool call is refused: its signature was claimed with its decision.
		if _, out := call(h, 4, sid, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`); !strings.Contains(js(out), `"isError":true`) || !strings.Contains(js(out), "replay") || strings.Contains(js(out), "[EMAIL]") {
			t.Errorf("replayed call: %s, want a tool error naming the replay", js(out))
		}
		// So is a replayed open_session.
		if _, out := call(h, 2, "", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"open_session","arguments":{"operator":"`+local.DefaultOperator+`","prompt":"Look up customer 42 and tell me their email domain","ttl":"1h"}}}`); !strings.Contains(js(out), `"isError":true`) || !strings.Contains(js(out), "replay") {
			t.Errorf("replayed open_session: %s, want a tool error naming the replay", js(out))
		}
	})
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FuzzMCPEvent: whatever body and session id an MCP event carries, the mcp function answers
// with a JSON-RPC message or a 4xx, never a 5xx or a panic (which Handle would turn into 500).
func FuzzMCPEvent(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, "")
	f.Add(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`, "ses_abcdefghijklmnopqrstuvwxyz")
	f.Add(`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]`, "")
	f.Add(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"open_session","arguments":{"prompt":"x","extra":1}}}`, "x")
	f.Add(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, "")
	path, dir := fixture.DemoStore(f)
	e := env(map[string]string{config.EnvStore: "bolt:" + path, config.EnvSecretsDir: dir})
	cfg, err := config.FromEnv(e)
	if err != nil {
		f.Fatal(err)
	}
	h, closer, err := cfg.Handler(context.Background(), e, slog.New(slog.DiscardHandler), edge.MCPRoutes)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { closer.Close() })
	n := 0
	f.Fuzz(func(t *testing.T, body, sid string) {
		n++
		ev := fixture.MCPEvent(t, 1000+n, "", body)
		if sid != "" {
			ev.Headers["mcp-session-id"] = sid
		}
		resp, err := h.Handle(context.Background(), ev)
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("body %q session %q: %d %s %v", body, sid, resp.StatusCode, resp.Body, err)
		}
	})
}

// TestMCPResourceMetadata: the mcp function serves the RFC 9728 document naming the issuers
// trusted for agents (and only those), for the endpoint of the API it is reached through.
func TestMCPResourceMetadata(t *testing.T) {
	t.Parallel()
	path, dir := fixture.DemoStore(t)
	issuers := `[{"issuer":"https://agents.example.com","audiences":["mandate"],"algorithms":["RS256"],"jwks_url":"https://agents.example.com/jwks","trust":"agent"},` +
		`{"issuer":"https://people.example.com","audiences":["mandate"],"algorithms":["RS256"],"jwks_url":"https://people.example.com/jwks","trust":"operator"}]`
	e := env(map[string]string{config.EnvStore: "bolt:" + path, config.EnvSecretsDir: dir, config.EnvIssuers: issuers})
	cfg, err := config.FromEnv(e)
	if err != nil {
		t.Fatal(err)
	}
	h, closer, err := cfg.Handler(context.Background(), e, slog.New(slog.DiscardHandler), edge.MCPRoutes)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	ev := fixture.MCPEvent(t, 1, "", "")
	ev.RouteKey, ev.RawPath, ev.RequestContext.HTTP.Method = edge.RouteMCPMetadata, "/.well-known/oauth-protected-resource/mcp", http.MethodGet
	ev.RequestContext.Authorizer = nil // a discovery document: no authorizer runs
	delete(ev.Headers, "authorization")
	resp, _ := h.Handle(context.Background(), ev)
	var got edge.ProtectedResourceMetadata
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(resp.Body), &got) != nil {
		t.Fatalf("metadata: %d %s", resp.StatusCode, resp.Body)
	}
	want := edge.ProtectedResourceMetadata{Resource: "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/mcp",
		AuthorizationServers: []string{"https://agents.example.com"}, BearerMethodsSupported: []string{"header"}, ResourceName: "Mandate"}
	if js(got) != js(want) {
		t.Errorf("metadata %s, want %s", js(got), js(want))
	}
}
