// Command audit is the Lambda function behind Mandate's audit route (edge.AuditRoutes): a
// session's chain, verified.
package main

import (
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
)

func main() { config.ServeAPI(edge.AuditRoutes) }
