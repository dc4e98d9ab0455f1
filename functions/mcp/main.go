// Command mcp is the Lambda function behind Mandate's MCP front door (edge.MCPRoutes, POST
// /mcp): each tool call is one action through the same pipeline as the action function's
// route, so it links the PostgreSQL parser as that function does (sql tools are parsed by
// PostgreSQL's own parser; built without cgo it refuses them as unsupported). The gate is
// stateless (mcpgate.NewStateless): any instance serves any call of any MCP session.
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
	config.ServeAPI(edge.MCPRoutes, opts...)
}
