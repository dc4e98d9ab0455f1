package edge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/mcpgate"
)

// Route keys, exactly as API Gateway v2 names routes (and as net/http.ServeMux patterns).
const (
	RouteOpenSession  = "POST /v1/sessions"
	RouteGetSession   = "GET /v1/sessions/{id}"
	RouteCloseSession = "DELETE /v1/sessions/{id}"
	RouteAct          = "POST /v1/sessions/{id}/actions"
	RouteAudit        = "GET /v1/sessions/{id}/audit"
)

// Route sets served by each function.
var (
	SessionRoutes = []string{RouteOpenSession, RouteGetSession, RouteCloseSession}
	ActionRoutes  = []string{RouteAct}
	AuditRoutes   = []string{RouteAudit}
	// AllRoutes is what `mandate local` serves.
	AllRoutes = []string{RouteOpenSession, RouteGetSession, RouteCloseSession, RouteAct, RouteAudit,
		RouteListApprovals, RouteApproveApproval, RouteDenyApproval,
		RoutePutPolicies, RouteGetPolicies, RoutePutIntents, RouteGetIntents, RoutePutEnforcement, RouteGetEnforcement, RoutePutPeople, RouteGetPeople,
		RoutePutTargets, RouteGetTargets,
		RouteKill, RouteLiftKill, RouteListKills}
)

type route func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error)

// Handler serves a set of routes.
type Handler struct {
	log    *slog.Logger
	routes map[string]route
	// trusts re-checks the issuer of a bearer token the JWT authorizer accepted (tokens.go).
	trusts func(iss string) bool
	// verifyAgent verifies a bearer token the function itself must check (mcp.go).
	verifyAgent func(ctx context.Context, raw string) (map[string]string, error)
}

// New returns a Handler for the given routes over a.
func New(a *authority.Authority, log *slog.Logger, routes []string) (*Handler, error) {
	all := map[string]route{
		RouteOpenSession: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.OpenSessionRequest
			if err := decode(req, &in); err != nil {
				return 0, nil, err
			}
			out, err := a.OpenSession(ctx, c, in)
			return http.StatusCreated, out, err
		},
		RouteGetSession: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			out, err := a.GetSession(ctx, c, req.PathParameters["id"])
			return http.StatusOK, out, err
		},
		RouteCloseSession: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			out, err := a.CloseSession(ctx, c, req.PathParameters["id"])
			return http.StatusOK, out, err
		},
		RouteAct: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			var in api.ActionRequest
			if err := decode(req, &in); err != nil {
				// Nothing is lost: the refusal is on record in the session's chain.
				var re *requestError
				if errors.As(err, &re) {
					re.record = a.RecordUnreadable(ctx, c, req.PathParameters["id"], slugOf(re.typ))
				}
				return 0, nil, err
			}
			out, err := a.Act(ctx, c, req.PathParameters["id"], in)
			if out.Verdict == api.VerdictApproval {
				return http.StatusAccepted, out, err
			}
			return http.StatusOK, out, err
		},
		RouteAudit: func(ctx context.Context, c authority.Caller, req events.APIGatewayV2HTTPRequest) (int, any, error) {
			out, err := a.Audit(ctx, c, req.PathParameters["id"])
			return http.StatusOK, out, err
		},
	}
	var gate http.Handler // only a function that serves /mcp builds the MCP gate
	if slices.Contains(routes, RouteMCP) {
		gate = mcpgate.NewStateless(a, log)
	}
	for _, more := range []map[string]route{approvalRoutes(a), adminRoutes(a), killRoutes(a), mcpRoutes(a, gate)} {
		for k, r := range more {
			all[k] = r
		}
	}
	h := &Handler{log: log, routes: map[string]route{}, trusts: a.TrustsAgentIssuer, verifyAgent: a.VerifyAgentToken}
	for _, k := range routes {
		r, ok := all[k]
		if !ok {
			return nil, fmt.Errorf("edge: unknown route %q", k)
		}
		h.routes[k] = r
	}
	return h, nil
}

