package dynamo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// DynamoDB's error answers as the service sends them (JSON 1.0 protocol).
const (
	throttlingBody    = `{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`
	provisionedBody   = `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}`
	requestLimitBody  = `{"__type":"com.amazonaws.dynamodb.v20120810#RequestLimitExceeded","message":"Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase"}`
	internalErrorBody = `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`
	validationBody    = `{"__type":"com.amazon.coral.validate#ValidationException","message":"One or more parameter values were invalid: Missing the key id in the item"}`
)

// errorServer answers every request with status and body, counting the requests.
func errorServer(t *testing.T, status int, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		if !strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.") {
			t.Errorf("request without a DynamoDB X-Amz-Target: %q", r.Header.Get("X-Amz-Target"))
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("REQ%04d", n.Load()))
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestUnavailable shows that throttling and server errors are retried by the SDK's retryer
// and, once it gives up, surface as store.ErrUnavailable; a client error is neither retried
// nor marked unavailable.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		status          int
		body            string
		wantUnavailable bool
		wantAttempts    int32
	}{
		{"ThrottlingException", http.StatusBadRequest, throttlingBody, true, 4},
		{"ProvisionedThroughputExceededException", http.StatusBadRequest, provisionedBody, true, 4},
		{"RequestLimitExceeded", http.StatusBadRequest, requestLimitBody, true, 4},
		{"InternalServerError", http.StatusInternalServerError, internalErrorBody, true, 4},
		{"ValidationException", http.StatusBadRequest, validationBody, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, attempts := errorServer(t, tc.status, tc.body)
			// The SDK's DynamoDB retryer decides what to retry and how often (4 attempts); only
			// its delays are shortened, since throttling backs off from 1 s.
			fast := func(o *dynamodb.Options) { o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond) }
			s := dynamo.New(testClient(t, srv.URL, fast), dynamo.NamedTables("mandate"))
			ctx := t.Context()
			calls := []struct {
				name string
				call func() error
			}{
				{"GetSession", func() error { _, err := s.GetSession(ctx, "ses-1"); return err }},
				{"AppendRecord", func() error {
					return s.AppendRecord(ctx, store.Record{SessionID: "ses-1", Seq: 1, Hash: "ab", Body: []byte("{}")})
				}},
				{"FindControls", func() error {
					_, err := s.FindControls(ctx, []store.ControlKey{{Scope: store.ScopeGlobal, ID: store.GlobalID}})
					return err
				}},
				{"ClaimKey", func() error {
					_, err := s.ClaimKey(ctx, store.Claim{Key: "k", Digest: "d", ExpiresAt: time.Now().Add(time.Minute)})
					return err
				}},
				{"Commit", func() error {
					return s.Commit(ctx, store.Decision{Claim: &store.Claim{Key: "k", ExpiresAt: time.Now().Add(time.Minute)},
						Record: store.Record{SessionID: "ses-1", Seq: 1, Hash: "ab", Body: []byte("{}")}})
				}},
			}
			for _, c := range calls {
				attempts.Store(0)
				err := c.call()
				if err == nil {
					t.Fatalf("%s succeeded against a failing server", c.name)
				}
				if got := errors.Is(err, store.ErrUnavailable); got != tc.wantUnavailable {
					t.Errorf("%s: errors.Is(%v, ErrUnavailable) = %v, want %v", c.name, err, got, tc.wantUnavailable)
				}
				for _, sentinel := range []error{store.ErrNotFound, store.ErrExists, store.ErrConflict} {
					if errors.Is(err, sentinel) {
						t.Errorf("%s: %v is %v", c.name, err, sentinel)
					}
				}
				if got := attempts.Load(); got != tc.wantAttempts {
					t.Errorf("%s: the server saw %d attempts, want %d", c.name, got, tc.wantAttempts)
				}
			}
		})
	}
}

// TestNetworkFailure shows that an unreachable endpoint is store.ErrUnavailable.
func TestNetworkFailure(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s := dynamo.New(testClient(t, "http://"+addr), dynamo.NamedTables("mandate"))
	_, err = s.LastRecord(t.Context(), "ses-1")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("LastRecord against a closed port: %v, want ErrUnavailable", err)
	}
}

// TestTimeout shows that a server too slow for the caller's deadline is
// store.ErrUnavailable.
func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s := dynamo.New(testClient(t, srv.URL), dynamo.NamedTables("mandate"))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := s.GetSession(ctx, "ses-1")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("GetSession past its deadline: %v, want ErrUnavailable", err)
	}
}

// refusingClient fails the test on any call: the size guard must refuse before sending.
type refusingClient struct {
	t     *testing.T
	calls atomic.Int32
}

func (c *refusingClient) called(op string) error {
	c.calls.Add(1)
	c.t.Errorf("%s was sent", op)
	return errors.New("refusingClient: no calls expected")
}

func (c *refusingClient) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, c.called("GetItem")
}

func (c *refusingClient) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, c.called("PutItem")
}

