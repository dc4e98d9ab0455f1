package ocsf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/mandate-dev/mandate/shared/audit"
)

// sentEntry is a PutEvents request entry as it goes over the wire (awsJson1_1).
type sentEntry struct {
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
	Time         float64 // epoch seconds
}

// fakeEventBridge answers PutEvents as EventBridge does: one result per entry, in order, an
// EventId for each entry taken and ErrorCode/ErrorMessage for each refused, and the count of
// refused ones. refuse decides per entry; status, when not 200, fails the whole request.
type fakeEventBridge struct {
	mu       sync.Mutex
	requests [][]sentEntry
	refuse   func(e sentEntry) bool
	status   int
	t        *testing.T
}

func (f *fakeEventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		f.t.Errorf("unexpected request: %s %s %v", r.Method, r.URL, r.Header)
	}
	var in struct{ Entries []sentEntry }
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("request body %s: %v", body, err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, in.Entries)
	status := f.status
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "5e6a0d2c-0000-4000-8000-000000000000")
	if status != 0 && status != http.StatusOK {
		w.WriteHeader(status)
		fmt.Fprint(w, `{"__type":"InternalException","message":"Internal error"}`)
		return
	}
	type result struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	out := struct {
		Entries          []result
		FailedEntryCount int
	}{Entries: []result{}}
	for i, e := range in.Entries {
		if f.refuse != nil && f.refuse(e) {
			out.Entries = append(out.Entries, result{ErrorCode: "InternalFailure", ErrorMessage: "Internal Service Failure"})
			out.FailedEntryCount++
			continue
		}
		out.Entries = append(out.Entries, result{EventID: fmt.Sprintf("11710aed-b79e-4468-a20b-%012d", i)})
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeEventBridge) sent() [][]sentEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]sentEntry(nil), f.requests...)
}

// testForwarder returns a Forwarder whose SDK client talks to f, without retries.
func testForwarder(t *testing.T, f *fakeEventBridge) *Forwarder {
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := eventbridge.New(eventbridge.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	return NewForwarder(client, "mandate-siem")
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)

func records(n int) []audit.Record {
	var out []audit.Record
	for i := 1; i <= n; i++ {
		r := audit.Record{Version: 1, Session: "ses_f", Seq: uint64(i), Type: audit.TypeDecision, Time: t0.Add(time.Duration(i) * time.Second),
			Identity: audit.Identity{Agent: "arn:aws:iam::111122223333:role/agent", AgentKind: "iam", Operator: "ada@example.com"},
			Action:   &audit.Action{Kind: "http", Target: "customers", Name: "http:GET", Resource: fmt.Sprintf("/customers/%d", i)},
			Verdict:  &audit.Verdict{Decision: "allow", Reasons: []string{"permit-read"}}}
		if _, err := audit.Seal(&r); err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}

func TestForwardSendsOCSFEventsInRequestsOfTen(t *testing.T) {
	t.Parallel()
	f := &fakeEventBridge{}
	recs := records(23)
	if failed := testForwarder(t, f).Forward(context.Background(), recs); len(failed) != 0 {
		t.Fatalf("failed: %+v", failed)
	}
	reqs := f.sent()
	if len(reqs) != 3 || len(reqs[0]) != 10 || len(reqs[1]) != 10 || len(reqs[2]) != 3 {
		t.Fatalf("requests of %v entries, want 10, 10, 3", lens(reqs))
	}
	i := 0
	for _, req := range reqs {
		for _, e := range req {
			r := recs[i]
			i++
			if e.Source != EventSource || e.DetailType != EventDetailType || e.EventBusName != "mandate-siem" {
				t.Fatalf("entry %d: %+v", i, e)
			}
			if got := time.UnixMilli(int64(e.Time * 1000)); !got.Equal(r.Time.Truncate(time.Millisecond)) {
				t.Fatalf("entry %d time %v, want %v", i, got, r.Time)
			}
			var ev Event
			if err := json.Unmarshal([]byte(e.Detail), &ev); err != nil {
				t.Fatal(err)
			}
			want := Map(r)
			if ev.ClassUID != ClassAPIActivity || ev.Metadata.UID != r.Hash || ev.Metadata.Sequence != r.Seq ||
				ev.TypeUID != want.TypeUID || ev.Resources[0].Name != r.Action.Resource || ev.Actor.User.Name != "ada@example.com" {
				t.Fatalf("entry %d detail %s", i, e.Detail)
			}
		}
	}
}

func lens(reqs [][]sentEntry) []int {
	var out []int
	for _, r := range reqs {
		out = append(out, len(r))
	}
	return out
}

func TestForwardReportsWhatEventBridgeRefused(t *testing.T) {
	t.Parallel()
	// Entries for /customers/3 and /customers/12 are refused one by one.
	f := &fakeEventBridge{refuse: func(e sentEntry) bool {
		return strings.Contains(e.Detail, `"/customers/3"`) || strings.Contains(e.Detail, `"/customers/12"`)
	}}
	failed := testForwarder(t, f).Forward(context.Background(), records(15))
	if len(failed) != 2 || failed[0].Seq != 3 || failed[1].Seq != 12 || failed[0].Reason != "InternalFailure: Internal Service Failure" {
		t.Fatalf("failed = %+v", failed)
	}
}

func TestForwardReportsAFailedRequestAndGoesOn(t *testing.T) {
	t.Parallel()
	f := &fakeEventBridge{status: http.StatusInternalServerError}
	fw := testForwarder(t, f)
	failed := fw.Forward(context.Background(), records(12))
	if len(failed) != 12 || len(f.sent()) != 2 || !strings.Contains(failed[0].Reason, "InternalException") {
		t.Fatalf("%d failed after %d requests: %+v", len(failed), len(f.sent()), failed[:1])
	}
}

func TestForwardRefusesAnEventTooLargeForEventBridge(t *testing.T) {
	t.Parallel()
	f := &fakeEventBridge{}
	recs := records(2)
	recs[0].Action = nil
	recs[0].Prompt = &audit.Prompt{Masked: strings.Repeat("x", maxEntryBytes)}
	failed := testForwarder(t, f).Forward(context.Background(), recs)
	if len(failed) != 1 || failed[0].Seq != 1 || !strings.Contains(failed[0].Reason, "256 KB") {
		t.Fatalf("failed = %+v", failed)
	}
	if reqs := f.sent(); len(reqs) != 1 || len(reqs[0]) != 1 {
		t.Fatalf("requests %v, want the other record alone", lens(reqs))
	}
}
