// Command action is the Lambda function behind Mandate's action routes (edge.ActionRoutes).
// It is the one function that links the PostgreSQL parser, and only when built with cgo
// (`make build` cross-compiles it with gcc-aarch64-linux-gnu); built without cgo it refuses
// sql actions as unsupported.
package main

import (
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

func main() {
	var opts []config.Option
	if pgquery.Available {
		opts = append(opts, config.WithSQLParser(pgquery.New()))
	}
	config.ServeAPI(edge.ActionRoutes, opts...)
}
