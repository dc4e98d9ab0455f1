package pgquery_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

var classified = map[string]string{
	"public.customers.email": "email",
	"public.customers.card":  "payment_card",
}

// TestLineage: every output column that reads a classified column, through any function,
// cast, aggregate, operator or key position, is classified; those that do not are not.
func TestLineage(t *testing.T) {
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	cases := []struct {
		sql  string
		want map[string]string // result column -> class
	}{
		{"SELECT json_object_agg(email, id) FROM customers", map[string]string{"json_object_agg": "email"}},
		{"SELECT convert_to(card, 'UTF8') AS b FROM customers", map[string]string{"b": "payment_card"}},
		{"SELECT email::xml FROM customers", map[string]string{"email": "email"}},
		{"SELECT lpad(card, 30, 'x') AS padded, id FROM customers", map[string]string{"padded": "payment_card", "id": ""}},
		{"SELECT c.id, upper(c.email) AS e FROM customers c", map[string]string{"id": "", "e": "email"}},
		{"SELECT jsonb_build_object('k', c.card)->>'k' AS k FROM public.customers c", map[string]string{"k": "payment_card"}},
		{"SELECT CASE WHEN id > 1 THEN email ELSE 'none' END AS x FROM customers", map[string]string{"x": "email"}},
		{"SELECT n.body, c.tier FROM notes n JOIN customers c ON c.id = n.customer_id", map[string]string{"body": "", "tier": ""}},
		{"SELECT row_to_json(c.*) AS r FROM customers c", map[string]string{"r": "email"}},
		{"SELECT c FROM customers c", map[string]string{"c": "email"}},
		{"SELECT to_jsonb(customers) AS j FROM customers", map[string]string{"j": "email"}},
		{"SELECT * FROM customers", map[string]string{"id": "", "email": "email", "card": "payment_card"}},
		{"SELECT c.* FROM customers c", map[string]string{"tier": "", "email": "email"}},
		// Not followed: subqueries, WITH queries, set operations read the whole table.
		{"SELECT x FROM (SELECT email AS x FROM customers) s", map[string]string{"x": "email"}},
		{"WITH e AS (SELECT card AS x FROM customers) SELECT x FROM e", map[string]string{"x": "email"}},
		{"SELECT id FROM notes UNION SELECT card::int FROM customers", map[string]string{"id": "email"}},
		{"SELECT (SELECT email FROM customers LIMIT 1) AS y", map[string]string{"y": "email"}},
		{"SELECT * FROM (SELECT email AS x, id FROM customers) s", map[string]string{"x": "email", "id": "email"}},
		{"INSERT INTO customers (id, email) VALUES (1, 'a') RETURNING email, id", map[string]string{"email": "email", "id": ""}},
	}
	for _, tc := range cases {
		st, err := pgquery.New().Parse(tc.sql)
		if err != nil {
			t.Fatalf("%q: %v", tc.sql, err)
		}
		got := map[string]string{}
		for col := range tc.want {
			got[col] = sqlparse.Classify(st.Outputs, classified, col)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (outputs %+v): (-want +got)\n%s", tc.sql, st.Outputs, diff)
		}
	}
}

// TestClasses: the classes a statement's result can carry, which policy sees as
// context.sql.classes, include every class masking would apply, whatever the column names.
func TestClasses(t *testing.T) {
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	cases := map[string][]string{
		"SELECT lpad(card, 30, 'x') AS padded, id FROM customers":    {"payment_card"},
		"SELECT json_object_agg(email, card) FROM customers":         {"email", "payment_card"},
		"SELECT * FROM customers":                                    {"email", "payment_card"},
		"SELECT c.* FROM customers c":                                {"email", "payment_card"},
		"SELECT row_to_json(c.*) FROM customers c":                   {"email", "payment_card"},
		"SELECT x FROM (SELECT card AS x FROM customers) s":          {"email", "payment_card"},
		"SELECT (SELECT card FROM customers LIMIT 1) AS tier":        {"email", "payment_card"},
		"SELECT id, tier FROM customers":                             nil,
		"SELECT count(*) FROM customers":                             nil,
		"SELECT n.body FROM notes n JOIN customers c ON c.id = n.id": nil,
		"INSERT INTO customers (id) VALUES (1) RETURNING email":      {"email"},
		"UPDATE customers SET tier = 'gold' WHERE card = '4111'":     nil,
	}
	for sql, want := range cases {
		st, err := pgquery.New().Parse(sql)
		if err != nil {
			t.Fatalf("%q: %v", sql, err)
		}
		if got := sqlparse.Classes(st.Outputs, classified); !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
			t.Errorf("%q: classes %q, want %q (outputs %+v)", sql, got, want, st.Outputs)
		}
	}
	if got := sqlparse.Classes([]sqlparse.Output{{Name: "email", Sources: []string{"public.customers.email"}}}, nil); got != nil {
		t.Errorf("no classified columns: %q", got)
	}
}

