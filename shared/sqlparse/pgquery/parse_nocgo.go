//go:build !cgo

package pgquery

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/mandate-dev/mandate/shared/sqlparse"
)

// Available reports whether this build links the parser.
const Available = false

func parse(string) (*pg.ParseResult, error) { return nil, sqlparse.ErrNoParser }
