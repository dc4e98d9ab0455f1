package local_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/mcpgate"
)

// BenchmarkFrontDoors measures one allowed, masked read of the demo customer through /mcp
// (a tools/call of the official Go SDK client) beside the same action through the REST route,
// against one running authority, in one run. Each reports the median and 99th percentile of
// the calls themselves (the session opened every 20 calls is left out of them).
func BenchmarkFrontDoors(b *testing.B) {
	ctx := context.Background()
	inst, err := local.Start(ctx, local.Options{Dir: b.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Close()
	c := agentClient(inst)
	b.Run("rest", func(b *testing.B) {
		s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt, TTL: "1h"})
		if err != nil {
			b.Fatal(err)
		}
		req := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}
		calls := 0
		var took []time.Duration
		for b.Loop() {
			if calls++; calls%20 == 0 { // a fresh session before the demo policy's read limit
				if s, err = c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt, TTL: "1h"}); err != nil {
					b.Fatal(err)
				}
			}
			start := time.Now()
			if _, err := c.Act(ctx, s.SessionID, req); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		percentiles(b, took)
	})
	b.Run("mcp", func(b *testing.B) {
		mc := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
		open := func() *mcp.ClientSession {
			cs, err := mc.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: inst.URL + mcpgate.Path, HTTPClient: c.HTTPClient(), DisableStandaloneSSE: true, MaxRetries: -1}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: mcpgate.OpenSessionTool, Arguments: map[string]any{"operator": local.DefaultOperator, "prompt": prompt, "ttl": "1h"}}); err != nil {
				b.Fatal(err)
			}
			return cs
		}
		cs := open()
		calls := 0
		var took []time.Duration
		for b.Loop() {
			if calls++; calls%20 == 0 { // a fresh session before the demo policy's read limit
				cs.Close()
				cs = open()
			}
			start := time.Now()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}})
			if err != nil || res.IsError {
				b.Fatalf("%v %v", err, toolErr(res))
			}
			took = append(took, time.Since(start))
		}
		cs.Close()
		percentiles(b, took)
	})
}

// percentiles reports the median and 99th percentile of took, in milliseconds.
func percentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

func toolErr(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	return text(res)
}
