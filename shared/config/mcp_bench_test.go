package config_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/fixture"
	"github.com/mandate-dev/mandate/shared/local"
)

// BenchmarkLambdaFrontDoors measures, in the functions' own handler (config.Handler, as the
// bootstraps build it, over the embedded store), one allowed and masked read of customer 42
// as a tools/call through POST /mcp beside the same action through POST
// /v1/sessions/{id}/actions. Both run within each iteration, in turn first, so both meet the
// same machine; both events are signed (each claims its signature against replay), and each
// side opens a new session every 20 calls (the demo policy's read limit), outside the timing.
// It reports the median and 99th percentile of each and their difference.
func BenchmarkLambdaFrontDoors(b *testing.B) {
	ctx := context.Background()
	path, dir := fixture.DemoStore(b)
	e := env(map[string]string{config.EnvStore: "bolt:" + path, config.EnvSecretsDir: dir})
	cfg, err := config.FromEnv(e)
	if err != nil {
		b.Fatal(err)
	}
	h, closer, err := cfg.Handler(ctx, e, slog.New(slog.DiscardHandler), append(append([]string{}, edge.SessionRoutes...), append(edge.ActionRoutes, edge.MCPRoutes...)...), config.WithMetrics(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	defer closer.Close()
	sample := func(name string) events.APIGatewayV2HTTPRequest {
		raw, err := os.ReadFile("../../events/" + name)
		if err != nil {
			b.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.Fatal(err)
		}
		return ev
	}
	openEv, actEv := sample("apigw-session-open.json"), sample("apigw-action.json")
	sig := fixture.MCPEvent(b, 0, "", "").Headers["authorization"]
	n := 0
	signed := func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
		n++
		hs := map[string]string{}
		for k, v := range ev.Headers {
			hs[k] = v
		}
		hs["authorization"] = sig[:len(sig)-8] + fmt.Sprintf("%08x", 1<<30+n)
		ev.Headers = hs
		return ev
	}
	openREST := func() string {
		resp, _ := h.Handle(ctx, signed(openEv))
		var s struct {
			SessionID string `json:"session_id"`
		}
		if resp.StatusCode != 201 || json.Unmarshal([]byte(resp.Body), &s) != nil {
			b.Fatalf("open: %d %s", resp.StatusCode, resp.Body)
		}
		return s.SessionID
	}
	openMCP := func() string {
		n++
		resp, _ := h.Handle(ctx, fixture.MCPEvent(b, 1<<30+n, "", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"open_session","arguments":{"operator":"`+local.DefaultOperator+`","prompt":"Look up customer 42 and tell me their email domain","ttl":"1h"}}}`))
		if resp.Headers["Mcp-Session-Id"] == "" {
			b.Fatalf("open_session: %d %s", resp.StatusCode, resp.Body)
		}
		return resp.Headers["Mcp-Session-Id"]
	}
	var rest, mcp []time.Duration
	restSID, mcpSID := openREST(), openMCP()
	calls := 0
	for b.Loop() {
		if calls++; calls%20 == 0 {
			restSID, mcpSID = openREST(), openMCP()
		}
		viaREST := func() {
			ev := signed(actEv)
			ev.PathParameters = map[string]string{"id": restSID}
			start := time.Now()
			resp, _ := h.Handle(ctx, ev)
			rest = append(rest, time.Since(start))
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, "[EMAIL]") {
				b.Fatalf("rest: %d %s", resp.StatusCode, resp.Body)
			}
		}
		toolCall := func() {
			n++
			mev := fixture.MCPEvent(b, 1<<30+n, mcpSID, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`)
			start := time.Now()
			resp, _ := h.Handle(ctx, mev)
			mcp = append(mcp, time.Since(start))
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, "[EMAIL]") || strings.Contains(resp.Body, `"isError":true`) {
				b.Fatalf("mcp: %d %s", resp.StatusCode, resp.Body)
			}
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
	pct := func(d []time.Duration, p float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(rest, 0.50), "rest-p50-ms")
	b.ReportMetric(pct(rest, 0.99), "rest-p99-ms")
	b.ReportMetric(pct(mcp, 0.50), "mcp-p50-ms")
	b.ReportMetric(pct(mcp, 0.99), "mcp-p99-ms")
	b.ReportMetric(pct(mcp, 0.50)-pct(rest, 0.50), "mcp-minus-rest-p50-ms")
}
