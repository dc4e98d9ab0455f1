// Command killswitch is the Lambda function behind Mandate's kill switch routes
// (edge.KillRoutes): humans stop and lift by scope, with revocation of minted credentials.
package main

import (
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
)

func main() { config.ServeAPI(edge.KillRoutes) }