// TestClassifyColumnsAsPostgreSQLNamesThem: each result column, under the name PostgreSQL 16
// gives it (psql, LIMIT 0), is masked by the class of what it reads, however the parser would
// have named it: a whole row cast to text, a field of a composite, a composite expanded, an
// expression PostgreSQL names "case" or "?column?", beside a star.
func TestClassifyColumnsAsPostgreSQLNamesThem(t *testing.T) {
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	cases := []struct {
		sql   string
		names []string // as PostgreSQL names the result's columns
		want  []string // class per column; "?" for any (over-masking allowed), "+" for any but ""
	}{
		{"SELECT (c).email FROM customers c", []string{"email"}, []string{"email"}},
		{"SELECT (c).card AS x, id FROM customers c", []string{"x", "id"}, []string{"+", ""}}, // (c) reads the whole row
		{"SELECT (customers.*)::text FROM customers", []string{"customers"}, []string{"email"}},
		{"SELECT c.*::text FROM customers c", []string{"c"}, []string{"email"}},
		{"SELECT (c).* FROM customers c", []string{"id", "email", "card", "tier"}, []string{"", "email", "payment_card", ""}},
		{"SELECT CASE WHEN true THEN card END FROM customers", []string{"case"}, []string{"payment_card"}},
		{"SELECT ARRAY[card] FROM customers", []string{"array"}, []string{"payment_card"}},
		{"SELECT COALESCE(card, 'x'), id FROM customers", []string{"coalesce", "id"}, []string{"payment_card", ""}},
		{"SELECT card || '' FROM customers", []string{"?column?"}, []string{"payment_card"}},
		{"SELECT id, email IS NULL, card || '' FROM customers", []string{"id", "?column?", "?column?"}, []string{"", "email", "payment_card"}},
		{"SELECT *, card || '' FROM customers", []string{"id", "email", "card", "tier", "?column?"}, []string{"?", "email", "payment_card", "?", "payment_card"}},
		{"SELECT *, GREATEST(card, '') FROM customers", []string{"id", "email", "card", "tier", "greatest"}, []string{"?", "email", "payment_card", "?", "payment_card"}},
		{"SELECT id, *, (c).card FROM customers c", []string{"id", "id", "email", "card", "tier", "card"}, []string{"", "?", "email", "+", "?", "+"}},
		{"SELECT *, NULLIF(card, '') FROM customers", []string{"id", "email", "card", "tier", "nullif"}, []string{"?", "email", "payment_card", "?", "payment_card"}},
	}
	for _, tc := range cases {
		st, err := pgquery.New().Parse(tc.sql)
		if err != nil {
			t.Fatalf("%q: %v", tc.sql, err)
		}
		got := sqlparse.ClassifyColumns(st.Outputs, classified, tc.names)
		if len(got) != len(tc.want) {
			t.Fatalf("%q: %d classes for %d columns", tc.sql, len(got), len(tc.want))
		}
		for i, w := range tc.want {
			if w == "+" && got[i] == "" || w != "?" && w != "+" && got[i] != w {
				t.Errorf("%q: column %d (%s) class %q, want %q (outputs %+v)", tc.sql, i, tc.names[i], got[i], w, st.Outputs)
			}
		}
	}
	// Outputs that cannot be matched to the columns: every column gets a class.
	if got := sqlparse.ClassifyColumns([]sqlparse.Output{{Name: "a", Sources: []string{"public.customers.card"}}}, classified, []string{"x", "y"}); got[0] == "" || got[1] == "" {
		t.Errorf("unmatched outputs: %q", got)
	}
}

