package mcpgate

import (
	"errors"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
)

// callInput is the arguments of every target tool; each tool's schema names the ones it takes.
type callInput struct {
	Path       string         `json:"path,omitempty"`
	Body       any            `json:"body,omitempty"`
	Statement  string         `json:"statement,omitempty"`
	Resource   string         `json:"resource,omitempty"`
	Params     map[string]any `json:"params,omitempty"`
	ApprovalID string         `json:"approval_id,omitempty"`
}

// tool is one offered operation and how its arguments become an action.
type tool struct {
	tool   *mcp.Tool
	action func(callInput) (api.Action, error)
}

var approvalProperty = map[string]any{"type": "string", "description": "the approval a human granted for exactly this call, when one was asked for"}

func schema(required []string, props map[string]any) map[string]any {
	props["approval_id"] = approvalProperty
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

// toolsFor names the tools of one target: for http "<target>.<method>" (get, post, put,
// patch, delete) with a path and, for writes, a JSON body; for sql "<target>.sql" with one
// statement; for aws "<target>.<Operation>" with the resource ARN and the SDK parameters.
func toolsFor(o authority.Offer) []tool {
	var out []tool
	switch o.Kind {
	case api.KindHTTP:
		for _, act := range o.Actions {
			method := strings.TrimPrefix(act, "http:")
			props := map[string]any{"path": map[string]any{"type": "string", "description": "the path on " + o.Target + ", with its query, e.g. /customers/42"}}
			if method == "POST" || method == "PUT" || method == "PATCH" {
				props["body"] = map[string]any{"description": "the JSON body"}
			}
			out = append(out, tool{
				tool: &mcp.Tool{Name: o.Target + "." + strings.ToLower(method), InputSchema: schema([]string{"path"}, props),
					Description: method + " a path of " + o.Target + " through Mandate (decided, recorded and masked)."},
				action: func(in callInput) (api.Action, error) {
					if in.Path == "" {
						return api.Action{}, errors.New("path is required")
					}
					return api.Action{Kind: api.KindHTTP, Target: o.Target, Method: method, Path: in.Path, Body: in.Body}, nil
				},
			})
		}
	case api.KindSQL:
		var types []string
		for _, act := range o.Actions {
			types = append(types, strings.TrimPrefix(act, "sql:"))
		}
		out = append(out, tool{
			tool: &mcp.Tool{Name: o.Target + ".sql", InputSchema: schema([]string{"statement"}, map[string]any{
				"statement": map[string]any{"type": "string", "description": "one PostgreSQL statement"}}),
				Description: "Run one statement on " + o.Target + " through Mandate; policy may allow " + strings.Join(types, ", ") + "."},
			action: func(in callInput) (api.Action, error) {
				if in.Statement == "" {
					return api.Action{}, errors.New("statement is required")
				}
				return api.Action{Kind: api.KindSQL, Target: o.Target, Statement: in.Statement}, nil
			},
		})
	case api.KindAWS:
		for _, act := range o.Actions {
			service, operation, _ := strings.Cut(act, ":")
			out = append(out, tool{
				tool: &mcp.Tool{Name: o.Target + "." + operation, InputSchema: schema([]string{"resource"}, map[string]any{
					"resource": map[string]any{"type": "string", "description": "the resource ARN"},
					"params":   map[string]any{"type": "object", "description": "the operation's parameters, as the AWS API names them"}}),
					Description: service + " " + operation + " on " + o.Target + " through Mandate, with a credential minted for this call alone."},
				action: func(in callInput) (api.Action, error) {
					if in.Resource == "" {
						return api.Action{}, errors.New("resource is required")
					}
					return api.Action{Kind: api.KindAWS, Target: o.Target, Service: service, Operation: operation, Resource: in.Resource, Params: in.Params}, nil
				},
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].tool.Name < out[j].tool.Name })
	return out
}
