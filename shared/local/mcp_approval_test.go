package local_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/mcpgate"
)

// A tool call that needs a human's approval, from a client that asked for progress, waits for
// the human: progress notifications say what it waits for, and the human's answer decides the
// call (approved: the action runs, masked, with its records after the approval's; denied: a
// tool error naming who denied it). Without a progress token the call answers at once with
// the approval to wait for (TestMCPFrontDoor).
func TestMCPWaitsForApprovalWithProgress(t *testing.T) {
	t.Parallel()
	// A client that opens no standalone GET stream (the spec makes it optional) hears the
	// progress on the call's own response stream.
	for _, c := range []struct {
		name     string
		approve  bool
		postOnly bool
	}{{"approved", true, false}, {"denied", false, false}, {"approved, POST only", true, true}, {"denied, POST only", false, true}} {
		approve := c.approve
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			inst := start(t)
			ctx := context.Background()
			var mu sync.Mutex
			var progress []string
			mc := mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "1"}, &mcp.ClientOptions{
				ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
					mu.Lock()
					progress = append(progress, r.Params.Message)
					mu.Unlock()
				}})
			cs, err := mc.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: inst.URL + mcpgate.Path, HTTPClient: agentClient(inst).HTTPClient(), MaxRetries: -1,
				DisableStandaloneSSE: c.postOnly}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: mcpgate.OpenSessionTool, Arguments: map[string]any{"operator": local.DefaultOperator, "prompt": prompt}})
			if err != nil || res.IsError {
				t.Fatalf("open_session = %+v %v", res, err)
			}

			// The human: waits for the approval to be asked for, then answers it.
			grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
			decided := make(chan string, 1)
			go func() {
				for range 200 {
					var l api.ApprovalList
					if err := grace.Do(ctx, http.MethodGet, "/v1/approvals", nil, &l); err == nil && len(l.Approvals) == 1 {
						verb := map[bool]string{true: "approve", false: "deny"}[approve]
						err := grace.Do(ctx, http.MethodPost, "/v1/approvals/"+l.Approvals[0].ApprovalID+"/"+verb, api.DecideRequest{Note: "checked the ticket"}, nil)
						if err != nil {
							decided <- "decide: " + err.Error()
						} else {
							decided <- l.Approvals[0].ApprovalID
						}
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
				decided <- "no approval was asked for"
			}()

			params := &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers"}}
			params.SetProgressToken("export-1")
			res, err = cs.CallTool(ctx, params)
			id := <-decided
			if !strings.HasPrefix(id, "apr_") {
				t.Fatal(id)
			}
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(res.StructuredContent)
			if approve {
				if res.IsError || !strings.Contains(string(raw), `"verdict":"allow"`) || strings.Contains(string(raw), "grace.hopper@example.org") {
					t.Fatalf("the approved call answered %s (%s)", raw, text(res))
				}
			} else if !res.IsError || !strings.Contains(text(res), "denied") || !strings.Contains(text(res), local.DefaultApprover) {
				t.Fatalf("the denied call answered %s (%s)", raw, text(res))
			}
			mu.Lock()
			seen := strings.Join(progress, "\n")
			mu.Unlock()
			if !strings.Contains(seen, "waiting for a human to approve (approval "+id) {
				t.Fatalf("progress notifications: %q", seen)
			}
		})
	}
}
