package authority_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
	"github.com/mandate-dev/mandate/shared/target"
)

// countingBroker counts the credentials asked for.
type countingBroker struct {
	*broker.Broker
	mints atomic.Int64
}

func (c *countingBroker) Mint(ctx context.Context, t target.Target, a api.Action, sc broker.Scope) (broker.Credential, error) {
	c.mints.Add(1)
	return c.Broker.Mint(ctx, t, a, sc)
}

const kindsTargets = `targets:
- {name: warehouse, kind: sql, endpoint: '127.0.0.1:1', database: warehouse, user: mandate, secret_ref: 'file:pg.key', allowed_tables: [public.customers, public.orders]}
- {name: orders, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/mandate-orders', region: us-east-1, allowed_resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders']}
`

func kindsFixture(t *testing.T, withParser bool) (*authority.Authority, *countingBroker, store.Store) {
	t.Helper()
	pol, _ := os.ReadFile("../local/defaults/policies.cedar")
	return kindsFixtureWith(t, withParser, pol, kindsTargets)
}

// kindsFixtureWith is kindsFixture under the given policies and target registry.
func kindsFixtureWith(t *testing.T, withParser bool, pol []byte, targets string) (*authority.Authority, *countingBroker, store.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, _ := os.ReadFile("../local/defaults/intents.yaml")
	for kind, body := range map[string][]byte{store.KindPolicies: pol, store.KindIntents: cat, store.KindTargets: []byte(targets)} {
		if err := db.PutDocument(ctx, store.Document{Kind: kind, Name: authority.DocumentName, Version: 1, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	b := &countingBroker{Broker: broker.New(broker.NewFileSecrets(dir), time.Now)}
	cfg := authority.Config{Store: db, Broker: b, Executor: execute.Executors{}, Masker: mask.New()}
	if withParser {
		cfg.SQL = pgquery.New()
	}
	a, err := authority.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, b, db
}

// TestRefusedBeforeAnyCredential: bad SQL and AWS actions are refused with a 4xx kind that
// names the reason, recorded in the chain, and nothing is minted.
func TestRefusedBeforeAnyCredential(t *testing.T) {
	t.Parallel()
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	a, b, _ := kindsFixture(t, true)
	ctx := context.Background()
	s, err := a.OpenSession(ctx, agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	sql := func(stmt string) api.Action {
		return api.Action{Kind: api.KindSQL, Target: "warehouse", Statement: stmt}
	}
	ddb := func(op, arn string) api.Action {
		return api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: op, Resource: arn}
	}
	const orders = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	cases := []struct {
		name   string
		act    api.Action
		kind   error
		reason string
	}{
		{"drop", sql("DROP TABLE customers"), authority.ErrDenied, "forbid-destructive-sql"},
		{"delete", sql("DELETE FROM customers WHERE id = 42"), authority.ErrDenied, "forbid-destructive-sql"},
		{"two statements", sql("SELECT 1 FROM customers; DROP TABLE customers"), authority.ErrInvalid, ""},
		{"unknown statement type", sql("CREATE TABLE x (id int)"), authority.ErrUnsupported, ""},
		{"unparsable", sql("SELEKT * FROM customers"), authority.ErrInvalid, ""},
		{"table outside the target", sql("SELECT * FROM secrets"), authority.ErrDenied, "outside-target:public.secrets"},
		{"catalog table", sql("SELECT * FROM customers, pg_catalog.pg_authid"), authority.ErrDenied, "outside-target:pg_catalog.pg_authid"},
		{"unknown target", api.Action{Kind: api.KindSQL, Target: "nope", Statement: "SELECT 1"}, authority.ErrUnknownTarget, ""},
		{"unsupported operation", ddb("scan", orders), authority.ErrUnsupported, ""},
		{"operation of a service that is not JSON-protocol", api.Action{Kind: api.KindAWS, Target: "orders", Service: "s3", Operation: "SelectObjectContent", Resource: "arn:aws:s3:::reports/x"}, authority.ErrUnsupported, ""},
		{"resource outside the target", ddb("GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/users"), authority.ErrDenied, "outside-target:arn:aws:dynamodb:us-east-1:123456789012:table/users"},
		{"wildcard resource", ddb("GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/*"), authority.ErrInvalid, ""},
		{"sql on an aws target", api.Action{Kind: api.KindSQL, Target: "orders", Statement: "SELECT 1"}, authority.ErrInvalid, ""},
	}
	for _, tc := range cases {
		before, _ := a.Audit(ctx, agent("demo-agent"), s.SessionID)
		_, err := a.Act(ctx, agent("demo-agent"), s.SessionID, api.ActionRequest{Action: tc.act})
		var e *authority.Error
		if !errors.As(err, &e) || !errors.Is(e.Kind, tc.kind) {
			t.Errorf("%s: Act = %v, want %v", tc.name, err, tc.kind)
			continue
		}
		if tc.reason != "" && !slices.Contains(e.Reasons, tc.reason) {
			t.Errorf("%s: reasons %v, want %q", tc.name, e.Reasons, tc.reason)
		}
		after, _ := a.Audit(ctx, agent("demo-agent"), s.SessionID)
		if e.Record == nil || len(after.Records) != len(before.Records)+1 {
			t.Errorf("%s: refusal not recorded (record %v, %d -> %d records)", tc.name, e.Record, len(before.Records), len(after.Records))
		}
	}
	if n := b.mints.Load(); n != 0 {
		t.Fatalf("%d credential(s) minted for refused actions", n)
	}
}

// permitAllSQL permits every action on the warehouse.
const permitAllSQL = `
@id("permit-all-sql")
permit (principal, action, resource in Target::"warehouse");
`

// classifiedFixture is kindsFixtureWith with the parser, the policies pol, and the warehouse's
// columns classified as classified (a YAML flow mapping), with a session open.
func classifiedFixture(t *testing.T, pol, classified string) (*authority.Authority, *countingBroker, string) {
	t.Helper()
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	targets := strings.Replace(kindsTargets, "allowed_tables: [public.customers, public.orders]",
		"allowed_tables: [public.customers, public.orders], classified_columns: "+classified, 1)
	a, b, _ := kindsFixtureWith(t, true, []byte(pol), targets)
	s, err := a.OpenSession(context.Background(), agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	return a, b, s.SessionID
}

// actSQL acts with a sql statement on the warehouse in session sid.
func actSQL(a *authority.Authority, sid, stmt string) error {
	_, err := a.Act(context.Background(), agent("demo-agent"), sid, api.ActionRequest{Action: api.Action{Kind: api.KindSQL, Target: "warehouse", Statement: stmt}})
	return err
}

// refusedFor reports whether err is a denial that gives reason.
func refusedFor(err error, reason string) bool {
	var ae *authority.Error
	return errors.As(err, &ae) && errors.Is(err, authority.ErrDenied) && slices.Contains(ae.Reasons, reason)
}

// TestPolicySeesClassesOfTheResult: context.sql.classes names the classified columns a
// statement reads however it spells them (a function, an aggregate's key, a star, a
// subquery), and wherever (a filter, an order, a join), so a policy can refuse payment cards
// outright rather than return them masked or let them be read a digit a query.
func TestPolicySeesClassesOfTheResult(t *testing.T) {
	t.Parallel()
	a, b, sid := classifiedFixture(t, `
@id("permit-select")
permit (principal, action == Action::"sql:SELECT", resource in Target::"warehouse");

@id("forbid-card-numbers")
forbid (principal, action, resource in Target::"warehouse")
when { context.sql.classes.contains("payment_card") };
`, "{public.customers.card: payment_card, public.customers.email: email}")
	ctx := context.Background()
	for stmt, want := range map[string]string{
		"SELECT lpad(card, 30, 'x') AS tier FROM customers":                          api.VerdictDeny,
		"SELECT json_object_agg(card, id) FROM customers":                            api.VerdictDeny,
		"SELECT * FROM customers":                                                    api.VerdictDeny,
		"SELECT x FROM (SELECT card AS x FROM customers) s":                          api.VerdictDeny,
		"SELECT o.id, (SELECT c.card FROM customers c) FROM orders o":                api.VerdictDeny,
		"SELECT id FROM customers WHERE card LIKE '4111%'":                           api.VerdictDeny,
		"SELECT count(*) FROM customers WHERE substr(card, 1, 1) = '4'":              api.VerdictDeny,
		"SELECT id FROM customers ORDER BY card":                                     api.VerdictDeny,
		"SELECT id FROM customers c WHERE c::text LIKE '%4111%'":                     api.VerdictDeny,
		"SELECT o.id FROM orders o JOIN customers c USING (id) WHERE (c).card > '4'": api.VerdictDeny,
		"SELECT id, email FROM customers":                                            api.VerdictAllow,
		"SELECT id FROM customers WHERE email = 'ada@example.com'":                   api.VerdictAllow,
		"SELECT count(*) FROM customers":                                             api.VerdictAllow,
	} {
		ex, err := a.Explain(ctx, sid, api.Action{Kind: api.KindSQL, Target: "warehouse", Statement: stmt})
		if err != nil || ex.Verdict != want {
			t.Errorf("%s: %+v, %v; want %s", stmt, ex, err, want)
			continue
		}
		if want == api.VerdictDeny && !slices.Contains(ex.Reasons, "forbid-card-numbers") {
			t.Errorf("%s: reasons %v", stmt, ex.Reasons)
		}
	}
	if n := b.mints.Load(); n != 0 {
		t.Fatalf("explain minted %d", n)
	}
}

// TestWritesDoNotLaunderClassifiedValues: a write that copies a classified value into a
// column not classified the same is refused before policy and before anything is minted:
// read back from there (or at once, RETURNING it), lineage would not mask it. A policy that
// permits every write does not change that.
func TestWritesDoNotLaunderClassifiedValues(t *testing.T) {
	t.Parallel()
	a, b, sid := classifiedFixture(t, permitAllSQL, "{public.customers.card: payment_card, public.customers.email: email}")
	for stmt, refused := range map[string]bool{
		"INSERT INTO orders (note) SELECT translate(card, '0123456789', 'abcdefghij') FROM customers RETURNING note": true,
		"UPDATE customers SET tier = card WHERE id = 42 RETURNING tier":                                              true,
		"UPDATE orders o SET note = c.email FROM customers c WHERE c.id = o.customer_id":                             true,
		"UPDATE customers SET email = lower(email) WHERE id = 42":                                                    false,
		"INSERT INTO orders (note) VALUES ('x')":                                                                     false,
	} {
		err := actSQL(a, sid, stmt)
		if got := refusedFor(err, authority.ReasonStoresClassified); got != refused {
			t.Errorf("%s: %v; want refused %v", stmt, err, refused)
		}
	}
	if n := b.mints.Load(); n != 2 {
		t.Fatalf("%d credential(s) minted, want 2 (the writes that were not refused)", n)
	}
}

// TestTokensInSQLStandOnlyAgainstClassifiedColumns: a statement that computes with a masking
// token (the database sees the value it stands for) is refused before policy and before
// anything is minted: reverse('tok_...') or 'tok_...' LIKE '4%' would read the value out. A
// token compared with a classified column passes this check (and then needs its session's
// vault, which this one does not have); in an escape string (E'...') it is refused too.
func TestTokensInSQLStandOnlyAgainstClassifiedColumns(t *testing.T) {
	t.Parallel()
	a, b, sid := classifiedFixture(t, permitAllSQL, "{public.customers.card: payment_card}")
	const tok = "tok_card_abcdefghijklmnopqrst"
	for stmt, refused := range map[string]bool{
		"SELECT reverse('" + tok + "')":                                  true,
		"SELECT 1 FROM customers WHERE '" + tok + "' LIKE '4%'":          true,
		"SELECT id FROM customers WHERE tier = '" + tok + "'":            true,
		"SELECT id FROM customers WHERE card = E'" + tok + "'":           true,
		"SELECT id FROM customers WHERE card = U&'" + tok + "'":          true,
		"SELECT id FROM customers WHERE card = '4111' -- " + tok:         true,
		"SELECT id FROM customers WHERE card = '" + tok + "'":            false,
		"SELECT id FROM customers WHERE card IN ('4111', '" + tok + "')": false,
		"UPDATE customers SET card = '" + tok + "' WHERE id = 42":        false,
	} {
		err := actSQL(a, sid, stmt)
		if got := refusedFor(err, authority.ReasonTokenUnplaced); got != refused || err == nil {
			t.Errorf("%s: %v; want refused for its place %v", stmt, err, refused)
		}
	}
	if n := b.mints.Load(); n != 0 {
		t.Fatalf("%d credential(s) minted", n)
	}
}

func TestSQLWithoutParserFailsClosed(t *testing.T) {
	t.Parallel()
	a, b, _ := kindsFixture(t, false)
	ctx := context.Background()
	s, err := a.OpenSession(ctx, agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Act(ctx, agent("demo-agent"), s.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindSQL, Target: "warehouse", Statement: "SELECT * FROM customers"}})
	if !errors.Is(err, authority.ErrUnsupported) || b.mints.Load() != 0 {
		t.Fatalf("Act = %v, mints %d", err, b.mints.Load())
	}
}

func TestExplainDescribesWithoutMinting(t *testing.T) {
	t.Parallel()
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	a, b, _ := kindsFixture(t, true)
	ctx := context.Background()
	s, err := a.OpenSession(ctx, agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := a.Explain(ctx, s.SessionID, api.Action{Kind: api.KindSQL, Target: "warehouse", Statement: "SELECT email FROM customers WHERE id = 42"})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Verdict != api.VerdictAllow || ex.Mint == nil || !slices.Contains(ex.Mint.Grants, `GRANT SELECT ON TABLE "public"."customers" TO ROLE`) || len(ex.Mint.Grants) != 3 {
		t.Fatalf("explain = %+v (mint %+v)", ex, ex.Mint)
	}
	ex, err = a.Explain(ctx, s.SessionID, api.Action{Kind: api.KindSQL, Target: "warehouse", Statement: "TRUNCATE customers"})
	if err != nil || ex.Verdict != api.VerdictDeny || ex.Mint != nil || !slices.Contains(ex.Reasons, "forbid-destructive-sql") {
		t.Fatalf("explain = %+v, %v", ex, err)
	}
	chain, _ := a.Audit(ctx, agent("demo-agent"), s.SessionID)
	if len(chain.Records) != 1 || b.mints.Load() != 0 {
		t.Fatalf("explain wrote %d record(s) beyond the opening or minted %d", len(chain.Records)-1, b.mints.Load())
	}
	// An aws action: the AssumeRole request, computed without STS.
	get := api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
	ex, err = a.Explain(ctx, s.SessionID, get)
	if err != nil || ex.Mint == nil || ex.Mint.Kind != "sts-session" || ex.Mint.DurationSeconds != 900 || !strings.Contains(string(ex.Mint.SessionPolicy), `"Action":["dynamodb:GetItem"]`) {
		t.Fatalf("explain aws = %+v (mint %+v), %v", ex, ex.Mint, err)
	}
	// A closed session runs nothing, and explain says so.
	if _, err := a.CloseSession(ctx, agent("demo-agent"), s.SessionID); err != nil {
		t.Fatal(err)
	}
	ex, err = a.Explain(ctx, s.SessionID, get)
	if err != nil || ex.Verdict != api.VerdictDeny || ex.Mint != nil {
		t.Fatalf("explain in a closed session = %+v, %v", ex, err)
	}
}
