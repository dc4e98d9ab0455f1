package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/mcpgate"
)

// mcpRecords is how many records the MCP scenario adds: the session's opening, the read
// (decision, result), the kill and the refused call after it in its chain; the kill and its
// revocation in the control chain.
const mcpRecords = 7

// mcpScenario: an agent that speaks MCP (the official Go SDK client) is pointed at Mandate's
// /mcp. It sees only the tools policy could allow, opens its session with a tool, reads a
// customer (masked), cannot delete one, and is cut off by a kill.
func mcpScenario(ctx context.Context, n *narrator, inst *local.Instance, agent *client.Client) {
	const scenario = "MCP"
	n.say("\n7. An agent that speaks MCP connects to %s%s with the official Go SDK (every request signed)", inst.URL, mcpgate.Path)
	mc := mcp.NewClient(&mcp.Implementation{Name: "demo-mcp-agent", Version: "1"}, nil)
	cs, err := mc.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: inst.URL + mcpgate.Path, HTTPClient: agent.HTTPClient(), DisableStandaloneSSE: true, MaxRetries: -1}, nil)
	if err != nil {
		n.say("   -> %v", err)
		n.expect(false, scenario, "the MCP session did not start")
		return
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		n.expect(false, scenario, "tools/list failed: "+err.Error())
		return
	}
	var names []string
	for _, t := range tools.Tools {
		names = append(names, t.Name)
	}
	n.say("   -> tools policy could allow: %s", strings.Join(names, ", "))
	call := func(name string, args map[string]any) (*mcp.CallToolResult, error) {
		return cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	}
	res, err := call(mcpgate.OpenSessionTool, map[string]any{"operator": local.DefaultOperator, "prompt": Prompt})
	if err != nil || res.IsError {
		n.expect(false, scenario, fmt.Sprintf("open_session failed: %v %s", err, toolText(res)))
		return
	}
	var opened struct {
		SessionID string `json:"session_id"`
	}
	raw, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(raw, &opened)
	n.say("   open_session -> Mandate session %s", opened.SessionID)
	res, err = call("customers.get", map[string]any{"path": "/customers/42"})
	read := toolText(res)
	n.say("   customers.get /customers/42 -> %s", read)
	_, delErr := call("customers.delete", map[string]any{"path": "/customers/42"})
	n.say("   customers.delete -> %v", delErr)

	grace := human(inst, local.DefaultApprover)
	if grace == nil {
		n.expect(false, scenario, "the configuration names no operator with a key")
		return
	}
	if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: api.ScopeSession, ID: opened.SessionID, Reason: "demo: MCP agent stopped"}, nil); err != nil {
		n.expect(false, scenario, "the kill was refused: "+err.Error())
		return
	}
	after, aerr := call("customers.get", map[string]any{"path": "/customers/42"})
	n.say("   %s kills the session; customers.get -> %s", local.DefaultApprover, toolText(after))
	n.expect(err == nil && !res.IsError && strings.Contains(read, "Grace Hopper") && leaks(read) == "" &&
		slices.Contains(names, "customers.get") && !slices.Contains(names, "customers.delete") && delErr != nil &&
		aerr == nil && after.IsError && strings.Contains(toolText(after), "kill"), scenario,
		fmt.Sprintf("tools %v, read %q (%v), delete %v, after the kill %q", names, read, err, delErr, toolText(after)))
}

func toolText(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}