// Handle serves one API Gateway v2 HTTP event. It never returns an error: every failure is a
// response, so API Gateway never turns one into its own 500.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, _ error) {
	rid := req.RequestContext.RequestID
	defer func() {
		if p := recover(); p != nil {
			h.log.ErrorContext(ctx, "panic in handler", "request_id", rid, "route", req.RouteKey, "panic", fmt.Sprint(p))
			resp = problem(api.Problem{Type: api.ProblemInternal, Title: "Internal error", Status: 500, RequestID: rid})
		}
	}()
	r, ok := h.routes[req.RouteKey]
	if !ok {
		return problem(api.Problem{Type: api.ProblemNotFound, Title: "No such route", Status: 404, RequestID: rid}), nil
	}
	c := callerOf(req)
	if req.RouteKey == RouteMCP && c.IAM == nil && c.JWT == nil { // mcp.go: no authorizer ran
		if resp, refused := h.mcpBearer(ctx, &c, req); refused {
			return resp, nil
		}
	}
	// Every record this request appends names where it came from.
	ctx = audit.WithClient(ctx, audit.Client{SourceIP: req.RequestContext.HTTP.SourceIP, UserAgent: req.RequestContext.HTTP.UserAgent})
	if p, refused := h.untrustedIssuer(c); refused { // tokens.go
		p.RequestID = rid
		return challenged(problem(p), c), nil
	}
	status, out, err := r(ctx, c, req)
	if err != nil {
		p := problemFor(err)
		p.RequestID = rid
		if p.Status >= 500 {
			h.log.ErrorContext(ctx, "request failed", "request_id", rid, "route", req.RouteKey, "status", p.Status, "error", err)
		} else {
			h.log.InfoContext(ctx, "request refused", "request_id", rid, "route", req.RouteKey, "status", p.Status, "type", p.Type)
		}
		return challenged(problem(p), c), nil
	}
	if raw, ok := out.(*passThrough); ok { // mcp.go: the MCP server's own answer
		return raw.response(rid), nil
	}
	body, err := json.Marshal(out)
	if err != nil {
		h.log.ErrorContext(ctx, "encode response", "request_id", rid, "error", err)
		return problem(api.Problem{Type: api.ProblemInternal, Title: "Internal error", Status: 500, RequestID: rid}), nil
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Request-Id": rid},
		Body:       string(body),
	}, nil
}

// callerOf reads the identity API Gateway's IAM authorizer verified.
func callerOf(req events.APIGatewayV2HTTPRequest) authority.Caller {
	c := authority.Caller{RequestID: req.RequestContext.RequestID, SourceIP: req.RequestContext.HTTP.SourceIP}
	if az := req.RequestContext.Authorizer; az != nil && az.IAM != nil {
		c.IAM = &identity.IAMContext{
			AccessKey: az.IAM.AccessKey, AccountID: az.IAM.AccountID, CallerID: az.IAM.CallerID,
			PrincipalOrgID: az.IAM.PrincipalOrgID, UserARN: az.IAM.UserARN, UserID: az.IAM.UserID,
		}
	}
	readCredentials(&c, req) // tokens.go: bearer claims, operator token, signature, idempotency key
	return c
}

// requestError is a malformed request, found before the authority is called.
type requestError struct {
	status int
	typ    string
	detail string
	record *api.RecordRef // where the refusal is recorded, if it is
}

// slugOf is the last part of a problem type, the reason a refusal is recorded with.
func slugOf(typ string) string { return strings.TrimPrefix(typ, "urn:mandate:problem:") }

func (e *requestError) Error() string { return e.detail }

// decode reads the body strictly into v.
func decode(req events.APIGatewayV2HTTPRequest, v any) error {
	raw := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if raw, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return &requestError{status: 400, typ: api.ProblemMalformed, detail: "the body is not valid base64"}
		}
	}
	if len(raw) > api.MaxBodyBytes {
		return &requestError{status: 413, typ: api.ProblemTooLarge, detail: fmt.Sprintf("the body is larger than %d bytes", api.MaxBodyBytes)}
	}
	// Strict JSON first: valid UTF-8, no object repeating a name (targets differ in which of
	// two they read), bounded nesting; numbers are then kept exactly as written.
	if err := action.CheckJSON(raw); err != nil {
		return &requestError{status: 400, typ: api.ProblemMalformed, detail: "the body is not acceptable JSON: " + strings.TrimPrefix(err.Error(), "non-canonical JSON: ")}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &requestError{status: 400, typ: api.ProblemMalformed, detail: "the body is not valid JSON for this route: " + jsonDetail(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &requestError{status: 400, typ: api.ProblemMalformed, detail: "the body holds more than one JSON value"}
	}
	return nil
}

// jsonDetail describes a decoding error without echoing the input.
func jsonDetail(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg // "json: unknown field \"x\"" and the like
}

func problem(p api.Problem) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(p)
	h := map[string]string{"Content-Type": api.ProblemContentType}
	if p.RequestID != "" {
		h["X-Request-Id"] = p.RequestID
	}
	if p.Status == http.StatusServiceUnavailable {
		h["Retry-After"] = "1"
	}
	if p.Status == http.StatusUnauthorized {
		h["WWW-Authenticate"] = `AWS4-HMAC-SHA256 realm="mandate"`
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: p.Status, Headers: h, Body: string(body)}
}

// BearerChallenge is the WWW-Authenticate of a 401 to a bearer-token caller (RFC 6750).
const BearerChallenge = `Bearer realm="mandate", error="invalid_token"`

// challenged answers a bearer-token caller's 401 with the Bearer challenge, not SigV4's.
func challenged(resp events.APIGatewayV2HTTPResponse, c authority.Caller) events.APIGatewayV2HTTPResponse {
	if resp.StatusCode == http.StatusUnauthorized && c.JWT != nil && c.IAM == nil {
		resp.Headers["WWW-Authenticate"] = BearerChallenge
	}
	return resp
}

// CallerOf is the identity and request metadata of an API Gateway v2 event, as every route
// reads them: for front doors that are not routes of this handler (the MCP server).
func CallerOf(req events.APIGatewayV2HTTPRequest) authority.Caller { return callerOf(req) }
