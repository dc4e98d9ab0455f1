// Package sqlparse describes one SQL statement an agent asks to run: its type, the tables it
// touches with the privileges each needs, and the columns it names. Policy sees the type and
// the tables (Cedar context.sql), the broker grants exactly the privileges, and the executor
// runs the statement.
//
// This package is pure Go and holds no parser: the PostgreSQL parser (libpg_query through
// cgo) lives in package pgquery, so only a binary that links it needs cgo. A binary built
// with CGO_ENABLED=0 gets a Parser that refuses every statement (ErrNoParser), and SQL
// actions fail closed.
//
// Contract: a Parser MUST return exactly one Statement for exactly one statement, MUST
// refuse several statements (ErrMultiple), statement types it does not model
// (ErrUnsupported) and text that is not SQL (ErrSyntax), and MUST list every table the
// statement reads or writes; a table it cannot name makes the whole statement unsupported.
package sqlparse
