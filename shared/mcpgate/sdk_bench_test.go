package mcpgate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkSDKRoundTrip is the floor under BenchmarkFrontDoors (shared/local): what the
// official SDK's Streamable HTTP round trip costs by itself. In one process over loopback,
// alternating within each iteration, a tools/call from the SDK's client to an SDK server
// (stateful, event-stream answer) whose tool returns at once beside a plain JSON POST to a
// net/http handler answering the same result. Neither side does any Mandate work; the
// difference of the medians is the SDK's, which no gate built on it can go under.
func BenchmarkSDKRoundTrip(b *testing.B) {
	ctx := context.Background()
	result := map[string]any{"id": "42", "name": "Grace Hopper", "email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]",
		"tier": "platinum", "note": "call after 5pm on [PHONE]", "updated_at": "2026-11-20T16:40:00Z"}
	text, _ := json.Marshal(result)
	answer := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(text)}},
		StructuredContent: map[string]any{"verdict": "allow", "status": 200, "result": result}}

	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Params struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			} `json:"params"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": answer})
	}))
	defer plain.Close()

	s := mcp.NewServer(&mcp.Implementation{Name: "floor", Version: "1"}, nil)
	s.AddTool(&mcp.Tool{Name: "customers.get", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) { return answer, nil })
	sdk := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	defer sdk.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: sdk.URL, DisableStandaloneSSE: true, MaxRetries: -1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()

	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`)
	hc := plain.Client()
	var viaPlain, viaSDK []time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := hc.Post(plain.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte("[EMAIL]")) {
			b.Fatalf("plain: %d %s", resp.StatusCode, got)
		}
		viaPlain = append(viaPlain, time.Since(start))
		start = time.Now()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}})
		if err != nil || res.IsError {
			b.Fatal(err)
		}
		viaSDK = append(viaSDK, time.Since(start))
	}
	p50 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	pl, sd := p50(viaPlain), p50(viaSDK)
	b.ReportMetric(pl, "plain-p50-ms")
	b.ReportMetric(sd, "sdk-p50-ms")
	b.ReportMetric(sd-pl, "sdk-minus-plain-p50-ms")
}
