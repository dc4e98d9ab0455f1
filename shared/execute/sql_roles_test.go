package execute_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
	"github.com/mandate-dev/mandate/shared/target"
)

// action runs one whole sql action as the pipeline does: mint, execute, release.
func action(ctx context.Context, br *broker.Broker, ex *execute.SQL, tg target.Target, sql string) error {
	st, err := pgquery.New().Parse(sql)
	if err != nil {
		return err
	}
	c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL, Statement: sql}, broker.Scope{Session: "ses_c", Record: "ab12cd34ef56aa", Statement: &st})
	if err != nil {
		return fmt.Errorf("mint: %w", err)
	}
	res, err := ex.Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: sql})
	if rerr := c.Release(ctx); rerr != nil {
		return fmt.Errorf("release: %w", rerr)
	}
	if err != nil {
		return fmt.Errorf("execute: %w", err)
	}
	if res.Status != 200 {
		return fmt.Errorf("status %d: %s", res.Status, res.Body)
	}
	return nil
}

// run parses sql, mints its role on tg, runs it and drops the role, failing the test on any
// error before PostgreSQL answers; PostgreSQL's own refusal is in the result.
func run(t *testing.T, br *broker.Broker, tg target.Target, sql string) execute.Result {
	t.Helper()
	ctx := context.Background()
	st, err := pgquery.New().Parse(sql)
	if err != nil {
		t.Fatalf("%q: %v", sql, err)
	}
	act := api.Action{Kind: api.KindSQL, Statement: sql}
	c, err := br.Mint(ctx, tg, act, broker.Scope{Record: "ab12cd34ef56aa", Statement: &st})
	if err != nil {
		t.Fatalf("%q: mint: %v", sql, err)
	}
	defer c.Release(ctx)
	res, err := execute.NewSQL().Do(ctx, tg, c, act)
	if err != nil {
		t.Fatalf("%q: %v", sql, err)
	}
	return res
}

// ephemeralRoles counts the ephemeral roles minted for record (its first 12 hex digits name
// them) left in the cluster. Only those: other packages' tests mint roles on the same server
// at the same time (go test runs packages in parallel), and a count of every ephemeral role
// saw one of theirs in flight as left behind.
func ephemeralRoles(t *testing.T, conn *pgx.Conn, record string) int {
	t.Helper()
	var n int
	prefix := broker.RolePrefix + record[:min(len(record), 12)] + "_"
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)", prefix).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var mixed = []string{
	"SELECT id, email FROM customers WHERE id = 42",
	"INSERT INTO notes (customer_id, body) VALUES (42, 'concurrent') RETURNING id",
	"UPDATE customers SET tier = 'gold' WHERE id = 44",
	"SELECT n.id, c.email FROM notes n JOIN customers c ON c.id = n.customer_id LIMIT 3",
	"DELETE FROM notes WHERE body = 'nothing matches'",
}

// TestSQLConcurrentActions runs 300 actions at once, the first ones on a database whose
// standing roles do not exist yet: none may fail, and no ephemeral role may remain.
func TestSQLConcurrentActions(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	ex := execute.NewSQL()
	before := ephemeralRoles(t, conn, "ab12cd34ef56aa")
	const n = 300
	errs := make(chan error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := action(ctx, br, ex, tg, mixed[i%len(mixed)]); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed < 5 {
			t.Error(err)
		}
		failed++
	}
	t.Logf("%d concurrent actions in %s, %d failed", n, time.Since(start), failed)
	if failed > 0 {
		t.Fatalf("%d of %d concurrent actions failed", failed, n)
	}
	if left := ephemeralRoles(t, conn, "ab12cd34ef56aa") - before; left > 0 {
		t.Fatalf("%d ephemeral role(s) left", left)
	}
}

