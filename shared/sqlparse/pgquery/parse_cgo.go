//go:build cgo

package pgquery

import (
	pg "github.com/pganalyze/pg_query_go/v6"
)

// Available reports whether this build links the parser.
const Available = true

func parse(sql string) (*pg.ParseResult, error) { return pg.Parse(sql) }
