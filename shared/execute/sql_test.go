package execute_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/pgtest"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
	"github.com/mandate-dev/mandate/shared/target"
)

// postgres returns a target on a fresh database of the test server with tables customers,
// notes (serial id) and secrets, and a superuser connection to it. The target's login is the
// least-privilege administrator of MANDATE_TEST_POSTGRES_ADMIN_DSN (CREATEROLE, not
// superuser): the tables belong to the superuser, which grants the administrator what it
// hands on, WITH GRANT OPTION, as an application's owner does for an RDS operator.
func postgres(t *testing.T) (target.Target, *broker.Broker, *pgx.Conn) {
	t.Helper()
	db := pgtest.New(t, "mandate_test_")
	adm := pgx.Identifier{db.Admin}.Sanitize()
	db.Exec(t,
		"CREATE TABLE customers (id int PRIMARY KEY, email text, tier text)",
		"INSERT INTO customers VALUES (42, 'ada@example.com', 'gold'), (43, 'bob@example.com', 'silver'), (44, 'cy@example.com', 'gold')",
		"CREATE TABLE notes (id serial PRIMARY KEY, customer_id int, body text)",
		"CREATE TABLE secrets (id int, value text)",
		"INSERT INTO secrets VALUES (1, 'top')",
		"GRANT CONNECT ON DATABASE "+db.Name+" TO "+adm+" WITH GRANT OPTION",
		"GRANT USAGE ON SCHEMA public TO "+adm+" WITH GRANT OPTION",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON customers, notes TO "+adm+" WITH GRANT OPTION",
		"GRANT USAGE ON SEQUENCE notes_id_seq TO "+adm+" WITH GRANT OPTION",
	)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pg.key"), []byte(db.AdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tg := target.Target{
		Name: "crm", Kind: api.KindSQL, Endpoint: db.Host, Database: db.Name, User: db.Admin, SecretRef: "file:pg.key",
		Schema: "public", AllowedTables: []string{"public.customers", "public.notes"}, MaxRows: 1000,
		Timeout: target.Duration(5 * time.Second), MaxResponseBytes: 1 << 20, CredentialTTL: target.Duration(30 * time.Second),
	}
	br := broker.New(broker.NewFileSecrets(dir), time.Now)
	t.Cleanup(br.Close)
	return tg, br, db.Conn
}

// TestPostgresServerVersion holds the cluster to the major version the run says it is
// (MANDATE_TEST_POSTGRES_VERSION: .ci/with-services sets it, and make tests sets 16 when it runs
// these tests again on PostgreSQL 16), so a run meant for one version cannot pass on another.
func TestPostgresServerVersion(t *testing.T) {
	want := os.Getenv("MANDATE_TEST_POSTGRES_VERSION")
	if want == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MANDATE_TEST_POSTGRES_VERSION is not set (run under .ci/with-services)")
		}
		t.Skip("MANDATE_TEST_POSTGRES_VERSION is not set")
	}
	_, _, conn := postgres(t)
	var num int
	if err := conn.QueryRow(context.Background(), "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatal(err)
	}
	if got := strconv.Itoa(num / 10000); got != want {
		t.Fatalf("server is PostgreSQL %s (%d), the run says %s", got, num, want)
	}
}

