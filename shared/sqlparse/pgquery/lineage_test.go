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