// newBroker is a second broker over the same target, as after a restart.
func newBroker(t *testing.T) *broker.Broker {
	t.Helper()
	au, err := url.Parse(os.Getenv("MANDATE_TEST_POSTGRES_ADMIN_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := au.User.Password()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pg.key"), []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	br := broker.New(broker.NewFileSecrets(dir), time.Now)
	t.Cleanup(br.Close)
	return br
}

// TestSQLLeak runs 1,000 actions: afterwards no ephemeral role remains.
func TestSQLLeak(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	ex := execute.NewSQL()
	before := ephemeralRoles(t, conn, "ab12cd34ef56aa")
	const n, workers = 1000, 16
	work := make(chan string)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sql := range work {
				if err := action(ctx, br, ex, tg, sql); err != nil {
					errs <- err
				}
			}
		}()
	}
	start := time.Now()
	for i := range n {
		work <- mixed[i%len(mixed)]
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d actions in %s", n, time.Since(start))
	if left := ephemeralRoles(t, conn, "ab12cd34ef56aa") - before; left > 0 {
		t.Fatalf("%d ephemeral role(s) left after %d actions", left, n)
	}
}

// shortLived is postgres(t) with roles that expire a second after they are minted, and the
// parsed statement to mint them for.
func shortLived(t *testing.T) (target.Target, *broker.Broker, *pgx.Conn, sqlparse.Statement) {
	t.Helper()
	tg, br, conn := postgres(t)
	tg.CredentialTTL = target.Duration(time.Second)
	st, err := pgquery.New().Parse("SELECT id FROM customers")
	if err != nil {
		t.Fatal(err)
	}
	return tg, br, conn, st
}

// TestSQLRestartSweepsLeftovers: a broker stops between creating roles and dropping them; a
// new broker over the same database drops them once expired, even though one leftover cannot
// be dropped by the administrator, and SQL actions work throughout.
func TestSQLRestartSweepsLeftovers(t *testing.T) {
	tg, br, conn, st := shortLived(t)
	ctx := context.Background()
	var left []string
	for range 5 {
		c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL}, broker.Scope{Record: "ab12cd34ef56aa", Statement: &st})
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, c.SQL.User) // never released: the process stopped here
	}
	br.Close()
	// A leftover the administrator may not drop: a superuser role of the broker's prefix.
	var b [4]byte
	_, _ = rand.Read(b[:])
	stuck := broker.RolePrefix + "stuck_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE ROLE "+stuck+" SUPERUSER NOLOGIN VALID UNTIL '2000-01-01'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+stuck) })
	time.Sleep(1500 * time.Millisecond) // the leftovers expire

	// The first action of the new broker starts the sweep; the sweep's failure on stuck does not
	// stand in its way, nor in the way of the next actions.
	br2 := newBroker(t)
	tg.CredentialTTL = target.Duration(30 * time.Second)
	ex := execute.NewSQL()
	for range 3 {
		if err := action(ctx, br2, ex, tg, "SELECT id FROM customers"); err != nil {
			t.Fatal(err)
		}
	}
	br2.Close() // waits for the background sweep
	for _, r := range left {
		if roleExists(t, conn, r) {
			t.Fatalf("leftover %s was not swept", r)
		}
	}
	if !roleExists(t, conn, stuck) {
		t.Fatal("the superuser role was dropped")
	}

	// An explicit sweep reports the role it could not drop; actions still work after it.
	br3 := newBroker(t)
	if _, err := br3.Sweep(ctx, tg); err == nil || !strings.Contains(err.Error(), stuck) {
		t.Fatalf("Sweep = %v, want an error naming %s", err, stuck)
	}
	if err := action(ctx, br3, ex, tg, "UPDATE customers SET tier = 'gold' WHERE id = 42"); err != nil {
		t.Fatal(err)
	}
}

