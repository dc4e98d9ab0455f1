package broker

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/target"
)

var rdsTarget = target.Target{
	Name: "ledger", Kind: api.KindSQL, Endpoint: "ledger.abc123.us-east-1.rds.amazonaws.com:5432", Database: "ledger",
	User: "mandate_agent", Schema: "public", AllowedTables: []string{"public.entries"},
	Account: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/mandate-ledger", Region: "us-east-1",
	DBResourceID: "db-ABCDEFGHIJKLMNOPQRSTUVWXY1", PolicyWindow: target.Duration(2 * time.Minute),
}

// TestRDSAuthTokenFromTheBrokeredCredential mints for a sql target on RDS: STS is asked for
// rds-db:connect as the database user on exactly this database, and the token is a presigned
// connect URL signed by the key STS returned.
func TestRDSAuthTokenFromTheBrokeredCredential(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	srv, client := newSTS(t, now)
	b := New(nil, func() time.Time { return now })
	b.UseSTS(client)
	sel := sqlparse.Statement{Type: sqlparse.TypeSelect, ReadOnly: true, Tables: []sqlparse.Table{{Schema: "public", Name: "entries", Privileges: []string{sqlparse.PrivSelect}}}}
	sc := Scope{Session: "ses_r", Record: record, Operator: "ada@example.com", OperatorVerified: true, Intent: "finance.report", Statement: &sel}
	a := api.Action{Kind: api.KindSQL, Target: "ledger", Statement: "SELECT * FROM entries"}
	c, err := b.Mint(context.Background(), rdsTarget, a, sc)
	if err != nil {
		t.Fatal(err)
	}
	if c.SQL == nil || c.SQL.User != "mandate_agent" || !c.SQL.ReadOnly || c.Kind != "rds-iam-token" || !c.ExpiresAt.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("credential %+v", c)
	}
	if d := c.Describe(); strings.Contains(d, c.SQL.Password) || strings.Contains(d, "X-Amz-Signature") {
		t.Fatal("Describe leaks the token")
	}

	// The token: host:port/?Action=connect&DBUser=...&X-Amz-... presigned for rds-db.
	u, err := url.Parse("https://" + c.SQL.Password)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != rdsTarget.Endpoint || (u.Path != "" && u.Path != "/") || q.Get("Action") != "connect" || q.Get("DBUser") != "mandate_agent" {
		t.Fatalf("token %s: host %q path %q query %v", c.SQL.Password, u.Host, u.Path, q)
	}
	cred := q.Get("X-Amz-Credential")
	wantCred := "ASIAIOSFODNN7EXAMPLE/" + now.Format("20060102") + "/us-east-1/rds-db/aws4_request"
	if cred != wantCred || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || q.Get("X-Amz-Expires") != "900" ||
		q.Get("X-Amz-Security-Token") == "" || len(q.Get("X-Amz-Signature")) != 64 || q.Get("X-Amz-SignedHeaders") != "host" {
		t.Fatalf("token query %v; want credential %s, 900 s, a session token and a signature", q, wantCred)
	}
	if signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err != nil || time.Until(signed).Abs() > time.Minute {
		t.Fatalf("X-Amz-Date %q", q.Get("X-Amz-Date"))
	}

	// What STS was asked for.
	if len(srv.forms) != 1 {
		t.Fatalf("STS called %d times", len(srv.forms))
	}
	var pol SessionPolicy
	if err := json.Unmarshal([]byte(srv.forms[0].Get("Policy")), &pol); err != nil {
		t.Fatal(err)
	}
	want := []PolicyStatement{{Sid: "MandateAction", Effect: "Allow", Action: []string{"rds-db:connect"},
		Resource: []string{"arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY1/mandate_agent"},
		Condition: map[string]map[string]string{
			"DateGreaterThan": {"aws:CurrentTime": now.Add(-ClockSkew).Format(time.RFC3339)},
			"DateLessThan":    {"aws:CurrentTime": now.Add(2 * time.Minute).Format(time.RFC3339)},
		}}}
	if diff := cmp.Diff(want, pol.Statement); diff != "" {
		t.Fatalf("session policy (-want +got):\n%s", diff)
	}
	if f := srv.forms[0]; f.Get("RoleArn") != rdsTarget.RoleARN || f.Get("SourceIdentity") != "ada@example.com" || f.Get("DurationSeconds") != "900" {
		t.Fatalf("AssumeRole form %v", f)
	}

	// The same scope again reuses the STS credential and signs a fresh token.
	if c2, err := b.Mint(context.Background(), rdsTarget, a, sc); err != nil || len(srv.forms) != 1 || !strings.Contains(c2.SQL.Password, "DBUser=mandate_agent") {
		t.Fatalf("second mint: %v, STS calls %d", err, len(srv.forms))
	}

	// Explain shows the same request, without any token.
	p, err := b.Plan(context.Background(), rdsTarget, a, sc)
	if err != nil || p.Kind != "rds-iam-token" || !strings.Contains(string(p.SessionPolicy), "rds-db:connect") || p.RoleARN != rdsTarget.RoleARN {
		t.Fatalf("Plan = %+v, %v", p, err)
	}
}

// TestRDSRefusesBeforeSTS: a statement the target does not allow (DROP, another table) is
// refused before STS is called.
func TestRDSRefusesBeforeSTS(t *testing.T) {
	t.Parallel()
	srv, client := newSTS(t, time.Now())
	b := New(nil, time.Now)
	b.UseSTS(client)
	for name, st := range map[string]sqlparse.Statement{
		"drop":          {Type: sqlparse.TypeDrop, Tables: []sqlparse.Table{{Schema: "public", Name: "entries", Privileges: []string{sqlparse.PrivOwner}}}},
		"another table": {Type: sqlparse.TypeSelect, Tables: []sqlparse.Table{{Schema: "public", Name: "salaries", Privileges: []string{sqlparse.PrivSelect}}}},
	} {
		st := st
		if _, err := b.Mint(context.Background(), rdsTarget, api.Action{Kind: api.KindSQL}, Scope{Session: "s", Statement: &st}); !errors.Is(err, ErrNotGrantable) {
			t.Errorf("%s: Mint = %v, want ErrNotGrantable", name, err)
		}
	}
	if _, err := b.Mint(context.Background(), rdsTarget, api.Action{Kind: api.KindSQL}, Scope{Session: "s"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no statement: %v", err)
	}
	if len(srv.forms) != 0 {
		t.Fatalf("STS was called %d times for refused statements", len(srv.forms))
	}
	if _, err := New(nil, time.Now).Mint(context.Background(), rdsTarget, api.Action{Kind: api.KindSQL}, Scope{Statement: &sqlparse.Statement{Type: sqlparse.TypeSelect}}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("without STS: %v", err)
	}
}
