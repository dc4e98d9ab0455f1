// Command session is the Lambda function behind Mandate's session routes (edge.SessionRoutes):
// open, read and close sessions.
package main

import (
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
)

func main() { config.ServeAPI(edge.SessionRoutes) }
