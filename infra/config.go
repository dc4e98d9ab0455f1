package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/identity"
)

// Context keys: set them in cdk.json under "context" or with `cdk deploy -c key=value`.
const (
	CtxStage              = "mandate:stage"               // name suffix of every resource; a-z 0-9 -, 1-16
	CtxRetentionDays      = "mandate:retentionDays"       // Object Lock COMPLIANCE days of the audit archive
	CtxAgentAuth          = "mandate:agentAuth"           // "iam" (SigV4, the default) or "jwt" (OIDC agents)
	CtxOIDCIssuer         = "mandate:oidcIssuer"          // https issuer URL of agents' JWTs (agentAuth jwt)
	CtxOIDCAudiences      = "mandate:oidcAudiences"       // audiences the JWT authorizer accepts (agentAuth jwt)
	CtxAgentPrincipals    = "mandate:agentPrincipals"     // ARNs that may assume the agent role (default: this account)
	CtxOperatorPrincipals = "mandate:operatorPrincipals"  // ARNs that may assume the operator role (default: this account)
	CtxAdminPrincipals    = "mandate:adminPrincipals"     // ARNs that may assume the admin role (default: this account)
	CtxThrottleRate       = "mandate:throttleRateLimit"   // steady requests per second of the API stage
	CtxThrottleBurst      = "mandate:throttleBurstLimit"  // burst of the API stage
	CtxReserved           = "mandate:reservedConcurrency" // {"function": n}: reserved concurrency per function
	CtxCheckpointMinutes  = "mandate:checkpointMinutes"   // how often the checkpoint function runs
	CtxLogLevel           = "mandate:logLevel"            // debug, info, warn or error
	CtxIssuers            = "mandate:issuers"             // trusted OIDC issuers (identity.IssuerSpec list) of the API functions
	CtxMaxActions         = "mandate:maxActions"          // a session's action budget (default: the functions' own)
	CtxBedrockModel       = "mandate:bedrockModel"        // Bedrock model id of the intent classifier's second opinion
	CtxMaskKeySecret      = "mandate:maskKeySecret"       // Secrets Manager ARN of the masking key, read by every API function
	CtxOCSFEventBus       = "mandate:ocsfEventBus"        // EventBridge bus name the shipper forwards OCSF events to
	CtxVPC                = "mandate:vpc"                 // {"subnets": [...], "securityGroups": [...]} of the functions that reach targets
)

// Defaults of the context values.
const (
	DefaultStage             = "prod"
	DefaultThrottleRate      = 100
	DefaultThrottleBurst     = 200
	DefaultCheckpointMinutes = 60
	DefaultLogLevel          = "info"
	AgentAuthIAM             = "iam"
	AgentAuthJWT             = "jwt"
)

// DefaultRetentionDays is the archive's default lock, the same as the functions' default.
var DefaultRetentionDays = int(archive.DefaultRetention / (24 * time.Hour))

// Config is the stack's configuration, read from the CDK context and validated whole.
type Config struct {
	// Stage names this deployment; tables are mandate-<stage>-sessions and so on.
	Stage string
	// RetentionDays is the Object Lock COMPLIANCE retention of every archived object.
	RetentionDays int
	// AgentAuth is how agents authenticate to the agent routes: AgentAuthIAM or AgentAuthJWT.
	AgentAuth string
	// OIDCIssuer and OIDCAudiences configure the JWT authorizer (AgentAuthJWT only).
	OIDCIssuer    string
	OIDCAudiences []string
	// Principals that may assume the agent, operator and admin roles; empty means the
	// account (IAM policies in the account then decide who).
	AgentPrincipals, OperatorPrincipals, AdminPrincipals []string
	// ThrottleRate and ThrottleBurst limit the API stage.
	ThrottleRate, ThrottleBurst int
	// Reserved is the reserved concurrency of the functions named in it.
	Reserved map[string]int
	// CheckpointMinutes is the period of the checkpoint schedule.
	CheckpointMinutes int
	// LogLevel is the functions' minimum log level.
	LogLevel string
	// Issuers is the JSON of the API functions' trusted OIDC issuers (config.EnvIssuers):
	// CtxIssuers as given, else, with AgentAuthJWT, the agents' issuer of the JWT authorizer
	// (RS256, its discovery document). Empty when there are none.
	Issuers string
	// MaxActions is a session's action budget; 0 leaves the functions' default.
	MaxActions int
	// BedrockModel is the model id the session function asks; empty for none.
	BedrockModel string
	// MaskKeySecret is the ARN of the masking key's secret; empty for none.
	MaskKeySecret string
	// OCSFEventBus is the EventBridge bus the shipper forwards to; empty for none.
	OCSFEventBus string
	// VPC places the functions that reach targets (Function.ReachesTargets) in private
	// subnets, to reach a private RDS or HTTP target; nil leaves every function outside.
	VPC *VPC
}

