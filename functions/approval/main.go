// Command approval is the Lambda function behind Mandate's approval routes
// (edge.ApprovalRoutes): humans list, approve and deny pending approvals.
package main

import (
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
)

func main() { config.ServeAPI(edge.ApprovalRoutes) }
