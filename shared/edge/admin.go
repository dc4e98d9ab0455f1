package edge

import (
	"context"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
)

// Routes of administrators: the policy store and the target registry.
const (
	RoutePutPolicies = "PUT /v1/policies"
	RouteGetPolicies = "GET /v1/policies"
	RoutePutIntents  = "PUT /v1/intents"
	RouteGetIntents  = "GET /v1/intents"
	// RoutePutPeople and RouteGetPeople manage the directory of people (authority.PeopleDocument).
	RoutePutPeople = "PUT /v1/people"
	RouteGetPeople = "GET /v1/people"
	// RoutePutTargets and RouteGetTargets manage the target registry.
	RoutePutTargets = "PUT /v1/targets"
	RouteGetTargets = "GET /v1/targets"
	// RoutePutEnforcement switches enforcement on, or off (two administrators).
	RoutePutEnforcement = "PUT /v1/policies/enforcement"
	RouteGetEnforcement = "GET /v1/policies/enforcement"
)

// AdminRoutes are served by the admin function.
var AdminRoutes = []string{RoutePutPolicies, RouteGetPolicies, RoutePutIntents, RouteGetIntents, RoutePutEnforcement, RouteGetEnforcement,
	RoutePutPeople, RouteGetPeople, RoutePutTargets, RouteGetTargets}

// adminRoutes are the handlers of AdminRoutes. GET takes ?version=N (default: the latest)
// and, for policies, ?mode=enforce|log-only.
func adminRoutes(a *authority.Authority) map[string]route {
	return map[string]route{
		RoutePutPolicies: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.PolicyUpload
			if err := decode(req, &in); err != nil {
				return 0, nil, err
			}
			out, err := a.PutPolicies(ctx, c, in)
			return http.StatusCreated, out, err
		},
		RouteGetPolicies: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			v, err := versionParam(req)
			if err != nil {
				return 0, nil, err
			}
			out, err := a.GetPolicies(ctx, c, req.QueryStringParameters["mode"], v)
			return http.StatusOK, out, err
		},
		RoutePutIntents: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.IntentUpload
			if err := decode(req, &in); err != nil {
				return 0, nil, err
			}
			out, err := a.PutIntents(ctx, c, in)
			return http.StatusCreated, out, err
		},
		RoutePutEnforcement: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.EnforcementRequest
			if err := decode(req, &in); err != nil {
				return 0, nil, err
			}
			out, err := a.SetEnforcement(ctx, c, in)
			if out.Status == "pending" {
				return http.StatusAccepted, out, err
			}
			return http.StatusOK, out, err
		},
		RouteGetEnforcement: func(ctx context.Context, c authority.Caller, _ events.APIGatewayV2HTTPRequest) (int, any, error) {
			out, err := a.GetEnforcement(ctx, c)
			return http.StatusOK, out, err
		},
		RoutePutPeople: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.PeopleUpload
			if err := decode(req, &in); err != nil {
				return 0, nil, err
			}
			out, err := a.PutPeople(ctx, c, in)
			return http.StatusCreated, out, err
		},
		RouteGetPeople: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			v, err := versionParam(req)
			if err != nil {
				return 0, nil, err
			}
			out, err := a.GetPeople(ctx, c, v)
			return http.StatusOK, out, err
		},
		RoutePutTargets: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.TargetsUpload
			if err := decode(req, &in); err != nil {
				return 0, nil, err
			}
			out, err := a.PutTargets(ctx, c, in)
			return http.StatusCreated, out, err
		},
		RouteGetTargets: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			v, err := versionParam(req)
			if err != nil {
				return 0, nil, err
			}
			out, err := a.GetTargets(ctx, c, v)
			return http.StatusOK, out, err
		},
		RouteGetIntents: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			v, err := versionParam(req)
			if err != nil {
				return 0, nil, err
			}
			out, err := a.GetIntents(ctx, c, v)
			return http.StatusOK, out, err
		},
	}
}

func versionParam(req events.APIGatewayV2HTTPRequest) (int64, error) {
	s := req.QueryStringParameters["version"]
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, &requestError{status: 400, typ: api.ProblemMalformed, detail: "version must be a positive number"}
	}
	return v, nil
}
