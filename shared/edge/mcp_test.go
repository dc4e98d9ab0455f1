package edge_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store"
)

// The stateless MCP route serves every request with one MCP server, and builds a new one when
// policy changes what could be allowed: tools/list follows a new policy version at once.
func TestMCPToolsFollowPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	auth, err := authority.New(ctx, authority.Config{
		Store: db, Broker: broker.New(nil, nil), Executor: execute.Executors{}, Masker: mask.New(),
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Unix(0, now.Load()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := edge.New(auth, slog.New(slog.DiscardHandler), edge.MCPRoutes)
	if err != nil {
		t.Fatal(err)
	}
	list := func() string {
		ev := loadEvent(t, "apigw-mcp.json")
		ev.Body = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
		resp, _ := h.Handle(ctx, ev)
		if resp.StatusCode != 200 {
			t.Fatalf("tools/list: %d %s", resp.StatusCode, resp.Body)
		}
		return resp.Body
	}
	if got := list(); !strings.Contains(got, `"name":"customers.get"`) {
		t.Fatalf("tools/list under the demo policies: %s, want customers.get", got)
	}
	if got := list(); !strings.Contains(got, `"name":"customers.get"`) {
		t.Fatalf("tools/list again: %s, want customers.get", got)
	}
	latest, err := db.LatestDocument(ctx, store.KindPolicies, authority.DocumentName)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutDocument(ctx, store.Document{Kind: store.KindPolicies, Name: authority.DocumentName, Version: latest.Version + 1,
		Body: []byte("// nothing is permitted\n")}); err != nil {
		t.Fatal(err)
	}
	now.Add(int64(2 * authority.DefaultReloadInterval))
	if got := list(); strings.Contains(got, `"name":"customers.`) || !strings.Contains(got, `"name":"open_session"`) {
		t.Errorf("tools/list after a policy set that permits nothing: %s, want open_session alone", got)
	}
}
