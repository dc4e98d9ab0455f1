package edge

import (
	"context"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
)

// Routes of human operators: kill switches.
const (
	RouteKill      = "POST /v1/kill"
	RouteLiftKill  = "DELETE /v1/kill/{scope}/{id+}" // greedy: an ARN's slashes need no %2F
	RouteListKills = "GET /v1/kill"
)

// KillRoutes are served by the killswitch function.
var KillRoutes = []string{RouteKill, RouteLiftKill, RouteListKills}

// killRoutes are the handlers of KillRoutes.
func killRoutes(a *authority.Authority) map[string]route {
	return map[string]route{
		RouteKill: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.KillRequest
			if err := decode(req, &in); err != nil {
				return 0, nil, err
			}
			out, err := a.Kill(ctx, c, in)
			return http.StatusCreated, out, err
		},
		RouteLiftKill: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.LiftRequest
			if strings.TrimSpace(req.Body) != "" {
				if err := decode(req, &in); err != nil {
					return 0, nil, err
				}
			}
			out, err := a.LiftKill(ctx, c, req.PathParameters["scope"], req.PathParameters["id"], in)
			if out.Status == api.LiftPending {
				return http.StatusAccepted, out, err
			}
			return http.StatusOK, out, err
		},
		RouteListKills: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			out, err := a.ListKills(ctx, c)
			return http.StatusOK, out, err
		},
	}
}
