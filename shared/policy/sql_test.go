package policy

import (
	"testing"
	"time"
)

func TestSQLContext(t *testing.T) {
	t.Parallel()
	set, err := Compile("sql", []byte(`
@id("permit-select-customers")
permit (principal, action == Action::"sql:SELECT", resource)
when { context.sql.type == "SELECT" && context.sql.tables.containsAll(["public.customers"]) && !context.sql.columns.contains("card") };
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		sql  *SQL
		want string
	}{
		{"allowed", &SQL{Type: "SELECT", Tables: []string{"public.customers"}, Columns: []string{"email"}}, "allow"},
		{"forbidden column", &SQL{Type: "SELECT", Tables: []string{"public.customers"}, Columns: []string{"card"}}, "deny"},
		{"other table", &SQL{Type: "SELECT", Tables: []string{"public.orders"}}, "deny"},
		{"no statement", nil, "deny"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := set.Evaluate(Request{Agent: "a", Action: "sql:SELECT", Target: "crm", TargetKind: "sql", Resource: "public.customers", Now: now, SQL: tc.sql})
			if d.Verdict != tc.want || len(d.Errors) > 0 {
				t.Fatalf("verdict %s (%v), want %s", d.Verdict, d.Errors, tc.want)
			}
		})
	}
}