func roleExists(t *testing.T, conn *pgx.Conn, name string) bool {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_roles WHERE rolname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// tableGrants lists "PRIVILEGE table" the role holds, directly or through membership, on
// the tables of the database.
func tableGrants(t *testing.T, conn *pgx.Conn, role string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT p || ' ' || c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
		WHERE n.nspname = 'public' AND c.relkind = 'r' AND has_table_privilege($1, c.oid, p) ORDER BY 1`, role)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSQLEphemeralRolePerAction(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	ex := execute.NewSQL()
	p := pgquery.New()
	cases := []struct {
		name, sql  string
		grants     []string
		wantStatus int
		check      func(t *testing.T, body []byte)
	}{
		{"select", "SELECT id, email FROM customers WHERE tier = 'gold' ORDER BY id", []string{"SELECT customers"}, 200, func(t *testing.T, body []byte) {
			var r execute.SQLResult
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			want := execute.SQLResult{Command: "SELECT 2", Columns: []string{"id", "email"}, RowCount: 2,
				Rows: []map[string]any{{"id": float64(42), "email": "ada@example.com"}, {"id": float64(44), "email": "cy@example.com"}}}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		}},
		{"insert with serial", "INSERT INTO notes (customer_id, body) VALUES (42, 'called back') RETURNING id", []string{"INSERT notes", "SELECT notes"}, 200, func(t *testing.T, body []byte) {
			var r execute.SQLResult
			if err := json.Unmarshal(body, &r); err != nil || r.Command != "INSERT 0 1" || r.RowCount != 1 {
				t.Fatalf("%s: %v", body, err)
			}
		}},
		{"update", "UPDATE customers SET tier = 'platinum' WHERE id = 42", []string{"SELECT customers", "UPDATE customers"}, 200, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := p.Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL, Statement: tc.sql}, broker.Scope{Session: "ses_x", Record: "ab12cd34ef56aa", Statement: &st})
			if err != nil {
				t.Fatal(err)
			}
			role := c.SQL.User
			if !roleExists(t, conn, role) {
				t.Fatalf("role %s does not exist during the action", role)
			}
			if tc.grants != nil {
				if diff := cmp.Diff(tc.grants, tableGrants(t, conn, role)); diff != "" {
					t.Fatalf("grants (-want +got)\n%s", diff)
				}
			}
			// explain names the standing roles the minted role is a member of.
			plan, err := br.Plan(ctx, tg, api.Action{Kind: api.KindSQL, Statement: tc.sql}, broker.Scope{Statement: &st})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, `SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
				JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1 ORDER BY 1`, role)
			if err != nil {
				t.Fatal(err)
			}
			member, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(plan.MemberOf)), member); diff != "" || len(member) == 0 {
				t.Fatalf("member of (-plan +database)\n%s", diff)
			}
			var until time.Time
			if err := conn.QueryRow(ctx, "SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", role).Scan(&until); err != nil || time.Until(until) > 31*time.Second || time.Until(until) < 20*time.Second {
				t.Fatalf("VALID UNTIL %v (%v)", until, err)
			}
			res, err := ex.Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: tc.sql})
			if rerr := c.Release(ctx); rerr != nil {
				t.Fatal(rerr)
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.wantStatus {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			if tc.check != nil {
				tc.check(t, res.Body)
			}
			if roleExists(t, conn, role) {
				t.Fatalf("role %s still exists after the action", role)
			}
		})
	}
}

func TestSQLRoleCannotTouchOtherTables(t *testing.T) {
	tg, br, _ := postgres(t)
	ctx := context.Background()
	st, err := pgquery.New().Parse("SELECT * FROM customers")
	if err != nil {
		t.Fatal(err)
	}
	c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL}, broker.Scope{Record: "00", Statement: &st})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release(ctx)
	for _, sql := range []string{"SELECT * FROM secrets", "DELETE FROM customers", "DROP TABLE customers", "CREATE TABLE x (id int)", "UPDATE customers SET tier = 'x'"} {
		res, err := execute.NewSQL().Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: sql})
		if err != nil || res.Status != execute.StatusSQLError {
			t.Errorf("%q as the SELECT role: status %d, %v: %s", sql, res.Status, err, res.Body)
		}
	}
	// Two statements are refused by the protocol itself, whatever the parser said.
	res, err := execute.NewSQL().Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: "SELECT 1; SELECT 2"})
	if err != nil || res.Status != execute.StatusSQLError {
		t.Errorf("multi-statement: status %d, %v: %s", res.Status, err, res.Body)
	}
}

func TestSQLCapsRowsAndDropRefusedBeforeMint(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	tg.MaxRows = 2
	st, _ := pgquery.New().Parse("SELECT * FROM customers")
	c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL}, broker.Scope{Record: "00", Statement: &st})
	if err != nil {
		t.Fatal(err)
	}
	res, err := execute.NewSQL().Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: "SELECT * FROM customers ORDER BY id"})
	_ = c.Release(ctx)
	if err != nil || !res.Truncated {
		t.Fatalf("truncated=%v err=%v", res.Truncated, err)
	}
	var r execute.SQLResult
	if err := json.Unmarshal(res.Body, &r); err != nil || r.RowCount != 2 || !r.Truncated {
		t.Fatalf("%s", res.Body)
	}

	before := ephemeralRoles(t, conn, "")
	for _, sql := range []string{"DROP TABLE customers", "SELECT c.id FROM customers c WHERE c.id = (SELECT count(*) FROM pg_catalog.pg_authid)", "SELECT * FROM secrets"} {
		st, err := pgquery.New().Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL}, broker.Scope{Statement: &st}); !errors.Is(err, broker.ErrNotGrantable) {
			t.Fatalf("%q: Mint = %v, want ErrNotGrantable", sql, err)
		}
	}
	if after := ephemeralRoles(t, conn, ""); after != before {
		t.Fatalf("a refused mint left %d role(s)", after-before)
	}
}

func TestSweepDropsExpiredRolesOnly(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	var b [4]byte
	_, _ = rand.Read(b[:])
	old := broker.RolePrefix + "sweep_" + hex.EncodeToString(b[:])
	live := old + "_live"
	other := "not_mandate_" + hex.EncodeToString(b[:])
	// Left behind by an earlier broker as the administrator: a role with a direct grant and a
	// large object it owns.
	for _, s := range []string{
		"SET ROLE " + tg.User,
		"CREATE ROLE " + old + " LOGIN VALID UNTIL '2000-01-01'",
		"GRANT SELECT ON customers TO " + old,
		"CREATE ROLE " + live + " LOGIN VALID UNTIL 'infinity'",
		"CREATE ROLE " + other + " LOGIN VALID UNTIL '2000-01-01'",
		"RESET ROLE",
		"SET ROLE " + old,
		"SELECT lo_from_bytea(0, 'x')",
		"RESET ROLE",
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, r := range []string{live, other} {
			_, _ = conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+r)
		}
	})
	n, err := br.Sweep(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 || roleExists(t, conn, old) || !roleExists(t, conn, live) || !roleExists(t, conn, other) {
		t.Fatalf("swept %d; old exists %v, live %v, other %v", n, roleExists(t, conn, old), roleExists(t, conn, live), roleExists(t, conn, other))
	}
}

// TestSQLActionTiming reports the p50 cost of one whole sql action (create the ephemeral
// role as a member of its standing roles, connect as it, run a SELECT, drop the role) beside
// two baselines measured in the same run: the same SELECT on an open connection, and on a
// fresh connection of a standing login (SCRAM with PostgreSQL's default 4,096 iterations).
func TestSQLActionTiming(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	const sql = "SELECT id, email FROM customers WHERE id = 42"
	st, _ := pgquery.New().Parse(sql)
	ex := execute.NewSQL()
	au, _ := url.Parse(os.Getenv("MANDATE_TEST_POSTGRES_ADMIN_DSN"))
	au.Path = "/" + tg.Database
	const n = 50
	var open, fresh, mint, do, release, whole []time.Duration
	for range n {
		t0 := time.Now()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
		open = append(open, time.Since(t0))

		t0 = time.Now()
		c, err := pgx.Connect(ctx, au.String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
		c.Close(ctx)
		fresh = append(fresh, time.Since(t0))

		t0 = time.Now()
		cred, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL}, broker.Scope{Record: "00", Statement: &st})
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if _, err := ex.Do(ctx, tg, cred, api.Action{Kind: api.KindSQL, Statement: sql}); err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		if err := cred.Release(ctx); err != nil {
			t.Fatal(err)
		}
		t3 := time.Now()
		mint, do, release, whole = append(mint, t1.Sub(t0)), append(do, t2.Sub(t1)), append(release, t3.Sub(t2)), append(whole, t3.Sub(t0))
	}
	p50 := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	t.Logf("p50 of %d: open connection %v; fresh standing login %v; action %v (create role %v, connect+run %v, drop role %v); overhead over the open connection %v, over a fresh login %v",
		n, p50(open), p50(fresh), p50(whole), p50(mint), p50(do), p50(release), p50(whole)-p50(open), p50(whole)-p50(fresh))
}

// TestReleaseEndsTheActionInFlight is what a kill does to a SQL action that is running: the
// ephemeral role is dropped and its session ended, so the statement stops at once instead of
// finishing with the privileges of a killed session.
func TestReleaseEndsTheActionInFlight(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	const sql = "SELECT pg_sleep(10), id FROM customers LIMIT 1"
	st, err := pgquery.New().Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL, Statement: sql}, broker.Scope{Session: "ses_k", Record: "ab12cd34ef56aa", Statement: &st})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		res, err := execute.NewSQL().Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: sql})
		if err == nil && res.Status == 200 {
			done <- errors.New("the statement completed")
			return
		}
		done <- nil // ended early: an error, or PostgreSQL's answer that the session was terminated
	}()
	time.Sleep(500 * time.Millisecond) // the statement is running as the ephemeral role
	rows, err := conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE usename = $1", c.SQL.User)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(pids) != 1 {
		t.Fatalf("backends of the role while it runs: %v (%v)", pids, err)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || time.Since(start) > 5*time.Second {
			t.Fatalf("after release: %v after %s", err, time.Since(start))
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the statement kept running after its role was dropped")
	}
	if roleExists(t, conn, c.SQL.User) {
		t.Fatalf("role %s still exists", c.SQL.User)
	}
	// Its backend is gone, ended by the administrator (not superuser, no pg_signal_backend).
	var backends int
	for range 50 {
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)", pids).Scan(&backends); err != nil {
			t.Fatal(err)
		}
		if backends == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d backend(s) of %s still running", backends, c.SQL.User)
}