func (c *refusingClient) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, c.called("UpdateItem")
}

func (c *refusingClient) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return nil, c.called("DeleteItem")
}

func (c *refusingClient) BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return nil, c.called("BatchGetItem")
}

func (c *refusingClient) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, c.called("Query")
}

func (c *refusingClient) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return nil, c.called("Scan")
}

func (c *refusingClient) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, c.called("TransactWriteItems")
}

// TestSizeGuard shows that every write of an item over store.MaxItemBytes is refused with
// store.ErrTooLarge before a request is sent.
func TestSizeGuard(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), store.MaxItemBytes)
	ctx := t.Context()
	tests := []struct {
		name  string
		write func(s *dynamo.Store) error
	}{
		{"AppendRecord", func(s *dynamo.Store) error {
			return s.AppendRecord(ctx, store.Record{SessionID: "ses-1", Seq: 1, Hash: "ab", Body: big})
		}},
		{"PutDocument", func(s *dynamo.Store) error {
			return s.PutDocument(ctx, store.Document{Kind: store.KindPolicies, Name: "main", Version: 1, Body: big})
		}},
		{"CreateSession", func(s *dynamo.Store) error {
			return s.CreateSession(ctx, store.Session{ID: "ses-1", PromptMasked: string(big)})
		}},
		{"UpdateSession", func(s *dynamo.Store) error {
			return s.UpdateSession(ctx, store.Session{ID: "ses-1", PromptMasked: string(big)})
		}},
		{"CreateApproval", func(s *dynamo.Store) error {
			return s.CreateApproval(ctx, store.Approval{ID: "apr-1", Action: big})
		}},
		{"ClaimKey", func(s *dynamo.Store) error {
			_, err := s.ClaimKey(ctx, store.Claim{Key: "k", Result: big})
			return err
		}},
		{"Commit record", func(s *dynamo.Store) error {
			return s.Commit(ctx, store.Decision{Record: store.Record{SessionID: "ses-1", Seq: 1, Hash: "ab", Body: big}})
		}},
		{"Commit claim", func(s *dynamo.Store) error {
			return s.Commit(ctx, store.Decision{Claim: &store.Claim{Key: "k", Result: big}, Record: store.Record{SessionID: "ses-1", Seq: 1, Hash: "ab"}})
		}},
		{"PutControl", func(s *dynamo.Store) error {
			return s.PutControl(ctx, store.Control{Scope: store.ScopeAgent, ID: "a", Reason: string(big)})
		}},
		{"attribute names and keys count toward the limit", func(s *dynamo.Store) error {
			return s.AppendRecord(ctx, store.Record{SessionID: "s", Seq: 1, Body: big[:store.MaxItemBytes-len("session_id")-len("s")-len("seq")-len("body")]})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &refusingClient{t: t}
			err := tc.write(dynamo.New(c, dynamo.NamedTables("mandate")))
			if !errors.Is(err, store.ErrTooLarge) {
				t.Errorf("error = %v, want ErrTooLarge", err)
			}
			if n := c.calls.Load(); n != 0 {
				t.Errorf("%d requests were sent", n)
			}
		})
	}
}

func TestTablesFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    dynamo.Tables
		wantErr []string // substrings of the error, all of which must appear
	}{
		{
			name: "defaults",
			want: dynamo.Tables{
				Sessions: "mandate-sessions", Controls: "mandate-controls", Approvals: "mandate-approvals",
				Policies: "mandate-policies", Intents: "mandate-intents", Targets: "mandate-targets",
				Claims: "mandate-claims", Audit: "mandate-audit",
			},
		},
		{
			name: "overrides",
			env:  map[string]string{dynamo.EnvTableAudit: "prod-Audit.v2", dynamo.EnvTableSessions: "prod_sessions"},
			want: dynamo.Tables{
				Sessions: "prod_sessions", Controls: "mandate-controls", Approvals: "mandate-approvals",
				Policies: "mandate-policies", Intents: "mandate-intents", Targets: "mandate-targets",
				Claims: "mandate-claims", Audit: "prod-Audit.v2",
			},
		},
		{
			name:    "every problem at once",
			env:     map[string]string{dynamo.EnvTableAudit: "a b", dynamo.EnvTableClaims: "x", dynamo.EnvTableIntents: "mandate-policies"},
			wantErr: []string{dynamo.EnvTableAudit, dynamo.EnvTableClaims, dynamo.EnvTableIntents, "same table"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := dynamo.TablesFromEnv(func(k string) string { return tc.env[k] })
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("TablesFromEnv = %+v, want an error", got)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("TablesFromEnv: %v", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("TablesFromEnv (-want +got):\n%s", d)
			}
		})
	}
}

func ExampleTablesFromEnv() {
	env := map[string]string{dynamo.EnvTableAudit: "prod-audit"}
	tables, err := dynamo.TablesFromEnv(func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tables.Sessions)
	fmt.Println(tables.Audit)
	// Output:
	// mandate-sessions
	// prod-audit
}
