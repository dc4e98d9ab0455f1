package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/ocsf"
)

// eventBus is an EventBridge PutEvents endpoint that records the events' metadata.uid (the
// record hashes) and answers as EventBridge does, or fails every request with a 500.
type eventBus struct {
	mu   sync.Mutex
	uids []string
	down bool
}

func (b *eventBus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Entries []struct{ Detail string }
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"__type":"InternalException","message":"Internal error"}`))
		return
	}
	var out struct {
		Entries          []map[string]string
		FailedEntryCount int
	}
	for _, e := range in.Entries {
		var ev ocsf.Event
		_ = json.Unmarshal([]byte(e.Detail), &ev)
		b.uids = append(b.uids, ev.Metadata.UID)
		out.Entries = append(out.Entries, map[string]string{"EventId": "11710aed-b79e-4468-a20b-bb3c0c3b4860"})
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (b *eventBus) forwarder(t *testing.T) *ocsf.Forwarder {
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	return ocsf.NewForwarder(eventbridge.New(eventbridge.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}), "mandate-siem")
}

func TestShipperForwardsShippedRecordsAsOCSF(t *testing.T) {
	t.Parallel()
	var ev events.DynamoDBEvent
	loadJSON(t, "dynamodb-audit-stream.json", &ev)
	bus := &eventBus{}
	dir := archive.Dir{Root: t.TempDir()}
	h := NewShipper(archive.NewShipper(dir, time.Hour, time.Now), slog.New(slog.DiscardHandler)).ForwardTo(bus.forwarder(t))
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle: %+v, %v", resp, err)
	}
	var want []string
	for _, r := range ev.Records {
		want = append(want, r.Change.NewImage["hash"].String())
	}
	if strings.Join(bus.uids, ",") != strings.Join(want, ",") {
		t.Fatalf("forwarded %v, want %v", bus.uids, want)
	}
}

// TestForwardingNeverDecidesTheBatch: EventBridge down does not fail a shipped batch (the
// failure is logged), and records the archive did not take are not forwarded, so the batch
// item failure Lambda retries from stays exactly the archive's.
func TestForwardingNeverDecidesTheBatch(t *testing.T) {
	t.Parallel()
	var ev events.DynamoDBEvent
	loadJSON(t, "dynamodb-audit-stream.json", &ev)
	ctx := context.Background()

	down := &eventBus{down: true}
	var logs bytes.Buffer
	dir := archive.Dir{Root: t.TempDir()}
	h := NewShipper(archive.NewShipper(dir, time.Hour, time.Now), slog.New(slog.NewJSONHandler(&logs, nil))).ForwardTo(down.forwarder(t))
	resp, err := h.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("EventBridge down failed the batch: %+v, %v", resp, err)
	}
	if keys, _ := dir.List(ctx, archive.AuditPrefix); len(keys) != 1 {
		t.Fatalf("archive %v", keys)
	}
	if !strings.Contains(logs.String(), `"failed":3`) {
		t.Fatalf("forwarding failure not reported:\n%s", logs.String())
	}

	// The archive takes nothing: the first record is the batch item failure, nothing is
	// forwarded.
	up := &eventBus{}
	bucket := &failFrom{Bucket: archive.Dir{Root: t.TempDir()}, ok: 0}
	resp, _ = NewShipper(archive.NewShipper(bucket, time.Hour, time.Now), slog.New(slog.DiscardHandler)).ForwardTo(up.forwarder(t)).Handle(ctx, ev)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[0].Change.SequenceNumber {
		t.Fatalf("failures %+v", resp)
	}
	if len(up.uids) != 0 {
		t.Fatalf("forwarded %d records the archive did not take", len(up.uids))
	}
}
