package revoke

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"
)

var killAt = time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)

// iamServer answers PutRolePolicy with IAM's real response and keeps what the SDK sent.
func iamServer(t *testing.T, failRole string) (*iam.Client, *[]url.Values) {
	t.Helper()
	var mu sync.Mutex
	var got []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
			http.Error(w, "bad request", 400)
			return
		}
		mu.Lock()
		got = append(got, form)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		if form.Get("RoleName") == failRole {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name `+failRole+` cannot be found.</Message></Error><RequestId>4a0b2b0c-0000-4d5e-9f00-000000000002</RequestId></ErrorResponse>`)
			return
		}
		io.WriteString(w, `<PutRolePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>4a0b2b0c-0000-4d5e-9f00-000000000001</RequestId></ResponseMetadata></PutRolePolicyResponse>`)
	}))
	t.Cleanup(srv.Close)
	client := iam.New(iam.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRET", ""),
	})
	return client, &got
}

func TestRevokeSendsTheDenyToEveryRole(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kill Kill
		cond map[string]map[string]string
	}{
		{Kill{Scope: ScopeGlobal, At: killAt}, map[string]map[string]string{"DateLessThan": {"aws:TokenIssueTime": "2026-11-25T22:00:00Z"}}},
		{Kill{Scope: ScopeSession, Value: "ses_abc", At: killAt}, map[string]map[string]string{
			"DateLessThan": {"aws:TokenIssueTime": "2026-11-25T22:00:00Z"}, "StringEquals": {"aws:PrincipalTag/mandate:session": "ses_abc"}}},
		{Kill{Scope: ScopeAgent, Value: "demo-agent", At: killAt}, map[string]map[string]string{
			"DateLessThan": {"aws:TokenIssueTime": "2026-11-25T22:00:00Z"}, "StringEquals": {"aws:PrincipalTag/mandate:agent": "demo-agent"}}},
		{Kill{Scope: ScopeOperator, Value: "ada@example.com", At: killAt}, map[string]map[string]string{
			"DateLessThan": {"aws:TokenIssueTime": "2026-11-25T22:00:00Z"}, "StringEquals": {"aws:SourceIdentity": "ada@example.com"}}},
	}
	for _, tc := range cases {
		t.Run(tc.kill.Scope, func(t *testing.T) {
			t.Parallel()
			client, got := iamServer(t, "")
			roles := []string{"arn:aws:iam::123456789012:role/mandate-target-orders", "arn:aws:iam::123456789012:role/team/billing-reader"}
			if err := New(client).Revoke(context.Background(), tc.kill, roles); err != nil {
				t.Fatal(err)
			}
			if len(*got) != 2 {
				t.Fatalf("%d requests, want 2", len(*got))
			}
			for i, form := range *got {
				if form.Get("Action") != "PutRolePolicy" || form.Get("Version") != "2010-05-08" {
					t.Fatalf("request %d: %v", i, form)
				}
				if want := []string{"mandate-target-orders", "billing-reader"}[i]; form.Get("RoleName") != want {
					t.Fatalf("RoleName = %q, want %q", form.Get("RoleName"), want)
				}
				if !strings.HasPrefix(form.Get("PolicyName"), PolicyPrefix+tc.kill.Scope+"-") {
					t.Fatalf("PolicyName = %q", form.Get("PolicyName"))
				}
				var doc struct {
					Version   string
					Statement []struct {
						Sid, Effect string
						Action      []string
						Resource    []string
						Condition   map[string]map[string]string
					}
				}
				if err := json.Unmarshal([]byte(form.Get("PolicyDocument")), &doc); err != nil {
					t.Fatal(err)
				}
				if doc.Version != "2012-10-17" || len(doc.Statement) != 1 {
					t.Fatalf("document = %+v", doc)
				}
				st := doc.Statement[0]
				if st.Effect != "Deny" || !cmp.Equal(st.Action, []string{"*"}) || !cmp.Equal(st.Resource, []string{"*"}) {
					t.Fatalf("statement = %+v", st)
				}
				if diff := cmp.Diff(tc.cond, st.Condition); diff != "" {
					t.Fatalf("condition (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestRevokeReportsEveryRoleItCouldNotUpdate(t *testing.T) {
	t.Parallel()
	client, got := iamServer(t, "gone")
	err := New(client).Revoke(context.Background(), Kill{Scope: ScopeGlobal, At: killAt}, []string{
		"arn:aws:iam::1:role/gone", "not-an-arn", "arn:aws:iam::1:role/kept",
	})
	if err == nil || !strings.Contains(err.Error(), "gone") || !strings.Contains(err.Error(), "not-an-arn") {
		t.Fatalf("Revoke = %v", err)
	}
	if len(*got) != 2 || (*got)[1].Get("RoleName") != "kept" {
		t.Fatalf("the remaining role was not updated: %v", *got)
	}
}

func TestDocumentRefuses(t *testing.T) {
	t.Parallel()
	for _, k := range []Kill{{Scope: "galaxy", At: killAt}, {Scope: ScopeSession, At: killAt}, {Scope: ScopeGlobal}} {
		if _, err := Document(k); err == nil {
			t.Errorf("Document(%+v) accepted", k)
		}
	}
	a, b := PolicyName(Kill{Scope: ScopeSession, Value: "x"}), PolicyName(Kill{Scope: ScopeSession, Value: "y"})
	if a == b || len(a) > 128 {
		t.Fatalf("policy names %q %q", a, b)
	}
}
