package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Workload platforms recognised in OIDC agent tokens (Principal.OIDC.Platform).
const (
	PlatformKubernetes    = "kubernetes"
	PlatformGitHubActions = "github-actions"
	PlatformGeneric       = "generic"
)

// GitHubActionsIssuer is the issuer of GitHub Actions OIDC tokens (GitHub Enterprise Cloud
// issuers with a custom slug start with it followed by "/").
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// kubernetesSubjectPrefix starts the sub of every Kubernetes service account token.
const kubernetesSubjectPrefix = "system:serviceaccount:"

// OIDCClaims are the workload attributes of an OIDC agent, mapped from its token's claims.
// Only the fields of its platform are set.
type OIDCClaims struct {
	Issuer   string
	Subject  string
	Platform string
	// Kubernetes service accounts.
	Namespace      string
	ServiceAccount string
	Pod            string
	// GitHub Actions.
	Repository      string
	RepositoryOwner string
	Workflow        string
	Ref             string
	JobWorkflowRef  string
	Environment     string
	Actor           string
	// Generic issuers: the OAuth client the token was issued to (client_id, else azp).
	ClientID string
}

// AuthorizerClaims renders t's claims as API Gateway's JWT authorizer puts them in
// requestContext.authorizer.jwt.claims: strings as they are, numbers and booleans in their
// JSON form, lists as "[a b]", objects as JSON. The local adapter writes this map into the
// event it builds, so handlers read a bearer-token agent the same way in both modes.
func (t Token) AuthorizerClaims() map[string]string {
	out := make(map[string]string, len(t.Claims))
	for k, v := range t.Claims {
		out[k] = claimString(v)
	}
	return out
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// Principal is the agent t authenticates; see FromJWT.
func (t Token) Principal() (Principal, error) {
	return FromJWT(t.AuthorizerClaims())
}

// FromJWT turns the claims of a verified agent token, as an API Gateway JWT authorizer passes
// them (or AuthorizerClaims renders them), into a Principal of kind KindOIDC. ID is
// "ISSUER#SUBJECT": stable across tokens and unique across issuers. Claims are mapped by
// platform:
//
//   - Kubernetes service accounts (sub system:serviceaccount:NS:NAME): namespace and service
//     account from sub, the pod from the kubernetes.io claim when present; Name is NS/NAME.
//   - GitHub Actions (iss GitHubActionsIssuer): repository, repository_owner, workflow, ref,
//     job_workflow_ref, environment, actor; Name is the repository.
//   - generic issuers: client_id, else azp; Name is the client id, else the subject.
//
// Missing iss or sub is ErrUnsigned; a malformed Kubernetes subject is ErrMalformed. The
// issuer's trust is not checked here: the caller checks it (TokenVerifier.Trusts).
func FromJWT(c map[string]string) (Principal, error) {
	iss, sub := c["iss"], c["sub"]
	if iss == "" || sub == "" {
		return Principal{}, fmt.Errorf("identity: %w: no token identity (iss, sub) in the request context", ErrUnsigned)
	}
	if len(iss) > maxARNLength || len(sub) > maxARNLength {
		return Principal{}, malformed("token iss or sub longer than %d bytes", maxARNLength)
	}
	o := OIDCClaims{Issuer: iss, Subject: sub}
	p := Principal{Kind: KindOIDC, ID: iss + "#" + sub}
	switch {
	case strings.HasPrefix(sub, kubernetesSubjectPrefix):
		ns, sa, ok := strings.Cut(strings.TrimPrefix(sub, kubernetesSubjectPrefix), ":")
		if !ok || ns == "" || sa == "" || strings.Contains(sa, ":") {
			return Principal{}, malformed("Kubernetes subject is not system:serviceaccount:NAMESPACE:NAME")
		}
		o.Platform, o.Namespace, o.ServiceAccount = PlatformKubernetes, ns, sa
		var k struct {
			Pod struct {
				Name string `json:"name"`
			} `json:"pod"`
		}
		if raw := c["kubernetes.io"]; raw != "" && json.Unmarshal([]byte(raw), &k) == nil {
			o.Pod = k.Pod.Name
		}
		p.Name = ns + "/" + sa
	case iss == GitHubActionsIssuer || strings.HasPrefix(iss, GitHubActionsIssuer+"/"):
		o.Platform = PlatformGitHubActions
		o.Repository, o.RepositoryOwner = c["repository"], c["repository_owner"]
		o.Workflow, o.Ref, o.JobWorkflowRef = c["workflow"], c["ref"], c["job_workflow_ref"]
		o.Environment, o.Actor = c["environment"], c["actor"]
		p.Name = o.Repository
		if p.Name == "" {
			p.Name = sub
		}
	default:
		o.Platform = PlatformGeneric
		o.ClientID = c["client_id"]
		if o.ClientID == "" {
			o.ClientID = c["azp"]
		}
		p.Name = o.ClientID
		if p.Name == "" {
			p.Name = sub
		}
	}
	p.OIDC = o
	return p, nil
}

// Ways an operator was verified (Operator.Method).
const (
	// OperatorDelegation: an RFC 8693 token whose sub is the human and act.sub this agent.
	OperatorDelegation = "delegation"
	// OperatorIDToken: the operator's own OIDC ID token, sent beside the agent's credential.
	OperatorIDToken = "id-token"
)

// Operator is a human proven by a token from an operator issuer.
type Operator struct {
	// ID names the human: the issuer's OperatorClaim (sub by default).
	ID string
	// Issuer and Subject are the token's iss and sub.
	Issuer  string
	Subject string
	// Method is OperatorDelegation or OperatorIDToken.
	Method string
	// Actor is the act.sub of a delegation token (the agent); empty for an ID token.
	Actor string
}

// VerifyAgent checks raw as an agent's bearer token, as API Gateway's JWT authorizer would
// (Verify against the issuers trusted for agents, and a principal it names), and returns the
// claims that authorizer passes on (Token.AuthorizerClaims). The local gateway and a route
// deployed without an authorizer (the MCP endpoint in jwt mode) both verify with it.
func (v *TokenVerifier) VerifyAgent(ctx context.Context, raw string) (map[string]string, error) {
	if v == nil {
		return nil, fmt.Errorf("identity: %w: no agent issuers are configured", ErrUntrustedIssuer)
	}
	tok, err := v.Verify(ctx, raw, TrustAgent)
	if err != nil {
		return nil, err
	}
	if _, err := tok.Principal(); err != nil {
		return nil, err
	}
	return tok.AuthorizerClaims(), nil
}

// VerifyOperator checks raw, a token from an issuer trusted for operators, presented by agent:
// an RFC 8693 delegation token (act.sub names the agent) or an operator's ID token (no act).
// A delegation token for another agent is ErrActorMismatch: act.sub must equal agent.ID, or
// for an OIDC agent its subject with act.iss equal to its issuer. Other errors are those of
// Verify, and ErrMalformed for a token without the operator claim or with email_verified false.
func (v *TokenVerifier) VerifyOperator(ctx context.Context, raw string, agent Principal) (Operator, error) {
	if v == nil {
		return Operator{}, fmt.Errorf("identity: %w: no operator issuers are configured", ErrUntrustedIssuer)
	}
	t, err := v.Verify(ctx, raw, TrustOperator)
	if err != nil {
		return Operator{}, err
	}
	op := Operator{Issuer: t.Issuer, Subject: t.Subject, Method: OperatorIDToken}
	claim := t.operatorClaim
	if claim == "" {
		claim = "sub"
	}
	id, _ := t.Claims[claim].(string)
	if id == "" {
		return Operator{}, malformed("operator token has no %s claim", claim)
	}
	if claim == "email" {
		if ev, present := t.Claims["email_verified"]; present && ev != true {
			return Operator{}, malformed("operator token's email is not verified")
		}
	}
	op.ID = id
	if act, present := t.Claims["act"]; present {
		m, ok := act.(map[string]any)
		if !ok {
			return Operator{}, malformed("operator token act is not an object")
		}
		sub, _ := m["sub"].(string)
		if sub == "" {
			return Operator{}, malformed("operator token act has no sub")
		}
		actIss, _ := m["iss"].(string)
		if !actorIs(sub, actIss, agent) {
			return Operator{}, fmt.Errorf("identity: %w", ErrActorMismatch)
		}
		op.Method, op.Actor = OperatorDelegation, sub
	}
	return op, nil
}

// actorIs reports whether act (sub and optional iss) names the agent.
func actorIs(sub, iss string, agent Principal) bool {
	if agent.ID == "" {
		return false
	}
	if iss == "" && sub == agent.ID {
		return true
	}
	return agent.Kind == KindOIDC && iss == agent.OIDC.Issuer && sub == agent.OIDC.Subject
}