// TestSQLReleaseRacesSweep: actions outlive their roles' lifetime, so the actions' releases
// and sweeps (two brokers', as in two processes) drop the same roles at the same moment:
// neither fails on a role the other is dropping, and no role is left.
func TestSQLReleaseRacesSweep(t *testing.T) {
	tg, br, conn, st := shortLived(t)
	ctx := context.Background()
	creds := make([]broker.Credential, 40)
	var err error
	mine := map[string]bool{}
	for i := range creds {
		if creds[i], err = br.Mint(ctx, tg, api.Action{Kind: api.KindSQL}, broker.Scope{Record: "ab12cd34ef56aa", Statement: &st}); err != nil {
			t.Fatal(err)
		}
		mine[creds[i].SQL.User] = true
	}
	time.Sleep(1500 * time.Millisecond) // every role expires while its action still holds it
	sweepers := []*broker.Broker{newBroker(t), newBroker(t)}
	var wg sync.WaitGroup
	errs := make(chan error, len(creds)+2*len(sweepers))
	for _, c := range creds {
		wg.Go(func() {
			if err := c.Release(ctx); err != nil {
				errs <- fmt.Errorf("release %s: %w", c.SQL.User, err)
			}
		})
	}
	for _, sb := range sweepers {
		for range 2 {
			wg.Go(func() {
				// Another package's tests share the server: only a failure on one of these
				// roles is this test's.
				if _, err := sb.Sweep(ctx, tg); err != nil {
					for name := range mine {
						if strings.Contains(err.Error(), name) {
							errs <- fmt.Errorf("sweep: %w", err)
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for name := range mine {
		if roleExists(t, conn, name) {
			t.Errorf("role %s was left", name)
		}
	}
}

// TestSQLWriteOutsideParsedTablesRolledBack: a write the parser saw as touching notes only
// changes another table through a SECURITY DEFINER function or trigger: the executor rolls it
// back and says why, and nothing changed.
func TestSQLWriteOutsideParsedTablesRolledBack(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	for _, s := range []string{
		"CREATE FUNCTION wipe() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'DELETE FROM secrets RETURNING 42'",
		// Statements PostgreSQL's row counters never see: TRUNCATE, DROP and ALTER.
		"CREATE FUNCTION cut() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'TRUNCATE secrets; SELECT 42'",
		"CREATE FUNCTION gone() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'DROP TABLE secrets; SELECT 42'",
		"CREATE FUNCTION bend() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'ALTER TABLE secrets RENAME COLUMN value TO v; SELECT 42'",
		"CREATE TABLE audit_trail (note_id int)",
		"CREATE FUNCTION trail() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS 'BEGIN DELETE FROM secrets; RETURN NEW; END'",
		"CREATE TRIGGER notes_trail AFTER UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION trail()",
		"INSERT INTO notes (customer_id, body) VALUES (43, 'before')",
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	ex := execute.NewSQL()
	for _, sql := range []string{
		"INSERT INTO notes (customer_id, body) VALUES (wipe(), 'emptied secrets')",
		"UPDATE notes SET body = 'trigger' WHERE customer_id = 43",
		"INSERT INTO notes (customer_id, body) VALUES (cut(), 'truncated secrets')",
		"INSERT INTO notes (customer_id, body) VALUES (gone(), 'dropped secrets')",
		"INSERT INTO notes (customer_id, body) VALUES (bend(), 'altered secrets')",
	} {
		st, err := pgquery.New().Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL, Statement: sql}, broker.Scope{Record: "ab12cd34ef56aa", Statement: &st})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: sql})
		_ = c.Release(ctx)
		if err != nil {
			t.Fatal(err)
		}
		named := "public.secrets"
		if strings.Contains(sql, "gone()") {
			named = "a table it dropped" // its name went with it
		}
		if res.Status != execute.StatusSQLError || res.Outcome != execute.OutcomeRolledBack || !strings.Contains(res.Reason, named) {
			t.Fatalf("%q: status %d, outcome %q, reason %q: %s", sql, res.Status, res.Outcome, res.Reason, res.Body)
		}
		var secrets, notes int
		if err := conn.QueryRow(ctx, "SELECT (SELECT count(value) FROM secrets), (SELECT count(*) FROM notes WHERE body <> 'before')").Scan(&secrets, &notes); err != nil {
			t.Fatal(err)
		}
		if secrets != 1 || notes != 0 {
			t.Fatalf("%q: %d secret(s) left, %d note(s) changed: the write was not rolled back", sql, secrets, notes)
		}
	}
	// The same write without the side effect commits, and so does one into a partitioned
	// table, whose rows land in a partition the statement does not name.
	if err := action(ctx, br, ex, tg, "INSERT INTO notes (customer_id, body) VALUES (42, 'kept')"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE events (id int, at date) PARTITION BY RANGE (at)",
		"CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
		"GRANT INSERT ON events TO " + tg.User + " WITH GRANT OPTION",
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	tg.AllowedTables = append(tg.AllowedTables, "public.events")
	if err := action(ctx, br, ex, tg, "INSERT INTO events VALUES (1, '2026-12-05')"); err != nil {
		t.Fatal(err)
	}
	var kept int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM notes WHERE body = 'kept'").Scan(&kept); err != nil || kept != 1 {
		t.Fatalf("kept %d (%v)", kept, err)
	}
}

// TestSQLEncodedValuesReachDetection: values a function or cast turns into bytea or xml come
// back as text the masker's detection reads, not as base64, so the email or card number in
// them is masked. (Data in JSON keys, json_object_agg(email, id), is not: the masker never
// masks keys, and lineage from classified columns is what must catch it.)
func TestSQLEncodedValuesReachDetection(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "ALTER TABLE customers ADD COLUMN card text; UPDATE customers SET card = '4111111111111111'"); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"SELECT convert_to(email, 'UTF8') AS b FROM customers WHERE id = 42",
		"SELECT email::xml AS x FROM customers WHERE id = 42",
		"SELECT convert_to(card, 'UTF8') AS b FROM customers WHERE id = 42",
		"SELECT decode(card, 'escape') AS b FROM customers WHERE id = 42",
	} {
		res := run(t, br, tg, sql)
		if res.Status != 200 {
			t.Fatalf("%q: %d: %s", sql, res.Status, res.Body)
		}
		masked, summary := mask.New().Apply(res.Body)
		if strings.Contains(string(masked), "ada@example.com") || strings.Contains(string(masked), "4111111111111111") || summary.Total() == 0 {
			t.Errorf("%q: masked %s (from %s)", sql, masked, res.Body)
		}
	}
}

// TestSQLLineageMasksClassifiedColumns: with the target's classified columns, every output
// computed from one comes back masked whole, through functions, casts, aggregates and JSON
// keys; explain's plan shows the lineage; columns computed from nothing classified are kept.
func TestSQLLineageMasksClassifiedColumns(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "ALTER TABLE customers ADD COLUMN card text; UPDATE customers SET card = '4111111111111111'"); err != nil {
		t.Fatal(err)
	}
	tg.ClassifiedColumns = map[string]string{"public.customers.email": "email", "public.customers.card": "payment_card"}
	ex := execute.NewSQL()
	cases := []struct {
		sql  string
		want map[string]any // the first row
	}{
		{"SELECT json_object_agg(email, id) FROM customers", map[string]any{"json_object_agg": "[EMAIL]"}},
		{"SELECT convert_to(card, 'UTF8') AS b, id FROM customers WHERE id = 42", map[string]any{"b": "[PAYMENT_CARD]", "id": float64(42)}},
		{"SELECT email::xml, tier FROM customers WHERE id = 42", map[string]any{"email": "[EMAIL]", "tier": "gold"}},
		{"SELECT lpad(card, 30, 'x') AS p FROM customers WHERE id = 42", map[string]any{"p": "[PAYMENT_CARD]"}},
		{"SELECT * FROM customers WHERE id = 42", map[string]any{"id": float64(42), "email": "[EMAIL]", "tier": "gold", "card": "[PAYMENT_CARD]"}},
		{"SELECT x FROM (SELECT email AS x FROM customers) s LIMIT 1", map[string]any{"x": "[EMAIL]"}},
		// Names PostgreSQL gives that the statement does not spell: the whole row as text, a
		// composite expanded, CASE, an unnamed expression beside a star.
		{"SELECT (customers.*)::text FROM customers WHERE id = 42", map[string]any{"customers": "[EMAIL]"}},
		{"SELECT c.*::text FROM customers c WHERE id = 42", map[string]any{"c": "[EMAIL]"}},
		{"SELECT (c).* FROM customers c WHERE id = 42", map[string]any{"id": float64(42), "email": "[EMAIL]", "tier": "gold", "card": "[PAYMENT_CARD]"}},
		{"SELECT CASE WHEN true THEN card END FROM customers WHERE id = 42", map[string]any{"case": "[PAYMENT_CARD]"}},
		{"SELECT *, card || '' FROM customers WHERE id = 42", map[string]any{"id": float64(42), "email": "[EMAIL]", "tier": "gold", "card": "[PAYMENT_CARD]", "?column?": "[PAYMENT_CARD]"}},
	}
	for _, tc := range cases {
		st, err := pgquery.New().Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		act := api.Action{Kind: api.KindSQL, Statement: tc.sql}
		c, err := br.Mint(ctx, tg, act, broker.Scope{Record: "ab12cd34ef56aa", Statement: &st})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.Do(ctx, tg, c, act)
		_ = c.Release(ctx)
		if err != nil || res.Status != 200 {
			t.Fatalf("%q: %v: %s", tc.sql, err, res.Body)
		}
		var r execute.SQLResult
		if err := json.Unmarshal(res.Body, &r); err != nil || len(r.Rows) == 0 {
			t.Fatalf("%q: %v: %s", tc.sql, err, res.Body)
		}
		if diff := cmp.Diff(tc.want, r.Rows[0]); diff != "" {
			t.Errorf("%q: (-want +got)\n%s", tc.sql, diff)
		}
		if res.Masked["email"]+res.Masked["payment_card"] == 0 {
			t.Errorf("%q: masked counts %v", tc.sql, res.Masked)
		}
		if strings.Contains(string(res.Body), "example.com") || strings.Contains(string(res.Body), "4111") {
			t.Errorf("%q: classified data in %s", tc.sql, res.Body)
		}
		plan, err := br.Plan(ctx, tg, act, broker.Scope{Statement: &st})
		if err != nil || len(plan.Lineage) == 0 || plan.Lineage[0].Class == "" {
			t.Errorf("%q: plan lineage %+v (%v)", tc.sql, plan.Lineage, err)
		}
	}
}

// TestSQLWaitsForAConnection: when no connection is to be had (here the role's CONNECTION
// LIMIT, as the server's max_connections would be under other processes' actions), the
// executor waits for one within the statement's timeout instead of failing.
func TestSQLWaitsForAConnection(t *testing.T) {
	tg, br, _ := postgres(t)
	ctx := context.Background()
	const sql = "SELECT id FROM customers WHERE id = 42"
	st, err := pgquery.New().Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL, Statement: sql}, broker.Scope{Record: "ab12cd34ef56aa", Statement: &st})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release(ctx)
	cfg, err := broker.ConnConfig(tg, c.SQL.User, c.SQL.Password)
	if err != nil {
		t.Fatal(err)
	}
	var held []*pgx.Conn
	for range 2 { // CONNECTION LIMIT 2
		conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
	}
	time.AfterFunc(400*time.Millisecond, func() { held[0].Close(context.Background()) })
	defer held[1].Close(ctx)
	res, err := execute.NewSQL().Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: sql})
	if err != nil || res.Status != 200 {
		t.Fatalf("status %d, %v: %s", res.Status, err, res.Body)
	}
}

