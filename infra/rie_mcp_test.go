package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/fixture"
	"github.com/mandate-dev/mandate/shared/local"
)

// mcpSample is the sample MCP event (fixture.MCPEvent) as the emulator is sent it.
func mcpSample(t *testing.T, n int, sid, message string) []byte {
	t.Helper()
	b, err := json.Marshal(fixture.MCPEvent(t, n, sid, message))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMCPBootstrapUnderRIE runs the mcp function's bootstrap under the Lambda runtime interface
// emulator, each request in a process of its own, as separate Lambda instances would serve
// them: initialize, open_session, tools/list and a tools/call of the session the second
// process opened, answered by a fourth from the store alone.
func TestMCPBootstrapUnderRIE(t *testing.T) {
	rie := rieBinary(t)
	db, dir := fixture.DemoStore(t)
	env := []string{config.EnvStore + "=bolt:" + db, config.EnvSecretsDir + "=" + dir}
	bootstrap := buildBootstrap(t, "mcp")
	// invoke serves one request in a new process and returns its answer and JSON-RPC message.
	invoke := func(n int, sid, message string) (apiAnswer, string) {
		t.Helper()
		var a apiAnswer
		body := rieInvoke(t, rie, bootstrap, env, mcpSample(t, n, sid, message))
		if err := json.Unmarshal(body, &a); err != nil || a.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s, want HTTP 200 from API Gateway's answer", message, body)
		}
		return a, a.Body
	}

	a, out := invoke(1, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"rie","version":"1"}}}`)
	if !strings.Contains(out, `"serverInfo":{"name":"mandate"`) || a.Headers["Mcp-Session-Id"] != "" {
		t.Fatalf("initialize: %s %v, want the server's info and no MCP session", out, a.Headers)
	}
	a, out = invoke(2, "", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"open_session","arguments":{"operator":"`+local.DefaultOperator+`","prompt":"Look up customer 42 and tell me their email domain","ttl":"1h"}}}`)
	sid := a.Headers["Mcp-Session-Id"]
	if !strings.HasPrefix(sid, "ses_") || !strings.Contains(out, sid) {
		t.Fatalf("open_session: %s %v, want the Mandate session as the Mcp-Session-Id", out, a.Headers)
	}
	_, out = invoke(3, sid, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`)
	var list struct {
		Result struct {
			Tools []struct {
				Name string `json:"name"`
			} `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range list.Result.Tools {
		names = append(names, tl.Name)
	}
	if !slices.Contains(names, "customers.get") || slices.Contains(names, "customers.delete") {
		t.Errorf("tools/list: %v, want customers.get and never customers.delete", names)
	}
	_, out = invoke(4, sid, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`)
	if !strings.Contains(out, `"verdict":"allow"`) || !strings.Contains(out, "[EMAIL]") || strings.Contains(out, "grace.hopper@example.org") || strings.Contains(out, `"isError":true`) {
		t.Fatalf("tools/call in a fresh process: %s, want the masked customer", out)
	}
	_, out = invoke(5, sid, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"customers.delete","arguments":{"path":"/customers/42"}}}`)
	if !strings.Contains(out, `"error":{"code":-32602`) || !strings.Contains(out, "unknown tool") {
		t.Fatalf("a tool never offered: %s, want a JSON-RPC error", out)
	}
	// The resource metadata, as API Gateway delivers the public route: no authorizer, no body.
	var ev map[string]any
	if err := json.Unmarshal(mcpSample(t, 6, "", ""), &ev); err != nil {
		t.Fatal(err)
	}
	ev["routeKey"], ev["rawPath"] = "GET /.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource/mcp"
	rc := ev["requestContext"].(map[string]any)
	delete(rc, "authorizer")
	rc["http"].(map[string]any)["method"] = "GET"
	delete(ev["headers"].(map[string]any), "authorization")
	raw, _ := json.Marshal(ev)
	var meta apiAnswer
	if err := json.Unmarshal(rieInvoke(t, rie, bootstrap, env, raw), &meta); err != nil || meta.StatusCode != http.StatusOK ||
		!strings.Contains(meta.Body, `"resource":"https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/mcp"`) || !strings.Contains(meta.Body, `"authorization_servers":[]`) {
		t.Fatalf("resource metadata: %+v, want the endpoint and no agent issuer (none configured)", meta)
	}
}
