// Package query is the one definition of how the audit archive is queried: the table's
// columns (the record schema of shared/audit, see shared/audit/SCHEMA.md), the Glue table
// that Athena reads the S3 archive through (JSON SerDe, partition projection on dt, no
// crawler), and the named queries that ship with the stack. infra/ builds the Glue table and
// the Athena named queries from it; `mandate query` runs the same SQL locally with DuckDB
// (package duck) over DATA/archive, which has the bucket's layout.
//
// Contract: named queries MUST stay in the SQL both engines accept (Trino for Athena, DuckDB
// locally): SELECT with struct field access (identity.operator), GROUP BY, ORDER BY, NOT
// EXISTS, LIKE, cardinality() on maps, and ? parameters. Every named query is run locally by
// the tests of package duck. This package imports no cgo and no AWS SDK, so infra/ and the
// functions can use it.
package query