// TestSQLAdministratorWithoutGrantOption: a table the target allows but the administrator
// holds no grantable privilege on fails the mint (PostgreSQL only warns on such a GRANT) and
// leaves no standing role without its privilege behind; once the owner grants it, it works.
func TestSQLAdministratorWithoutGrantOption(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	tg.AllowedTables = append(tg.AllowedTables, "public.secrets")
	ex := execute.NewSQL()
	const sql = "SELECT id FROM secrets"
	if err := action(ctx, br, ex, tg, sql); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("action = %v, want permission denied", err)
	}
	// With the privilege but not the grant option, PostgreSQL's GRANT only warns.
	if _, err := conn.Exec(ctx, "GRANT SELECT ON secrets TO "+tg.User); err != nil {
		t.Fatal(err)
	}
	if err := action(ctx, br, ex, tg, sql); err == nil || !strings.Contains(err.Error(), "GRANT OPTION") {
		t.Fatalf("action = %v, want a mint error naming the grant option", err)
	}
	noStandingRole(t, br, tg, conn, sql)
	if _, err := conn.Exec(ctx, "GRANT SELECT ON secrets TO "+tg.User+" WITH GRANT OPTION"); err != nil {
		t.Fatal(err)
	}
	if err := action(ctx, br, ex, tg, sql); err != nil {
		t.Fatal(err)
	}
}

