package mcpgate_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/mcpgate"
)

// FuzzMessages posts arbitrary bodies to /mcp as an authenticated agent: malformed JSON-RPC,
// unknown methods, batches, calls before initialisation. Every answer is a JSON-RPC error or
// a 4xx, never a 5xx, and the server keeps serving.
func FuzzMessages(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/x"}}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"no/such"}`, `{`, `null`, `{"jsonrpc":"1.0"}`,
	} {
		f.Add([]byte(s))
	}
	inst, err := local.Start(context.Background(), local.Options{Dir: f.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { inst.Close() })
	a := inst.Config.Agents[0]
	hc := client.New(inst.URL, inst.Config.Region, a.AccessKeyID, a.SecretAccessKey).HTTPClient()
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest(http.MethodPost, inst.URL+mcpgate.Path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s -> %d %s", body, resp.StatusCode, raw)
		}
	})
}
