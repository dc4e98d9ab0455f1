package broker

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/sqlparse"
)

// The executor commits a write only if the tables it changed are these: every table the
// statement needs more than SELECT on, whichever way the login was minted.
func TestWrittenTables(t *testing.T) {
	st := sqlparse.Statement{Type: sqlparse.TypeUpdate, Tables: []sqlparse.Table{
		{Schema: "public", Name: "customers", Privileges: []string{sqlparse.PrivSelect, sqlparse.PrivUpdate}},
		{Schema: "public", Name: "orders", Privileges: []string{sqlparse.PrivSelect}},
		{Schema: "crm", Name: "notes", Privileges: []string{sqlparse.PrivInsert}},
	}}
	if diff := cmp.Diff([]string{"public.customers", "crm.notes"}, writtenTables(st)); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
	if got := writtenTables(sqlparse.Statement{Type: sqlparse.TypeSelect, Tables: st.Tables[1:2]}); got != nil {
		t.Fatalf("a SELECT writes %v", got)
	}
}

// A standing role's name depends on database, table and privilege only, and fits
// PostgreSQL's 63-byte identifiers.
func TestStandingRoleName(t *testing.T) {
	tb := sqlparse.Table{Schema: "public", Name: "customers"}
	a, b := standingRole("crm", tb, sqlparse.PrivSelect), standingRole("crm", tb, sqlparse.PrivSelect)
	if a != b || a == standingRole("crm2", tb, sqlparse.PrivSelect) || a == standingRole("crm", tb, sqlparse.PrivUpdate) || len(a) > 63 {
		t.Fatalf("%s %s", a, b)
	}
}
