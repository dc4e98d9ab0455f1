package policy

import "github.com/cedar-policy/cedar-go"

// SQL is what policy sees of a sql action's parsed statement, as context.sql:
//
//	context.sql.type     String     "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "DROP"
//	context.sql.tables   Set<String> "schema.table" of every table the statement touches
//	context.sql.columns  Set<String> column names it references ("*" for a star)
//	context.sql.functions Set<String> functions it calls ("lower", "app.refresh_totals")
//	context.sql.classes  Set<String> classes of the target's classified columns it reads
//	                                 ("email", "payment_card"): in its result, through any
//	                                 function, cast, aggregate or JSON key (what masking will
//	                                 hide), and in a filter, join, order, grouping or
//	                                 assignment, which tell values apart as surely
//
// For actions of other kinds the record is present with type "" and empty sets, so a policy
// can test it without `has`.
type SQL struct {
	Type    string
	Tables  []string
	Columns []string
	// Functions are the functions it calls (context.sql.functions), each allowed on the target.
	Functions []string
	// Classes are the classes of classified columns it reads anywhere (context.sql.classes).
	Classes []string
}

var emptySQL = cedar.NewRecord(cedar.RecordMap{"type": cedar.String(""), "tables": cedar.NewSet(), "columns": cedar.NewSet(), "functions": cedar.NewSet(), "classes": cedar.NewSet()})

func sqlRecord(s *SQL) cedar.Value {
	if s == nil {
		return emptySQL
	}
	return cedar.NewRecord(cedar.RecordMap{
		"type":      cedar.String(s.Type),
		"tables":    stringSet(s.Tables),
		"columns":   stringSet(s.Columns),
		"functions": stringSet(s.Functions),
		"classes":   stringSet(s.Classes),
	})
}

func stringSet(in []string) cedar.Set {
	vals := make([]cedar.Value, len(in))
	for i, v := range in {
		vals[i] = cedar.String(v)
	}
	return cedar.NewSet(vals...)
}
