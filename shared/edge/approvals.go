package edge

import (
	"context"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
)

// Routes of human operators: approvals.
const (
	RouteListApprovals   = "GET /v1/approvals"
	RouteApproveApproval = "POST /v1/approvals/{id}/approve"
	RouteDenyApproval    = "POST /v1/approvals/{id}/deny"
)

// ApprovalRoutes are served by the approval function.
var ApprovalRoutes = []string{RouteListApprovals, RouteApproveApproval, RouteDenyApproval}

// approvalRoutes are the handlers of ApprovalRoutes.
func approvalRoutes(a *authority.Authority) map[string]route {
	decide := func(approve bool) route {
		return func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.DecideRequest
			if strings.TrimSpace(req.Body) != "" {
				if err := decode(req, &in); err != nil {
					return 0, nil, err
				}
			}
			out, err := a.DecideApproval(ctx, c, req.PathParameters["id"], approve, in)
			return http.StatusOK, out, err
		}
	}
	return map[string]route{
		RouteListApprovals: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			out, err := a.ListApprovals(ctx, c, req.QueryStringParameters["status"])
			return http.StatusOK, out, err
		},
		RouteApproveApproval: decide(true),
		RouteDenyApproval:    decide(false),
	}
}
