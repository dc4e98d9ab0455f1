package local_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/pgtest"
)

// sqlPolicies let the agent insert notes: the statement names public.notes only.
const sqlPolicies = `
@id("permit-notes-insert")
permit (principal, action == Action::"sql:INSERT", resource in Target::"warehouse")
when { ["public.notes"].containsAll(context.sql.tables) };
`

// startSQL runs `mandate local` with a warehouse target on a fresh database of the test
// PostgreSQL server (MANDATE_TEST_POSTGRES_DSN, with the least-privilege administrator of
// MANDATE_TEST_POSTGRES_ADMIN_DSN as the target's user), under sqlPolicies. The database holds
// notes, secrets (one row) and wipe(), a SECURITY DEFINER function of the table owner that the
// target lists; it returns the instance and a superuser connection to the database.
func startSQL(t *testing.T) (*local.Instance, *pgx.Conn) {
	t.Helper()
	return startWarehouse(t, func(adm string) []string {
		return []string{
			"CREATE TABLE notes (id serial PRIMARY KEY, customer_id int, body text)",
			"CREATE TABLE secrets (id int, value text)",
			"INSERT INTO secrets VALUES (1, 'top')",
			"CREATE FUNCTION wipe() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'DELETE FROM secrets RETURNING 42'",
			"CREATE FUNCTION cut() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'TRUNCATE secrets; SELECT 42'",
			"GRANT SELECT, INSERT ON notes TO " + adm + " WITH GRANT OPTION",
		}
	}, "allowed_tables: [public.notes], allowed_functions: [public.wipe, public.cut]", sqlPolicies)
}

// startWarehouse runs `mandate local` under policies with a warehouse target on a fresh
// database of the test PostgreSQL server, made by setup's statements (given the target's
// administrator, quoted, to grant to) and holding a notes table with its sequence granted;
// fields are the target's own. It returns the instance and a superuser connection.
func startWarehouse(t *testing.T, setup func(adm string) []string, fields, policies string) (*local.Instance, *pgx.Conn) {
	t.Helper()
	db := pgtest.New(t, "mandate_local_")
	adm := pgx.Identifier{db.Admin}.Sanitize()
	db.Exec(t, append(setup(adm),
		"GRANT CONNECT ON DATABASE "+db.Name+" TO "+adm+" WITH GRANT OPTION",
		"GRANT USAGE ON SCHEMA public TO "+adm+" WITH GRANT OPTION",
		"GRANT USAGE ON SEQUENCE notes_id_seq TO "+adm+" WITH GRANT OPTION")...)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "warehouse.key"), []byte(db.AdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	targets := "targets:\n  - {name: warehouse, kind: sql, endpoint: '" + db.Host + "', database: " + db.Name +
		", user: " + db.Admin + ", secret_ref: 'file:warehouse.key', " + fields + ", timeout: 5s, max_rows: 100}\n"
	return startWith(t, dir, nil, policies, targets), db.Conn
}