// TestClassesRead: a statement reads a classified column wherever it names it, not only in
// its result: a filter, a join, an order, a grouping or an assignment over card numbers
// tells card numbers apart (`WHERE card LIKE '4111%'`, one digit a query), so policy sees
// those classes too. A reference that does not name the column (the whole row, a field of
// it, a NATURAL join, the table's columns renamed) reads every column of the table.
func TestClassesRead(t *testing.T) {
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	card := []string{"payment_card"}
	all := []string{"email", "payment_card"}
	cases := map[string][]string{
		"SELECT id FROM customers WHERE card LIKE '4111%'":                                    card,
		"SELECT count(*) FROM customers WHERE substr(card, 1, 1) = '4'":                       card,
		"SELECT id FROM customers ORDER BY card":                                              card,
		"SELECT tier FROM customers GROUP BY tier, card":                                      card,
		"SELECT id FROM customers c WHERE c.card > '4'":                                       card,
		"SELECT id FROM customers WHERE public.customers.card > '4'":                          card,
		`SELECT id FROM customers WHERE "card" > '4'`:                                         card,
		"SELECT n.id FROM notes n JOIN customers c ON c.card = n.body":                        card,
		"SELECT n.id FROM notes n JOIN customers c USING (card)":                              card,
		"SELECT id FROM notes WHERE EXISTS (SELECT 1 FROM customers WHERE card > '4')":        card,
		"SELECT id FROM notes WHERE body IN (SELECT card FROM customers)":                     card,
		"UPDATE customers SET tier = 'x' WHERE card LIKE '4%' RETURNING id":                   card,
		"DELETE FROM customers WHERE card LIKE '4%'":                                          card,
		"UPDATE customers SET card = NULL WHERE id = 1":                                       card,
		"SELECT id FROM customers WHERE 1 / (CASE WHEN card LIKE '4%' THEN 0 ELSE 1 END) = 1": card,
		"SELECT id FROM customers c WHERE (c).card > '4'":                                     all,
		"SELECT id FROM customers c WHERE c::text LIKE '%4111%'":                              all,
		"SELECT id FROM customers WHERE customers::text LIKE '%4111%'":                        all,
		"SELECT id FROM customers c WHERE c.*::text LIKE '%4111%'":                            all,
		"SELECT id FROM customers WHERE to_jsonb(customers) ->> 'card' LIKE '4%'":             all,
		"SELECT i FROM customers AS c(i, e, k) WHERE k LIKE '4%'":                             all,
		"SELECT c.id FROM customers c NATURAL JOIN notes n":                                   all,
		"SELECT id FROM (SELECT * FROM customers) s WHERE card > '4'":                         all,
		"WITH s AS (SELECT id, card AS k FROM customers) SELECT id FROM s WHERE k > '4'":      all, // its result reads s, which reads the table
		// Nothing classified is named.
		"SELECT id, tier FROM customers WHERE tier = 'gold' ORDER BY id": nil,
		"SELECT count(*) FROM customers":                                 nil,
		"SELECT id FROM notes WHERE body LIKE 'card%'":                   nil,
		"SELECT n.id FROM notes n WHERE n.card > '4'":                    nil, // not a column of customers: PostgreSQL refuses it
		"SELECT c.id FROM customers c JOIN notes n ON n.id = c.id":       nil,
	}
	for sql, want := range cases {
		st, err := pgquery.New().Parse(sql)
		if err != nil {
			t.Fatalf("%q: %v", sql, err)
		}
		if got := sqlparse.ClassesRead(st, classified); !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
			t.Errorf("%q: classes read %q, want %q (columns %q)", sql, got, want, st.Columns)
		}
	}
}

