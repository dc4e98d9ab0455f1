package edge

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/checkpoint"
)

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

type failFrom struct {
	archive.Bucket
	ok int // creates that succeed before every later one fails
}

func (f *failFrom) Create(ctx context.Context, key string, body []byte, until time.Time) error {
	if f.ok == 0 {
		return errors.New("injected")
	}
	f.ok--
	return f.Bucket.Create(ctx, key, body, until)
}

func TestShipperShipsTheStreamSample(t *testing.T) {
	t.Parallel()
	var ev events.DynamoDBEvent
	loadJSON(t, "dynamodb-audit-stream.json", &ev)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dir := archive.Dir{Root: t.TempDir()}
	h := NewShipper(archive.NewShipper(dir, time.Hour, time.Now), log)
	resp, err := h.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle: %+v, %v", resp, err)
	}
	// The response is what Lambda expects for ReportBatchItemFailures.
	if b, _ := json.Marshal(resp); string(b) != `{"batchItemFailures":[]}` {
		t.Fatalf("response %s", b)
	}
	keys, _ := dir.List(ctx, archive.AuditPrefix)
	if len(keys) != 1 || keys[0][:20] != "audit/dt=2026-11-25/" {
		t.Fatalf("keys %v", keys)
	}
	// Redelivery of the same batch is success and adds nothing.
	if resp, _ := h.Handle(ctx, ev); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("redelivery: %+v", resp)
	}
	if again, _ := dir.List(ctx, archive.AuditPrefix); len(again) != 1 {
		t.Fatalf("redelivery wrote %v", again)
	}
	// A checkpoint over it, from the schedule sample.
	var sched events.EventBridgeEvent
	loadJSON(t, "schedule-checkpoint.json", &sched)
	signer, err := checkpoint.LoadOrCreateEd25519(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cp := NewCheckpointer(&checkpoint.Writer{Bucket: dir, Signer: signer, Now: time.Now}, log)
	if err := cp.Handle(ctx, sched); err != nil {
		t.Fatal(err)
	}
	if c, ok, err := checkpoint.Latest(ctx, dir); !ok || err != nil || c.Size != 3 {
		t.Fatalf("checkpoint %+v %v %v", c, ok, err)
	}
}

func TestShipperReportsTheFirstRecordNotShipped(t *testing.T) {
	t.Parallel()
	var ev events.DynamoDBEvent
	loadJSON(t, "dynamodb-audit-stream.json", &ev)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	// Storage fails: the first record is reported, so Lambda retries the whole batch.
	next := ev.Records[2]
	bucket := &failFrom{Bucket: archive.Dir{Root: t.TempDir()}, ok: 0}
	resp, _ := NewShipper(archive.NewShipper(bucket, time.Hour, time.Now), log).Handle(ctx, ev)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[0].Change.SequenceNumber {
		t.Fatalf("failures %+v", resp)
	}
	// A record whose image is not an audit item stops the batch there; what came before ships.
	bad := ev
	bad.Records = append([]events.DynamoDBEventRecord{}, ev.Records...)
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range next.Change.NewImage {
		img[k] = v
	}
	img["seq"] = events.NewStringAttribute("three")
	bad.Records[2].Change.NewImage = img
	dir := archive.Dir{Root: t.TempDir()}
	resp, _ = NewShipper(archive.NewShipper(dir, time.Hour, time.Now), log).Handle(ctx, bad)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != next.Change.SequenceNumber {
		t.Fatalf("failures %+v", resp)
	}
	keys, _ := dir.List(ctx, archive.AuditPrefix)
	obj, _ := dir.Get(ctx, keys[0])
	if _, lines, _ := archive.Decode(obj); len(lines) != 2 {
		t.Fatalf("%d records shipped before the bad one, want 2", len(lines))
	}
}
