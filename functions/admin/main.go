// Command admin is the Lambda function behind Mandate's administration routes
// (edge.AdminRoutes): versioned policy sets, intent catalogs, the directory of people and the
// target registry, validated before they are stored.
package main

import (
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
)

func main() { config.ServeAPI(edge.AdminRoutes) }