// TestStoresClassified: a write that stores values read from a classified column in a column
// not classified the same launders them: lineage masks the class where it is read, never in
// the column it was copied to (INSERT INTO notes SELECT translate(card, ...) FROM customers,
// then SELECT body FROM notes; or at once with RETURNING). Such writes are refused, whatever
// the value goes through; writes that keep a class in its own columns, or store nothing read
// from one, are not.
func TestStoresClassified(t *testing.T) {
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	refused := []string{
		"INSERT INTO notes (body) SELECT card FROM customers",
		"INSERT INTO notes (body) SELECT translate(card, '0123456789', 'abcdefghij') FROM customers RETURNING body",
		"INSERT INTO notes (id, body) SELECT id, reverse(card) FROM customers c",
		"INSERT INTO notes (body) SELECT c.card || '' FROM customers c JOIN notes n ON n.id = c.id",
		"INSERT INTO notes (body) SELECT x FROM (SELECT card AS x FROM customers) s",
		"INSERT INTO notes (body) SELECT (c)::text FROM customers c",
		"INSERT INTO notes (body) SELECT * FROM customers",
		"INSERT INTO notes SELECT id, card FROM customers",
		"INSERT INTO notes (body) VALUES ((SELECT card FROM customers LIMIT 1))",
		"INSERT INTO notes (body) SELECT card FROM customers UNION SELECT 'x'",
		"WITH s AS (SELECT card FROM customers) INSERT INTO notes (body) SELECT card FROM s",
		"UPDATE customers SET tier = card WHERE id = 42 RETURNING tier",
		"UPDATE customers SET tier = upper(email)",
		"UPDATE notes SET body = (SELECT card FROM customers WHERE id = 42) WHERE id = 1",
		"UPDATE notes n SET body = c.card FROM customers c WHERE c.id = n.id",
		"UPDATE customers SET (tier, email) = (SELECT card, email FROM customers WHERE id = 1)",
		"UPDATE customers SET email = card",
		"INSERT INTO customers (id, email) SELECT id + 1000, card FROM customers",
		"INSERT INTO notes (id, body) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET body = (SELECT card FROM customers LIMIT 1)",
	}
	allowed := []string{
		"INSERT INTO notes (body) VALUES ('x')",
		"INSERT INTO notes (id, body) SELECT id, tier FROM customers",
		"INSERT INTO customers (id, email, card) VALUES (7, 'a@example.com', '4111111111111111')",
		"INSERT INTO customers (id, email) SELECT id + 1000, lower(email) FROM customers",
		"UPDATE customers SET email = lower(email) WHERE id = 42",
		"UPDATE customers SET tier = 'gold' WHERE card LIKE '4%'",
		"UPDATE notes n SET body = c.tier FROM customers c WHERE c.id = n.id AND c.email = 'a@example.com'",
		"DELETE FROM customers WHERE email = 'ada@example.com'",
		"INSERT INTO notes (id, body) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET body = excluded.body",
		"SELECT card FROM customers",
	}
	for _, sql := range refused {
		st, err := pgquery.New().Parse(sql)
		if err != nil {
			t.Fatalf("%q: %v", sql, err)
		}
		if why := sqlparse.StoresClassified(st, classified); why == "" {
			t.Errorf("%q: not refused (stored %+v)", sql, st.Stored)
		}
	}
	for _, sql := range allowed {
		st, err := pgquery.New().Parse(sql)
		if err != nil {
			t.Fatalf("%q: %v", sql, err)
		}
		if why := sqlparse.StoresClassified(st, classified); why != "" {
			t.Errorf("%q: refused: %s (stored %+v)", sql, why, st.Stored)
		}
	}
}