// TestSQLRolledBackWriteThroughThePipeline: an allowed INSERT into notes whose listed SECURITY
// DEFINER function empties secrets (DELETE, or TRUNCATE, which no row counter shows), a table the statement does not name, is rolled back by
// the database; the agent gets the refusal with the reason, the result record says
// rolled-back and why, nothing changed in either table, and the chain verifies. The same
// INSERT without the side effect commits.
func TestSQLRolledBackWriteThroughThePipeline(t *testing.T) {
	inst, conn := startSQL(t)
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	act := func(stmt string) api.ActionResponse {
		t.Helper()
		res, err := c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindSQL, Target: "warehouse", Statement: stmt}})
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		return res
	}
	for _, stmt := range []string{
		"INSERT INTO notes (customer_id, body) VALUES (public.wipe(), 'emptied secrets')",
		"INSERT INTO notes (customer_id, body) VALUES (public.cut(), 'truncated secrets')",
	} {
		res := act(stmt)
		if res.Verdict != api.VerdictAllow || res.Status != 422 || !strings.Contains(toJSON(t, res.Result), "mandate_rolled_back") ||
			!strings.Contains(toJSON(t, res.Result), "public.secrets") {
			t.Fatalf("%s: verdict %s, status %d, result %s: want the allowed write rolled back, naming public.secrets", stmt, res.Verdict, res.Status, toJSON(t, res.Result))
		}
		var secrets, notes int
		if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM secrets), (SELECT count(*) FROM notes)").Scan(&secrets, &notes); err != nil {
			t.Fatal(err)
		}
		if secrets != 1 || notes != 0 {
			t.Fatalf("%s: %d secret(s), %d note(s) after a rolled-back write, want 1 and 0", stmt, secrets, notes)
		}
	}
	if res := act("INSERT INTO notes (customer_id, body) VALUES (42, 'kept')"); res.Status != 200 {
		t.Fatalf("plain insert: status %d, %s", res.Status, toJSON(t, res.Result))
	}
	verified(t, c, s.SessionID)
	inst.Close()
	reps, err := local.Verify(ctx, inst.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, r := range reps {
		if r.Session != s.SessionID {
			continue
		}
		for _, rec := range r.Records {
			if rec.Type == audit.TypeResult {
				outcomes = append(outcomes, rec.Result.Outcome+": "+rec.Result.Reason)
			}
		}
	}
	want := []string{"rolled-back: the statement changed public.secrets, which it does not name; rolled back",
		"rolled-back: the statement changed public.secrets, which it does not name; rolled back", "ok: "}
	if !slices.Equal(outcomes, want) {
		t.Fatalf("result records %q, want %q", outcomes, want)
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestClassifiedDataThroughThePipeline: the ways a statement can read a classified column
// other than in its result, tried over signed HTTP against `mandate local` and PostgreSQL.
// A data error's message is withheld (its SQLSTATE kept) and is in no record; a filter on
// card numbers meets the policy that forbids them; a write that copies emails into notes is
// refused before anything is minted; a masking token of an email looks a customer up by
// the classified column, and computed with, is refused.
func TestClassifiedDataThroughThePipeline(t *testing.T) {
	policies := `
@id("permit-warehouse")
permit (principal, action, resource in Target::"warehouse");

@id("forbid-card-numbers")
forbid (principal, action, resource in Target::"warehouse")
when { context.sql.classes.contains("payment_card") };
`
	inst, _ := startWarehouse(t, func(adm string) []string {
		return []string{
			"CREATE TABLE customers (id int PRIMARY KEY, email text, card text, tier text)",
			"INSERT INTO customers VALUES (42, 'grace@example.org', '4111111111111111', 'gold')",
			"CREATE TABLE notes (id serial PRIMARY KEY, customer_id int, body text)",
			"INSERT INTO notes (customer_id, body) VALUES (42, 'wrote to grace@example.org')",
			"GRANT SELECT, INSERT ON customers, notes TO " + adm + " WITH GRANT OPTION",
		}
	}, "allowed_tables: [public.customers, public.notes], mask_profile: tokenize"+
		", classified_columns: {public.customers.email: email, public.customers.card: payment_card, public.customers.tier: tier}", policies)
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	act := func(stmt string) (api.ActionResponse, error) {
		return c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindSQL, Target: "warehouse", Statement: stmt}})
	}

	res, err := act("SELECT tier::int FROM customers WHERE id = 42")
	if err != nil || res.Status != 422 || strings.Contains(toJSON(t, res.Result), "gold") || !strings.Contains(toJSON(t, res.Result), "22P02") {
		t.Fatalf("data error: %v, status %d, %s: want 422 with the SQLSTATE and no value", err, res.Status, toJSON(t, res.Result))
	}
	_, err = act("SELECT id FROM customers WHERE card LIKE '4111%'")
	if p := problemOf(t, err); p.Status != 403 || !slices.Contains(p.Reasons, "forbid-card-numbers") {
		t.Fatalf("filter on cards: %+v", p)
	}
	_, err = act("INSERT INTO notes (body) SELECT translate(email, '@.', '#,') FROM customers RETURNING body")
	if p := problemOf(t, err); p.Status != 403 || !slices.Contains(p.Reasons, "sql-stores-classified") {
		t.Fatalf("laundering write: %+v", p)
	}

	// The email in a note comes back as a token; by the classified column it finds customer 42.
	res, err = act("SELECT body FROM notes")
	if err != nil {
		t.Fatal(err)
	}
	tok := regexp.MustCompile(`tok_email_[a-z2-7]{20}`).FindString(toJSON(t, res.Result))
	if tok == "" {
		t.Fatalf("no token in %s", toJSON(t, res.Result))
	}
	res, err = act("SELECT id FROM customers WHERE email = '" + tok + "'")
	if err != nil || res.Status != 200 || !strings.Contains(toJSON(t, res.Result), `"id":42`) {
		t.Fatalf("lookup by token: %v, %s", err, toJSON(t, res.Result))
	}
	for _, stmt := range []string{"SELECT reverse('" + tok + "') AS r", "SELECT id FROM notes WHERE body = '" + tok + "'"} {
		_, err = act(stmt)
		if p := problemOf(t, err); p.Status != 403 || !slices.Contains(p.Reasons, "sql-token-unplaced") {
			t.Fatalf("%s: %+v", stmt, p)
		}
	}
	verified(t, c, s.SessionID)

	inst.Close()
	reps, err := local.Verify(ctx, inst.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		for _, rec := range r.Records {
			if raw := toJSON(t, rec); strings.Contains(raw, "gold") || strings.Contains(raw, "grace") {
				t.Errorf("a classified value in a record of %s: %s", r.Session, raw)
			}
		}
	}
}
