package ocsf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/mandate-dev/mandate/shared/audit"
)

// EventBridge entry fields of every forwarded event. SIEM rules match on them.
const (
	EventSource     = "mandate.audit"
	EventDetailType = "OCSF API Activity"
)

// EnvEventBus names the EventBridge bus the shipper forwards OCSF events to; empty means no
// forwarding.
const EnvEventBus = "MANDATE_OCSF_EVENT_BUS"

// PutEvents limits: entries per request, and bytes per entry (EventBridge counts the
// Detail, DetailType, Source, Resources and the Time's 14 bytes).
const (
	maxEntriesPerPut = 10
	maxEntryBytes    = 256 * 1024
)

// putEventsAPI is the part of EventBridge the forwarder uses; *eventbridge.Client fits it.
type putEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Forwarder sends each audit record, mapped to an OCSF API Activity event, to an EventBridge
// bus for SIEMs. Delivery is at least once: a retried stream batch forwards its records
// again, and metadata.uid (the record's hash) identifies duplicates.
type Forwarder struct {
	client putEventsAPI
	bus    string
}

// NewForwarder returns a Forwarder to the named bus (a name or an ARN).
func NewForwarder(client *eventbridge.Client, bus string) *Forwarder {
	return &Forwarder{client: client, bus: bus}
}

// Failure is one record EventBridge did not take.
type Failure struct {
	Session string
	Seq     uint64
	Reason  string // EventBridge's error code and message, or why it was not sent
}

// Forward sends recs in requests of up to 10 entries and returns the records that were not
// taken; an error in one request does not stop the others. It never retries beyond the SDK's
// own retries: the archive, not EventBridge, is the record.
func (f *Forwarder) Forward(ctx context.Context, recs []audit.Record) []Failure {
	var failed []Failure
	var batch []types.PutEventsRequestEntry
	var batchRecs []audit.Record
	flush := func() {
		if len(batch) == 0 {
			return
		}
		out, err := f.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: batch})
		switch {
		case err != nil:
			for _, r := range batchRecs {
				failed = append(failed, Failure{Session: r.Session, Seq: r.Seq, Reason: err.Error()})
			}
		case len(out.Entries) != len(batch):
			for _, r := range batchRecs {
				failed = append(failed, Failure{Session: r.Session, Seq: r.Seq, Reason: fmt.Sprintf("EventBridge answered %d entries for %d", len(out.Entries), len(batch))})
			}
		default:
			// Results are in request order; an entry with an error code was not taken.
			for i, e := range out.Entries {
				if e.ErrorCode != nil {
					failed = append(failed, Failure{Session: batchRecs[i].Session, Seq: batchRecs[i].Seq,
						Reason: aws.ToString(e.ErrorCode) + ": " + aws.ToString(e.ErrorMessage)})
				}
			}
		}
		batch, batchRecs = batch[:0], batchRecs[:0]
	}
	var m Mapper // a result follows its decision within a batch
	for _, r := range recs {
		entry, err := f.entry(&m, r)
		if err != nil {
			failed = append(failed, Failure{Session: r.Session, Seq: r.Seq, Reason: err.Error()})
			continue
		}
		batch = append(batch, entry)
		batchRecs = append(batchRecs, r)
		if len(batch) == maxEntriesPerPut {
			flush()
		}
	}
	flush()
	return failed
}

func (f *Forwarder) entry(m *Mapper, r audit.Record) (types.PutEventsRequestEntry, error) {
	detail, err := json.Marshal(m.Map(r))
	if err != nil {
		return types.PutEventsRequestEntry{}, fmt.Errorf("ocsf: encode event: %w", err)
	}
	if n := len(detail) + len(EventSource) + len(EventDetailType) + 14; n > maxEntryBytes {
		return types.PutEventsRequestEntry{}, errors.New("ocsf: event larger than EventBridge's 256 KB entry limit")
	}
	return types.PutEventsRequestEntry{
		EventBusName: aws.String(f.bus),
		Source:       aws.String(EventSource),
		DetailType:   aws.String(EventDetailType),
		Detail:       aws.String(string(detail)),
		Time:         aws.Time(r.Time.UTC().Truncate(time.Millisecond)),
	}, nil
}