// VPC is where the functions that reach targets run: subnet and security group ids of one VPC.
// The subnets need a route to the AWS APIs the functions call (NAT or VPC endpoints).
type VPC struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups"`
}

var (
	stageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,15}$`)
	arnRE   = regexp.MustCompile(`^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/:-]+$`)
	// Model ids such as anthropic.claude-3-haiku-20240307-v1:0.
	modelRE  = regexp.MustCompile(`^[a-z0-9-]+\.[A-Za-z0-9.-]+(:[0-9a-z]+)*$`)
	secretRE = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	busRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
	subnetRE = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	groupRE  = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// ConfigFromContext reads the configuration through get (the app's TryGetContext), applying
// defaults and reporting every invalid value at once. Values may be JSON (cdk.json) or strings
// (-c key=value).
func ConfigFromContext(get func(key string) any) (Config, error) {
	c := Config{Stage: DefaultStage, RetentionDays: DefaultRetentionDays, AgentAuth: AgentAuthIAM,
		ThrottleRate: DefaultThrottleRate, ThrottleBurst: DefaultThrottleBurst,
		CheckpointMinutes: DefaultCheckpointMinutes, LogLevel: DefaultLogLevel, Reserved: map[string]int{}}
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("context %s: %s", key, fmt.Sprintf(format, args...)))
	}
	str := func(key string, dst *string) {
		switch v := get(key).(type) {
		case nil:
		case string:
			*dst = v
		default:
			bad(key, "must be a string, not %v", v)
		}
	}
	num := func(key string, dst *int, lo, hi int) {
		v := get(key)
		if v == nil {
			return
		}
		n, ok := toInt(v)
		if !ok || n < lo || n > hi {
			bad(key, "must be a whole number from %d to %d, not %v", lo, hi, v)
			return
		}
		*dst = n
	}
	list := func(key string, dst *[]string) {
		v := get(key)
		if v == nil {
			return
		}
		l, ok := toStrings(v)
		if !ok {
			bad(key, "must be a list of strings (or one comma-separated string), not %v", v)
			return
		}
		*dst = l
	}

	str(CtxStage, &c.Stage)
	if !stageRE.MatchString(c.Stage) {
		bad(CtxStage, "%q must be 1 to 16 of a-z 0-9 - starting with a letter or digit", c.Stage)
	}
	num(CtxRetentionDays, &c.RetentionDays, 1, 36500)
	str(CtxAgentAuth, &c.AgentAuth)
	str(CtxOIDCIssuer, &c.OIDCIssuer)
	list(CtxOIDCAudiences, &c.OIDCAudiences)
	switch c.AgentAuth {
	case AgentAuthIAM:
		if c.OIDCIssuer != "" || len(c.OIDCAudiences) > 0 {
			bad(CtxAgentAuth, "is %q, so %s and %s must not be set (use %q for OIDC agents)", AgentAuthIAM, CtxOIDCIssuer, CtxOIDCAudiences, AgentAuthJWT)
		}
	case AgentAuthJWT:
		if u, err := url.Parse(c.OIDCIssuer); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad(CtxOIDCIssuer, "must be the https URL of the agents' OIDC issuer, not %q", c.OIDCIssuer)
		}
		if len(c.OIDCAudiences) == 0 || slices.Contains(c.OIDCAudiences, "") {
			bad(CtxOIDCAudiences, "must list at least one audience, none empty")
		}
	default:
		bad(CtxAgentAuth, "must be %q or %q, not %q", AgentAuthIAM, AgentAuthJWT, c.AgentAuth)
	}
	for key, dst := range map[string]*[]string{CtxAgentPrincipals: &c.AgentPrincipals, CtxOperatorPrincipals: &c.OperatorPrincipals, CtxAdminPrincipals: &c.AdminPrincipals} {
		list(key, dst)
		for _, a := range *dst {
			if !arnRE.MatchString(a) {
				bad(key, "%q is not an IAM or STS ARN", a)
			}
		}
	}
	num(CtxThrottleRate, &c.ThrottleRate, 1, 1_000_000)
	num(CtxThrottleBurst, &c.ThrottleBurst, 1, 1_000_000)
	num(CtxCheckpointMinutes, &c.CheckpointMinutes, 1, 1440)
	str(CtxLogLevel, &c.LogLevel)
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		bad(CtxLogLevel, "must be debug, info, warn or error, not %q", c.LogLevel)
	}
	switch v := get(CtxReserved).(type) {
	case nil:
	case map[string]any:
		for name, n := range v {
			i, ok := toInt(n)
			if !ok || i < 0 || i > 10000 {
				bad(CtxReserved, "%s must be a whole number from 0 to 10000, not %v", name, n)
				continue
			}
			if !slices.ContainsFunc(Catalog, func(f Function) bool { return f.Name == name }) {
				bad(CtxReserved, "names no function %q", name)
				continue
			}
			c.Reserved[name] = i
		}
	default:
		bad(CtxReserved, "must be an object of function name to number, not %v", v)
	}
	c.Issuers = issuers(get(CtxIssuers), c, bad)
	num(CtxMaxActions, &c.MaxActions, 1, 1_000_000)
	str(CtxBedrockModel, &c.BedrockModel)
	if c.BedrockModel != "" && !modelRE.MatchString(c.BedrockModel) {
		bad(CtxBedrockModel, "%q is not a Bedrock model id", c.BedrockModel)
	}
	str(CtxMaskKeySecret, &c.MaskKeySecret)
	if c.MaskKeySecret != "" && !secretRE.MatchString(c.MaskKeySecret) {
		bad(CtxMaskKeySecret, "%q is not the full ARN (with its six-character suffix) of a Secrets Manager secret", c.MaskKeySecret)
	}
	str(CtxOCSFEventBus, &c.OCSFEventBus)
	if c.OCSFEventBus != "" && !busRE.MatchString(c.OCSFEventBus) {
		bad(CtxOCSFEventBus, "%q is not an EventBridge bus name", c.OCSFEventBus)
	}
	c.VPC = vpc(get(CtxVPC), bad)
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("infra: invalid configuration:\n%w", err)
	}
	return c, nil
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n != float64(int(n)) {
			return 0, false
		}
		return int(n), true
	case int:
		return n, true
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(n))
		return i, err == nil
	}
	return 0, false
}

func toStrings(v any) ([]string, bool) {
	switch l := v.(type) {
	case string:
		var out []string
		for s := range strings.SplitSeq(l, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, true
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	case []string:
		return l, true
	}
	return nil, false
}

// issuers returns the JSON of the trusted issuers from the context value v (a list of
// identity.IssuerSpec, or its JSON as a string), checked as the functions will check it at
// cold start; with AgentAuthJWT and no v, the agents' issuer of the JWT authorizer, so the
// edge trusts the tokens the authorizer lets through.
func issuers(v any, c Config, bad func(key, format string, args ...any)) string {
	var raw []byte
	switch x := v.(type) {
	case nil:
		if c.AgentAuth != AgentAuthJWT || c.OIDCIssuer == "" {
			return ""
		}
		raw, _ = json.Marshal([]identity.IssuerSpec{{
			Issuer: c.OIDCIssuer, Audiences: c.OIDCAudiences, Algorithms: []string{"RS256"},
			DiscoveryURL: strings.TrimSuffix(c.OIDCIssuer, "/") + "/.well-known/openid-configuration",
			Trust:        identity.TrustAgent,
		}})
	case string:
		raw = []byte(x)
	default:
		var err error
		if raw, err = json.Marshal(x); err != nil {
			bad(CtxIssuers, "must be a list of issuers, not %v", v)
			return ""
		}
	}
	specs, err := identity.ParseIssuerSpecs(raw)
	if err == nil && len(specs) == 0 {
		err = errors.New("lists no issuer")
	}
	if err == nil {
		for _, sp := range specs {
			if sp.JWKSFile != "" {
				err = fmt.Errorf("issuer %q: jwks_file is not deployed with the functions; give discovery_url or jwks_url", sp.Issuer)
				break
			}
		}
	}
	if err == nil {
		_, err = config.TokensFromEnv(func(string) string { return string(raw) })
	}
	if err != nil {
		bad(CtxIssuers, "%v", err)
		return ""
	}
	// The functions read the compact JSON form.
	compact, err := json.Marshal(specs)
	if err != nil {
		bad(CtxIssuers, "%v", err)
		return ""
	}
	return string(compact)
}

// vpc reads the context value v (an object, or its JSON as a string): at least one subnet and
// one security group, each a well-formed id given once, and no other key.
func vpc(v any, bad func(key, format string, args ...any)) *VPC {
	if v == nil {
		return nil
	}
	raw, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			bad(CtxVPC, "must be an object, not %v", v)
			return nil
		}
		raw = string(b)
	}
	var out VPC
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		bad(CtxVPC, `must be {"subnets": [...], "securityGroups": [...]}: %v`, err)
		return nil
	}
	ok = true
	for _, l := range []struct {
		name string
		ids  []string
		re   *regexp.Regexp
		what string
	}{{"subnets", out.Subnets, subnetRE, "a subnet id"}, {"securityGroups", out.SecurityGroups, groupRE, "a security group id"}} {
		if len(l.ids) == 0 {
			bad(CtxVPC, "%s must list at least one id", l.name)
			ok = false
		}
		seen := map[string]bool{}
		for _, id := range l.ids {
			switch {
			case !l.re.MatchString(id):
				bad(CtxVPC, "%q is not %s", id, l.what)
				ok = false
			case seen[id]:
				bad(CtxVPC, "%q is listed twice", id)
				ok = false
			}
			seen[id] = true
		}
	}
	if !ok {
		return nil
	}
	return &out
}
