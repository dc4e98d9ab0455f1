package authority_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/metrics"
)

type lockedBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

// TestEveryDecidedActionIsMeasured: one EMF line per decided action, with its verdict,
// stage latencies and masked counts, and nothing that was masked.
func TestEveryDecidedActionIsMeasured(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var buf lockedBuffer
	auth, err := authority.New(context.Background(), authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now), Executor: execute.NewHTTP(nil),
		Masker: mask.New(), Now: f.now, Log: quiet, Metrics: metrics.New(&buf, time.Now),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	s := f.open(t)
	if _, err := f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, read); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, del); kindOf(err) != authority.ErrDenied {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	var allow, deny map[string]any
	if json.Unmarshal([]byte(lines[0]), &allow) != nil || json.Unmarshal([]byte(lines[1]), &deny) != nil {
		t.Fatalf("not JSON: %s", buf.String())
	}
	if allow["Verdict"] != "allow" || allow["Target"] != "customers" || allow["Masked_email"] != float64(1) ||
		allow["ExecuteLatency"] == nil || allow["ResultAppendLatency"] == nil || allow["_aws"] == nil {
		t.Errorf("allowed action's line: %s", lines[0])
	}
	if deny["Verdict"] != "deny" || deny["ExecuteLatency"] != nil || deny["DecisionAppendLatency"] == nil {
		t.Errorf("denied action's line: %s", lines[1])
	}
	if strings.Contains(buf.String(), "grace.hopper") {
		t.Fatal("a masked value reached the metrics")
	}
}