// TestTokensStandOnlyAgainstClassifiedColumns: a masking token in a statement is replaced by
// the value it stands for before the statement reaches the database, so a statement that
// computes with it reads the value out in another shape (reverse('tok_...'), translate,
// substr by substr, md5 to look up offline, 'tok_...' LIKE '4%' a digit a query). A token may
// stand only where it is compared with a classified column (=, <>, IN) or stored in one.
func TestTokensStandOnlyAgainstClassifiedColumns(t *testing.T) {
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	const tok = "tok_card_abcdefghijklmnopqrst"
	refused := []string{
		"SELECT reverse('" + tok + "')",
		"SELECT translate('" + tok + "', '0123456789', 'abcdefghij') AS x",
		"SELECT substr('" + tok + "', 1, 8), substr('" + tok + "', 9, 8)",
		"SELECT md5('" + tok + "')",
		"SELECT 1 WHERE '" + tok + "' LIKE '4%'",
		"SELECT id FROM customers WHERE card LIKE '" + tok + "'",
		"SELECT id FROM customers WHERE card > '" + tok + "'",
		"SELECT id FROM customers WHERE card = '" + tok + "'::text",
		"SELECT id FROM customers WHERE lower(card) = '" + tok + "'",
		"SELECT id FROM customers WHERE tier = '" + tok + "'",
		"SELECT n.id FROM notes n WHERE n.body = '" + tok + "'",
		"SELECT c.id FROM customers c, notes n WHERE card = '" + tok + "'",
		"SELECT id FROM customers WHERE card = '" + tok + "' OR length('" + tok + "') > 3",
		"INSERT INTO notes (body) VALUES ('" + tok + "')",
		"INSERT INTO customers VALUES (1, 'a@example.com', '" + tok + "')",
		"INSERT INTO customers (id, card) SELECT 1, '" + tok + "'",
		"UPDATE customers SET tier = '" + tok + "' WHERE id = 1",
		"UPDATE customers SET card = '" + tok + "' || '' WHERE id = 1",
		"SELECT '" + tok + "' AS card FROM customers",
		"SELECT id FROM customers WHERE card = (SELECT '" + tok + "')",
		"SELECT id FROM customers c JOIN notes c ON true WHERE c.card = '" + tok + "'",
		// Compared with what is not the table's column, though named like it.
		"WITH x AS (SELECT reverse(card) AS card FROM customers) SELECT 1 FROM x WHERE card = '" + tok + "'",
		"WITH x AS (SELECT reverse(card) AS card FROM customers) SELECT 1 FROM x WHERE x.card = '" + tok + "'",
		"SELECT 1 FROM customers c WHERE EXISTS (SELECT 1 FROM (SELECT v AS card FROM (VALUES ('4111')) g(v)) c WHERE c.card = '" + tok + "')",
		"SELECT 1 FROM (SELECT v AS card FROM (VALUES ('4111')) g(v)) s, customers WHERE card = '" + tok + "'",
		"SELECT 1 FROM (customers c JOIN notes n ON true) j WHERE j.card = '" + tok + "'",
	}
	allowed := []string{
		"SELECT id FROM customers WHERE card = '" + tok + "'",
		"SELECT id FROM customers WHERE '" + tok + "' = card",
		"SELECT id FROM customers c WHERE c.card <> '" + tok + "'",
		"SELECT id FROM public.customers WHERE public.customers.card = '" + tok + "'",
		"SELECT id FROM customers WHERE card IN ('" + tok + "', '4111')",
		"SELECT c.id FROM customers c JOIN notes n ON n.id = c.id WHERE c.card = '" + tok + "'",
		"INSERT INTO customers (id, card) VALUES (1, '" + tok + "')",
		"UPDATE customers SET card = '" + tok + "' WHERE email = 'x'",
		"DELETE FROM customers WHERE card = '" + tok + "'",
		"SELECT id FROM customers WHERE card = 'tok_card_other' OR tier = 'gold'",
	}
	for _, sql := range refused {
		st, err := pgquery.New().Parse(sql)
		if err != nil {
			t.Fatalf("%q: %v", sql, err)
		}
		if why := st.Unplaced([]string{tok}, classified); why == "" {
			t.Errorf("%q: not refused (literals %+v)", sql, st.Literals)
		}
	}
	for _, sql := range allowed {
		st, err := pgquery.New().Parse(sql)
		if err != nil {
			t.Fatalf("%q: %v", sql, err)
		}
		if why := st.Unplaced([]string{tok}, classified); why != "" {
			t.Errorf("%q: refused: %s (literals %+v)", sql, why, st.Literals)
		}
	}
}
