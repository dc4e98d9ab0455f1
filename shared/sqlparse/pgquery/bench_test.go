package pgquery_test

import (
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

func BenchmarkParse(b *testing.B) {
	if !pgquery.Available {
		b.Skip("built without cgo")
	}
	p := pgquery.New()
	const sql = "SELECT c.email, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = $1 ORDER BY o.created_at DESC LIMIT 10"
	for b.Loop() {
		if _, err := p.Parse(sql); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLibpgQueryAlone(b *testing.B) {
	if !pgquery.Available {
		b.Skip("built without cgo")
	}
	const sql = "SELECT c.email, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = $1 ORDER BY o.created_at DESC LIMIT 10"
	for b.Loop() {
		if _, err := pg.Parse(sql); err != nil {
			b.Fatal(err)
		}
	}
}
