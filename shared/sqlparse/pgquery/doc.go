// Package pgquery is the PostgreSQL parser of Mandate: libpg_query, PostgreSQL's own parser,
// through github.com/pganalyze/pg_query_go (cgo). It turns one statement into a
// sqlparse.Statement by walking the real parse tree, never by matching text.
//
// Build: the parse tree types are pure Go; only the call into libpg_query needs cgo. Built
// with CGO_ENABLED=0 this package still compiles, and its Parser refuses every statement
// with sqlparse.ErrNoParser, so a function that does not link the parser fails closed on SQL
// actions instead of failing to build.
//
// Contract: see package sqlparse. In addition, every table reference must be a plain
// [schema.]table inside this database (no catalog-qualified names), WITH queries may only
// read, SELECT INTO and row-locking clauses are refused, and a name that refers to a WITH
// query in scope is not a table.
package pgquery
