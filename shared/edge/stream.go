package edge

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/store"
)

// Shipper is the shipper function's handler: the audit table's stream (NEW_IMAGE) into the
// archive. It reports the first record it could not make durable as the batch item failure,
// so Lambda retries from there and nothing is lost or skipped; it never returns an error.
type Shipper struct {
	ship *archive.Shipper
	log  *slog.Logger
}

// NewShipper returns the stream handler over s.
func NewShipper(s *archive.Shipper, log *slog.Logger) *Shipper { return &Shipper{ship: s, log: log} }

// Handle ships a batch.
func (s *Shipper) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var lines []archive.Line
	var from []int // the stream record of each line
	failAt := len(ev.Records)
	var failErr error
	for i, r := range ev.Records {
		if r.EventName == string(events.DynamoDBOperationTypeRemove) {
			// The audit table is append-only; a removal is logged, and the record is
			// already in the archive.
			s.log.Warn("audit item removed from the table", "event_id", r.EventID, "sequence_number", r.Change.SequenceNumber)
			continue
		}
		if r.EventName == string(events.DynamoDBOperationTypeModify) {
			s.log.Error("audit item modified in the table; shipping the new image as evidence", "event_id", r.EventID)
		}
		rec, err := recordFromImage(r.Change.NewImage)
		var l archive.Line
		if err == nil {
			l, err = archive.LineOf(rec)
		}
		if err != nil {
			failAt, failErr = i, err
			break
		}
		lines = append(lines, l)
		from = append(from, i)
	}
	n, err := s.ship.Ship(ctx, lines)
	if n < len(lines) {
		failAt, failErr = from[n], err
	}
	if failAt == len(ev.Records) {
		s.log.Info("shipped", "records", n)
		return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}, nil
	}
	failed := ev.Records[failAt]
	s.log.Error("ship", "error", failErr, "shipped", failAt, "batch", len(ev.Records), "sequence_number", failed.Change.SequenceNumber)
	return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: failed.Change.SequenceNumber}}}, nil
}

// recordFromImage reads an audit item as shared/store/dynamo writes it.
func recordFromImage(img map[string]events.DynamoDBAttributeValue) (rec store.Record, err error) {
	defer func() {
		if p := recover(); p != nil { // the events accessors panic on a type mismatch
			err = fmt.Errorf("audit item of unexpected shape: %v", p)
		}
	}()
	get := func(name string, want events.DynamoDBDataType) (events.DynamoDBAttributeValue, error) {
		v, ok := img[name]
		if !ok || v.DataType() != want {
			return v, fmt.Errorf("audit item without attribute %s of the expected type", name)
		}
		return v, nil
	}
	sid, err := get("session_id", events.DataTypeString)
	if err != nil {
		return rec, err
	}
	seq, err := get("seq", events.DataTypeNumber)
	if err != nil {
		return rec, err
	}
	body, err := get("body", events.DataTypeBinary)
	if err != nil {
		return rec, err
	}
	n, err := strconv.ParseUint(seq.Number(), 10, 64)
	if err != nil {
		return rec, fmt.Errorf("audit item seq %q: %w", seq.Number(), err)
	}
	rec = store.Record{SessionID: sid.String(), Seq: n, Body: body.Binary()}
	if h, err := get("hash", events.DataTypeString); err == nil {
		rec.Hash = h.String()
	}
	if p, err := get("prev_hash", events.DataTypeString); err == nil {
		rec.PrevHash = p.String()
	}
	return rec, nil
}

// Checkpointer is the checkpoint function's handler: on each scheduled event it writes a
// checkpoint over what was shipped since the last one.
type Checkpointer struct {
	w   *checkpoint.Writer
	log *slog.Logger
}

// NewCheckpointer returns the scheduled handler over w.
func NewCheckpointer(w *checkpoint.Writer, log *slog.Logger) *Checkpointer {
	return &Checkpointer{w: w, log: log}
}

// Handle writes a checkpoint, or nothing when nothing was shipped.
func (c *Checkpointer) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	cp, err := c.w.Run(ctx)
	if err != nil {
		c.log.Error("checkpoint", "error", err, "event_id", ev.ID)
		return err
	}
	if cp == nil {
		c.log.Info("checkpoint: nothing new", "event_id", ev.ID)
		return nil
	}
	c.log.Info("checkpoint", "index", cp.Index, "size", cp.Size, "root", cp.Root, "objects", len(cp.Objects))
	return nil
}
