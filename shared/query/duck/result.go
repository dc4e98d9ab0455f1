package duck

// Result is a query's columns and rows, each value as database/sql scanned it.
type Result struct {
	Columns []string
	Rows    [][]any
}
