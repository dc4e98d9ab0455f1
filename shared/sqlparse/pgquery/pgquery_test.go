package pgquery_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

func tables(ts ...string) []sqlparse.Table {
	// ts is name, privileges..., "|", name, privileges...
	var out []sqlparse.Table
	var cur *sqlparse.Table
	for _, s := range ts {
		switch {
		case s == "|":
			cur = nil
		case cur == nil:
			out = append(out, sqlparse.Table{Schema: "public", Name: s})
			cur = &out[len(out)-1]
			if len(s) > 0 && containsDot(s) {
				for i := range s {
					if s[i] == '.' {
						cur.Schema, cur.Name = s[:i], s[i+1:]
						break
					}
				}
			}
		default:
			cur.Privileges = append(cur.Privileges, s)
		}
	}
	return out
}

func containsDot(s string) bool {
	for i := range s {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

func TestParse(t *testing.T) {
	t.Parallel()
	if !pgquery.Available {
		t.Skip("built without cgo: no parser")
	}
	cases := []struct {
		name, sql string
		typ       string
		tables    []sqlparse.Table
		columns   []string
	}{
		{"select", "SELECT id, email FROM customers WHERE id = 42", "SELECT",
			tables("customers", "SELECT"), []string{"email", "id"}},
		{"star and schema", "select * from crm.customers c join public.orders o on o.customer_id = c.id", "SELECT",
			tables("crm.customers", "SELECT", "|", "orders", "SELECT"), []string{"*", "customer_id", "id"}},
		{"cte is not a table", "WITH recent AS (SELECT id FROM orders) SELECT count(*) FROM recent", "SELECT",
			tables("orders", "SELECT"), []string{"id"}},
		{"non-recursive cte does not see itself", "WITH orders AS (SELECT * FROM orders) SELECT * FROM orders", "SELECT",
			tables("orders", "SELECT"), []string{"*"}},
		{"cte name out of scope is a table", "SELECT * FROM (WITH s AS (SELECT 1) SELECT * FROM s) a, s", "SELECT",
			tables("s", "SELECT"), []string{"*"}},
		{"subquery in where", "SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders)", "SELECT",
			tables("customers", "SELECT", "|", "orders", "SELECT"), []string{"customer_id", "id"}},
		{"insert", "INSERT INTO notes (customer_id, body) VALUES (42, 'called')", "INSERT",
			tables("notes", "INSERT"), []string{"body", "customer_id"}},
		{"insert returning", "INSERT INTO notes (body) VALUES ('x') RETURNING id", "INSERT",
			tables("notes", "INSERT", "SELECT"), []string{"body", "id"}},
		{"insert select", "INSERT INTO notes (body) SELECT email FROM customers", "INSERT",
			tables("customers", "SELECT", "|", "notes", "INSERT"), []string{"body", "email"}},
		{"upsert", "INSERT INTO notes (id, body) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET body = excluded.body", "INSERT",
			tables("notes", "INSERT", "SELECT", "UPDATE"), []string{"body", "id"}},
		{"update", "UPDATE customers SET tier = 'gold' WHERE id = 42", "UPDATE",
			tables("customers", "SELECT", "UPDATE"), []string{"id", "tier"}},
		{"delete", "DELETE FROM customers WHERE id = 42", "DELETE",
			tables("customers", "DELETE", "SELECT"), []string{"id"}},
		{"delete all", "DELETE FROM customers", "DELETE", tables("customers", "DELETE"), []string{}},
		{"truncate", "TRUNCATE customers, orders", "TRUNCATE",
			tables("customers", "TRUNCATE", "|", "orders", "TRUNCATE"), []string{}},
		{"drop", "DROP TABLE crm.customers", "DROP", tables("crm.customers", "OWNER"), []string{}},
		{"quoted identifiers", `SELECT "Email" FROM "Customers"`, "SELECT", tables("Customers", "SELECT"), []string{"Email"}},
		{"trailing semicolon", "SELECT 1;", "SELECT", nil, []string{}},
	}
	p := pgquery.New()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := p.Parse(tc.sql)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			// Functions and casts are TestFunctionsAndCasts' business.
			want := sqlparse.Statement{Type: tc.typ, Tables: tc.tables, Columns: tc.columns, ReadOnly: tc.typ == "SELECT", Functions: got.Functions, Casts: got.Casts, Outputs: got.Outputs, Stored: got.Stored, Literals: got.Literals}
			if want.Tables == nil {
				want.Tables = []sqlparse.Table{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.sql, diff)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	if !pgquery.Available {
		t.Skip("built without cgo: no parser")
	}
	cases := []struct {
		name, sql string
		want      error
	}{
		{"two statements", "SELECT 1; DROP TABLE customers", sqlparse.ErrMultiple},
		{"none", "", sqlparse.ErrMultiple},
		{"only a comment", "-- nothing", sqlparse.ErrMultiple},
		{"syntax", "SELEC * FROM customers", sqlparse.ErrSyntax},
		{"nul", "SELECT 1\x00", sqlparse.ErrSyntax},
		{"create", "CREATE TABLE x (id int)", sqlparse.ErrUnsupported},
		{"grant", "GRANT ALL ON customers TO public", sqlparse.ErrUnsupported},
		{"copy", "COPY customers TO '/tmp/x'", sqlparse.ErrUnsupported},
		{"set", "SET search_path = evil", sqlparse.ErrUnsupported},
		{"do", "DO $$ BEGIN PERFORM 1; END $$", sqlparse.ErrUnsupported},
		{"drop role", "DROP ROLE postgres", sqlparse.ErrUnsupported},
		{"data-modifying cte", "WITH d AS (DELETE FROM customers RETURNING *) SELECT * FROM d", sqlparse.ErrUnsupported},
		{"select into", "SELECT * INTO copy FROM customers", sqlparse.ErrUnsupported},
		{"for update", "SELECT * FROM customers FOR UPDATE", sqlparse.ErrUnsupported},
		{"other database", "SELECT * FROM otherdb.public.customers", sqlparse.ErrUnsupported},
		{"explain analyze", "EXPLAIN ANALYZE DELETE FROM customers", sqlparse.ErrUnsupported},
		{"too long", "SELECT '" + string(make([]byte, sqlparse.MaxStatementBytes)) + "'", sqlparse.ErrUnsupported},
	}
	p := pgquery.New()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := p.Parse(tc.sql)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse(%q) = %v, want %v", tc.sql, err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"SELECT * FROM customers WHERE id = 1", "WITH a AS (SELECT 1) SELECT * FROM a",
		"INSERT INTO t (a) VALUES (1) RETURNING *", "DELETE FROM t USING u WHERE t.id = u.id", "SELECT 1; SELECT 2",
		"SELECT query_to_xml('SELECT 1', true, true, '')", "SELECT 'x'::regclass", "SELECT a OPERATOR(s.+) b FROM t",
		"SELECT json_object_agg(c.email, o.id), x.* FROM customers c JOIN orders o ON o.c = c.id, (SELECT 1) x", "SELECT c FROM s.customers c",
		`SELECT "PG_SLEEP"(1), pg_catalog.current_setting('x'), lo_import('/etc/passwd')`,
		"SELECT a.id FROM t a NATURAL JOIN u JOIN v USING (c) WHERE (a).c > 1 AND a::text <> ''", "SELECT i FROM t AS a(i, c)",
		"INSERT INTO n (b) SELECT c FROM t ON CONFLICT (id) DO UPDATE SET b = excluded.b", "UPDATE n SET (a, b) = (SELECT c, d FROM t) FROM u",
		"SELECT id FROM t a, u WHERE a.c = 'x' AND 'y' <> d AND e IN ('z', 'w')", "INSERT INTO t (a, b) VALUES ('x', 'y'), ('z', E'w')"} {
		f.Add(s)
	}
	p := pgquery.New()
	f.Fuzz(func(t *testing.T, sql string) {
		st, err := p.Parse(sql)
		if err != nil {
			if !errors.Is(err, sqlparse.ErrSyntax) && !errors.Is(err, sqlparse.ErrMultiple) &&
				!errors.Is(err, sqlparse.ErrUnsupported) && !errors.Is(err, sqlparse.ErrNoParser) {
				t.Fatalf("Parse(%q) returned an unclassified error: %v", sql, err)
			}
			return
		}
		// Every call and cast is named: an unnamed one could never be refused.
		for _, f := range append(slices.Clone(st.Functions), st.Casts...) {
			if f == "" || strings.HasPrefix(f, ".") || strings.HasSuffix(f, ".") {
				t.Fatalf("Parse(%q) named a function or cast %q", sql, f)
			}
		}
		// No function of a refused class passes the default allow-list, whatever its case or
		// schema: catalogue and server functions, large objects, dblink, XML export, settings.
		for _, f := range st.Functions {
			name := strings.ToLower(f[strings.LastIndex(f, ".")+1:])
			if (strings.HasPrefix(name, "pg_") || strings.HasPrefix(name, "lo_") || strings.HasPrefix(name, "dblink") ||
				strings.HasSuffix(name, "_to_xml") || name == "set_config" || name == "current_setting") && st.Disallowed(nil) == "" {
				t.Fatalf("Parse(%q): %s passes the default allow-list", sql, f)
			}
		}
		switch st.Type {
		case "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "DROP":
		default:
			t.Fatalf("Parse(%q) returned type %q", sql, st.Type)
		}
		// Lineage names only tables the statement reads, so the target's classification of
		// them applies; a source outside them would be a value masking never sees.
		for _, o := range append(slices.Clone(st.Outputs), st.Stored...) {
			for _, src := range o.Sources {
				schema, rest, _ := strings.Cut(src, ".")
				table, _, _ := strings.Cut(rest, ".")
				if !slices.Contains(st.TableNames(), schema+"."+table) {
					t.Fatalf("Parse(%q): output %q reads %q, not a table of the statement %v", sql, o.Name, src, st.TableNames())
				}
			}
		}
		// Every column of the result is classified, whatever PostgreSQL names it, when the
		// statement reads a classified column of a table it names.
		cls := map[string]string{}
		for _, tb := range st.TableNames() {
			cls[tb+".c"] = "k"
		}
		names := make([]string, len(st.Outputs))
		for i := range names {
			names[i] = "col" + strconv.Itoa(i) // no name the parser computed
		}
		for i, c := range sqlparse.ClassifyColumns(st.Outputs, cls, names) {
			if c == "" && len(sqlparse.Classes(st.Outputs, cls)) > 0 && !slices.ContainsFunc(st.Outputs, func(o sqlparse.Output) bool { return o.Name == "*" }) &&
				len(sqlparse.Classes(st.Outputs[i:i+1], cls)) > 0 {
				t.Fatalf("Parse(%q): column %d reads %v unmasked", sql, i, st.Outputs[i].Sources)
			}
		}
		// A constant is placed only against a column of a table the statement names.
		for _, l := range st.Literals {
			if l.Column != "" && !slices.Contains(st.TableNames(), l.Column[:max(0, strings.LastIndexByte(l.Column, '.'))]) {
				t.Fatalf("Parse(%q): %q placed against %q, not a column of %v", sql, l.Value, l.Column, st.TableNames())
			}
		}
		// A write names every value it stores; what stores nothing names none.
		if st.ReadOnly && len(st.Stored) > 0 {
			t.Fatalf("Parse(%q): a read-only statement stores %+v", sql, st.Stored)
		}
		// What the result reads, the statement reads; and a column it names, of a table it
		// names, is read wherever it is named.
		read := sqlparse.ClassesRead(st, cls)
		for _, c := range sqlparse.Classes(st.Outputs, cls) {
			if !slices.Contains(read, c) {
				t.Fatalf("Parse(%q): the result reads %q, the statement %v", sql, c, read)
			}
		}
		if len(st.Tables) > 0 && slices.Contains(st.Columns, "c") && !slices.Contains(read, "k") {
			t.Fatalf("Parse(%q) names column c of %v, reads %v", sql, st.TableNames(), read)
		}
		for _, tb := range st.Tables {
			if tb.Name == "" || tb.Schema == "" || len(tb.Privileges) == 0 {
				t.Fatalf("Parse(%q) returned table %+v", sql, tb)
			}
			if st.ReadOnly {
				for _, p := range tb.Privileges {
					if p != "SELECT" {
						t.Fatalf("read-only statement %q needs %s on %s", sql, p, tb.Name)
					}
				}
			}
		}
	})
}

// Every function and cast in the tree is named, whatever its spelling or depth; only the
// pure built-ins (and what a target lists) are allowed, and the classes of escape the
// table allow-list never saw are refused.
func TestFunctionsAndCasts(t *testing.T) {
	t.Parallel()
	p := pgquery.New()
	cases := []struct {
		sql     string
		refused string // "" when allowed by default
	}{
		{"SELECT lower(email), count(*) FROM customers GROUP BY 1", ""},
		{"SELECT pg_catalog.lower(email) FROM customers", ""},
		{"SELECT id::text, created_at::date FROM orders", ""},
		{"SELECT query_to_xml('SELECT rolname FROM pg_roles', true, true, '')", "function query_to_xml"},
		{"SELECT * FROM pg_stat_get_activity(NULL)", "function pg_stat_get_activity"},
		{"SELECT lo_from_bytea(0, 'x')", "function lo_from_bytea"},
		{"SELECT set_config('default_transaction_read_only', 'off', false)", "function set_config"},
		{"SELECT current_setting('is_superuser')", "function current_setting"},
		{"SELECT pg_sleep(10)", "function pg_sleep"},
		{"SELECT dblink('host=evil', 'SELECT 1')", "function dblink"},
		{"SELECT pg_catalog.pg_read_file('/etc/passwd')", "function pg_read_file"},
		{`SELECT "Query_To_Xml"('x', true, true, '')`, "function Query_To_Xml"},
		{`SELECT "lower"(email) FROM customers`, ""},
		{"SELECT PG_SLEEP(1)", "function pg_sleep"},
		{"INSERT INTO orders (id, note) VALUES (1, app.wipe_customers())", "function app.wipe_customers"},
		{"SELECT * FROM customers WHERE id IN (SELECT id FROM orders WHERE note = md5(pg_sleep(1)::text))", "function pg_sleep"},
		{"WITH x AS (SELECT txid_current()) SELECT * FROM x", "function txid_current"},
		{"SELECT 'customers'::regclass", "cast to regclass"},
		{"SELECT email::xml FROM customers", "cast to xml"},
		{"SELECT CAST(id AS app.secret_type) FROM customers", "cast to app.secret_type"},
		{"SELECT id FROM customers WHERE email OPERATOR(app.===) 'x'", "operator"},
	}
	for _, c := range cases {
		st, err := p.Parse(c.sql)
		if err != nil {
			if c.refused != "" && errors.Is(err, sqlparse.ErrUnsupported) && strings.Contains(err.Error(), c.refused) {
				continue
			}
			t.Errorf("Parse(%q): %v", c.sql, err)
			continue
		}
		if got := st.Disallowed(nil); got != c.refused {
			t.Errorf("%q: disallowed %q, want %q (functions %v, casts %v)", c.sql, got, c.refused, st.Functions, st.Casts)
		}
	}
	st, err := p.Parse("INSERT INTO orders (id, note) VALUES (1, app.refresh_totals())")
	if err != nil || st.Disallowed([]string{"app.refresh_totals"}) != "" {
		t.Errorf("a function the target lists: %v %v", st, err)
	}
	// A quoted name with a dot is another function (in the search path), not the listed one;
	// nor is a quoted schema with a dot, or an empty quoted name.
	for sql, name := range map[string]string{
		`SELECT "app.refresh_totals"() FROM orders`:        `"app.refresh_totals"`,
		`SELECT "app.x".refresh_totals() FROM orders`:      `"app.x".refresh_totals`,
		`SELECT app."refresh_totals"() FROM orders`:        "app.refresh_totals",
		`SELECT "."() FROM orders`:                         `"."`,
		`SELECT CAST(id AS "app.secret_type") FROM orders`: `"app.secret_type"`,
	} {
		st, err := p.Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		named := append(slices.Clone(st.Functions), st.Casts...)
		if !slices.Contains(named, name) {
			t.Errorf("%s: named %v, want %s", sql, named, name)
		}
		if name != "app.refresh_totals" && st.Disallowed([]string{"app.refresh_totals", "app.secret_type"}) == "" {
			t.Errorf("%s: allowed as the listed function", sql)
		}
	}
}