// TestSQLAdministratorWithoutSequenceGrantOption: an INSERT into a table whose serial column's
// sequence the administrator cannot grant fails the mint naming the sequence, and leaves no
// standing INSERT role behind that would fail every later INSERT with "permission denied for
// sequence"; once the owner grants it, the INSERT works.
func TestSQLAdministratorWithoutSequenceGrantOption(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	for _, s := range []string{
		"CREATE TABLE tickets (id bigserial PRIMARY KEY, body text)",
		"GRANT INSERT ON tickets TO " + tg.User + " WITH GRANT OPTION",
		"GRANT USAGE ON SEQUENCE tickets_id_seq TO " + tg.User, // no grant option
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	tg.AllowedTables = append(tg.AllowedTables, "public.tickets")
	ex := execute.NewSQL()
	const sql = "INSERT INTO tickets (body) VALUES ('hello')"
	if err := action(ctx, br, ex, tg, sql); err == nil || !strings.Contains(err.Error(), "tickets_id_seq") {
		t.Fatalf("action = %v, want a mint error naming the sequence", err)
	}
	noStandingRole(t, br, tg, conn, sql)
	if _, err := conn.Exec(ctx, "GRANT USAGE ON SEQUENCE tickets_id_seq TO "+tg.User+" WITH GRANT OPTION"); err != nil {
		t.Fatal(err)
	}
	if err := action(ctx, br, ex, tg, sql); err != nil {
		t.Fatal(err)
	}
}

// noStandingRole fails the test if the one standing role sql's ephemeral role would join
// exists: a failed mint must not leave one behind without its privileges.
func noStandingRole(t *testing.T, br *broker.Broker, tg target.Target, conn *pgx.Conn, sql string) {
	t.Helper()
	st, err := pgquery.New().Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := br.Plan(context.Background(), tg, api.Action{Kind: api.KindSQL, Statement: sql}, broker.Scope{Statement: &st})
	if err != nil || len(plan.MemberOf) != 1 {
		t.Fatalf("plan %+v: %v", plan, err)
	}
	if roleExists(t, conn, plan.MemberOf[0]) {
		t.Fatalf("standing role %s exists after a failed mint", plan.MemberOf[0])
	}
}

// TestSQLErrorsCarryNoClassifiedValue: PostgreSQL's error messages quote the value that failed
// (`invalid input syntax for type integer: "gold"`), so a statement that reads a classified
// column could read it out through an error rather than a result, where lineage never looks,
// in a spelling detection does not know (reversed, translated). On a table with classified
// columns the message is withheld and the SQLSTATE kept; elsewhere the message is kept.
func TestSQLErrorsCarryNoClassifiedValue(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "INSERT INTO notes (customer_id, body) VALUES (42, 'amber')"); err != nil {
		t.Fatal(err)
	}
	tg.ClassifiedColumns = map[string]string{"public.customers.email": "email", "public.customers.tier": "tier"}
	for _, sql := range []string{
		"SELECT tier::int FROM customers WHERE id = 42",
		"SELECT id FROM customers WHERE tier::int > 0",
		"SELECT id FROM customers ORDER BY tier::date",
		"SELECT tier::uuid AS u FROM customers WHERE id = 42",
		"SELECT (tier || 'x')::numeric FROM customers WHERE id = 42",
		"SELECT reverse(email)::int FROM customers WHERE id = 42",
		"SELECT translate(email, '@.', '#,')::bool FROM customers WHERE id = 42",
		"SELECT to_date(tier, 'YYYY') FROM customers WHERE id = 42",
		"SELECT n.id FROM notes n JOIN customers c ON c.id = n.customer_id WHERE c.tier::int = 1",
		"SELECT x::int FROM (SELECT tier AS x FROM customers) s",
		"WITH t AS (SELECT tier FROM customers) SELECT tier::int FROM t",
		"SELECT (c)::text::int FROM customers c WHERE id = 42",
	} {
		res := run(t, br, tg, sql)
		if res.Status != execute.StatusSQLError {
			t.Fatalf("%q: status %d, want the SQL error status: %s", sql, res.Status, res.Body)
		}
		body := string(res.Body)
		for _, v := range []string{"gold", "dlog", "ada", "example", "elpmaxe"} {
			if strings.Contains(body, v) {
				t.Errorf("%q: the error carries %q: %s", sql, v, body)
			}
		}
		var e execute.SQLError
		if err := json.Unmarshal(res.Body, &e); err != nil || len(e.Error.Code) != 5 || !strings.Contains(e.Error.Message, e.Error.Code) {
			t.Errorf("%q: want the SQLSTATE kept and named in the message: %s (%v)", sql, body, err)
		}
	}
	// A write that fails on the data is rolled back and says no more.
	res := run(t, br, tg, "UPDATE customers SET tier = 'x' WHERE tier::int = 1")
	if res.Status != execute.StatusSQLError || strings.Contains(string(res.Body), "gold") {
		t.Errorf("update: %d %s", res.Status, res.Body)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM customers WHERE tier = 'x'").Scan(&n); err != nil || n != 0 {
		t.Errorf("update changed %d rows (%v)", n, err)
	}
	// What the statement's text alone raises keeps PostgreSQL's words, and so does a table
	// without classified columns.
	for sql, want := range map[string]string{
		"SELECT emial FROM customers":       `column \"emial\" does not exist`,
		"SELECT 'gold'::int FROM customers": `invalid input syntax for type integer: \"gold\"`,
		"SELECT body::int FROM notes":       `invalid input syntax for type integer: \"amber\"`,
	} {
		if res := run(t, br, tg, sql); res.Status != execute.StatusSQLError || !strings.Contains(string(res.Body), want) {
			t.Errorf("%q: %d %s, want %s", sql, res.Status, res.Body, want)
		}
	}
}

// TestSQLStringsAreStandardWhateverTheDatabaseSays: a token's value is written into the
// statement as a plain literal with its quotes doubled, which is enough only while backslashes
// are not escapes. A database set to standard_conforming_strings = off would read
// 'C:\' as an unterminated literal and let a value end it early; the executor pins it on.
func TestSQLStringsAreStandardWhateverTheDatabaseSays(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{tg.Database}.Sanitize()+" SET standard_conforming_strings = off"); err != nil {
		t.Fatal(err)
	}
	res := run(t, br, tg, `SELECT 'C:\temp' AS p FROM customers WHERE id = 42`)
	if res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	var r execute.SQLResult
	if err := json.Unmarshal(res.Body, &r); err != nil || len(r.Rows) != 1 || r.Rows[0]["p"] != `C:\temp` {
		t.Fatalf("rows %v (%v): want the backslash as written", r.Rows, err)
	}
}
