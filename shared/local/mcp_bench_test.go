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
// against one running authority, both within each iteration, in turn first, so both meet the
// same machine. It reports the median and 99th percentile of the calls themselves (the sessions
// each side opens every 20 calls, the demo policy's read limit, are left out) and the
// difference of the medians.
func BenchmarkFrontDoors(b *testing.B) {
	ctx := context.Background()
	inst, err := local.Start(ctx, local.Options{Dir: b.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Close()
	c := agentClient(inst)
	openREST := func() string {
		s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt, TTL: "1h"})
		if err != nil {
			b.Fatal(err)
		}
		return s.SessionID
	}
	mc := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
	openMCP := func() *mcp.ClientSession {
		cs, err := mc.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: inst.URL + mcpgate.Path, HTTPClient: c.HTTPClient(), DisableStandaloneSSE: true, MaxRetries: -1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: mcpgate.OpenSessionTool, Arguments: map[string]any{"operator": local.DefaultOperator, "prompt": prompt, "ttl": "1h"}}); err != nil {
			b.Fatal(err)
		}
		return cs
	}
	read := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}
	sid, cs := openREST(), openMCP()
	calls := 0
	var rest, viaMCP []time.Duration
	for b.Loop() {
		if calls++; calls%20 == 0 { // fresh sessions before the demo policy's read limit
			cs.Close()
			sid, cs = openREST(), openMCP()
		}
		viaREST := func() {
			start := time.Now()
			if _, err := c.Act(ctx, sid, read); err != nil {
				b.Fatal(err)
			}
			rest = append(rest, time.Since(start))
		}
		toolCall := func() {
			start := time.Now()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}})
			if err != nil || res.IsError {
				b.Fatalf("%v %v", err, toolErr(res))
			}
			viaMCP = append(viaMCP, time.Since(start))
		}
		// Each goes first every other iteration: the one that goes second meets the first's
		// result record still committing in the background.
		if calls%2 == 0 {
			viaREST()
			toolCall()
		} else {
			toolCall()
			viaREST()
		}
	}
	cs.Close()
	r50, m50 := percentile(rest, 0.50), percentile(viaMCP, 0.50)
	b.ReportMetric(r50, "rest-p50-ms")
	b.ReportMetric(percentile(rest, 0.99), "rest-p99-ms")
	b.ReportMetric(m50, "mcp-p50-ms")
	b.ReportMetric(percentile(viaMCP, 0.99), "mcp-p99-ms")
	b.ReportMetric(m50-r50, "mcp-minus-rest-p50-ms")
}

// percentile is the p-th percentile of took, in milliseconds.
func percentile(took []time.Duration, p float64) float64 {
	s := slices.Clone(took)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
}

func toolErr(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	return text(res)
}
