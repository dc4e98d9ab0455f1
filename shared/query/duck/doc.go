// Package duck runs the archive's SQL locally with DuckDB (cgo): it defines the view
// query.Table over DATA/archive/audit/dt=*/*.json.gz with the columns of package query, so the
// named queries and any SELECT an operator writes run exactly as Athena runs them over the
// bucket.
//
// Contract: only cmd/mandate imports this package. Functions and anything they import MUST
// NOT, since it needs cgo and a 70 MB library.
package duck
