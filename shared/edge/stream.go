package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/ocsf"
	"github.com/mandate-dev/mandate/shared/store"
)

// Shipper is the shipper function's handler: the audit table's stream (NEW_IMAGE) into the
// archive. It reports the first record it could not make durable as the batch item failure,
// so Lambda retries from there and nothing is lost or skipped; it never returns an error.
type Shipper struct {
	ship *archive.Shipper
	log  *slog.Logger
	fwd  *ocsf.Forwarder
}

// NewShipper returns the stream handler over s.
func NewShipper(s *archive.Shipper, log *slog.Logger) *Shipper { return &Shipper{ship: s, log: log} }

// ForwardTo makes the shipper also send every record it shipped, as an OCSF event, through
// f. Forwarding comes after the archive and never decides the batch's outcome: a record
// EventBridge did not take is logged, and the batch succeeds or fails on the archive alone.
func (s *Shipper) ForwardTo(f *ocsf.Forwarder) *Shipper {
	s.fwd = f
	return s
}

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
	if s.fwd != nil {
		s.forward(ctx, lines[:n])
	}
	if failAt == len(ev.Records) {
		s.log.Info("shipped", "records", n)
		return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}, nil
	}
	failed := ev.Records[failAt]
	s.log.Error("ship", "error", failErr, "shipped", failAt, "batch", len(ev.Records), "sequence_number", failed.Change.SequenceNumber)
	return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: failed.Change.SequenceNumber}}}, nil
}

// forward sends shipped lines to the OCSF forwarder and logs what it did not take.
func (s *Shipper) forward(ctx context.Context, lines []archive.Line) {
	recs := make([]audit.Record, 0, len(lines))
	var failed []ocsf.Failure
	for _, l := range lines {
		var r audit.Record
		if err := json.Unmarshal(l.Body, &r); err != nil {
			failed = append(failed, ocsf.Failure{Session: l.Session, Seq: l.Seq, Reason: "undecodable record: " + err.Error()})
			continue
		}
		recs = append(recs, r)
	}
	failed = append(failed, s.fwd.Forward(ctx, recs)...)
	if len(failed) == 0 {
		s.log.Info("forwarded", "events", len(recs))
		return
	}
	first := failed[0]
	s.log.Error("forward: records not taken by EventBridge (they are in the archive)", "failed", len(failed), "of", len(lines),
		"first_session", first.Session, "first_seq", first.Seq, "reason", first.Reason)
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
