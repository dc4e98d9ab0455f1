package dynamo

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Environment variables that configure the store. infra/ sets them on every function.
const (
	EnvTableSessions  = "MANDATE_TABLE_SESSIONS"
	EnvTableControls  = "MANDATE_TABLE_CONTROLS"
	EnvTableApprovals = "MANDATE_TABLE_APPROVALS"
	EnvTablePolicies  = "MANDATE_TABLE_POLICIES"
	EnvTableIntents   = "MANDATE_TABLE_INTENTS"
	EnvTableTargets   = "MANDATE_TABLE_TARGETS"
	EnvTableClaims    = "MANDATE_TABLE_CLAIMS"
	EnvTableAudit     = "MANDATE_TABLE_AUDIT"
	// EnvEndpoint overrides the DynamoDB endpoint (for dynalite or another compatible
	// server); empty means the Region's AWS endpoint.
	EnvEndpoint = "MANDATE_DYNAMODB_ENDPOINT"
)

// DefaultPrefix prefixes the default table names: mandate-sessions, mandate-audit, ...
const DefaultPrefix = "mandate"

// Key and TTL attribute names of the tables. infra/ MUST create the tables with these.
const (
	AttrID         = "id"         // sessions and approvals: partition key (S)
	AttrControlKey = "pk"         // controls: partition key (S), scope "#" id
	AttrName       = "name"       // policies, intents, targets: partition key (S)
	AttrVersion    = "version"    // policies, intents, targets: sort key (N)
	AttrClaimKey   = "key"        // claims: partition key (S)
	AttrSessionID  = "session_id" // audit: partition key (S)
	AttrSeq        = "seq"        // audit: sort key (N)
	AttrTTL        = "expires_at" // sessions and claims: TTL attribute, epoch seconds (N)
)

// Tables names the table of each kind of item.
type Tables struct {
	Sessions  string
	Controls  string
	Approvals string
	Policies  string
	Intents   string
	Targets   string
	Claims    string
	Audit     string
}

// NamedTables returns the tables called prefix-sessions, prefix-controls, and so on.
func NamedTables(prefix string) Tables {
	return Tables{
		Sessions:  prefix + "-sessions",
		Controls:  prefix + "-controls",
		Approvals: prefix + "-approvals",
		Policies:  prefix + "-policies",
		Intents:   prefix + "-intents",
		Targets:   prefix + "-targets",
		Claims:    prefix + "-claims",
		Audit:     prefix + "-audit",
	}
}

// tableName is DynamoDB's rule for table names.
var tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// fields returns each table name with the environment variable that sets it.
func (t *Tables) fields() []struct {
	env  string
	name *string
} {
	return []struct {
		env  string
		name *string
	}{
		{EnvTableSessions, &t.Sessions},
		{EnvTableControls, &t.Controls},
		{EnvTableApprovals, &t.Approvals},
		{EnvTablePolicies, &t.Policies},
		{EnvTableIntents, &t.Intents},
		{EnvTableTargets, &t.Targets},
		{EnvTableClaims, &t.Claims},
		{EnvTableAudit, &t.Audit},
	}
}

// names returns every table name.
func (t Tables) names() []string {
	var out []string
	for _, f := range t.fields() {
		out = append(out, *f.name)
	}
	return out
}

// Validate reports every table name that DynamoDB would refuse, and tables that share a name.
func (t Tables) Validate() error {
	var errs []error
	seen := map[string]string{}
	for _, f := range t.fields() {
		if !tableName.MatchString(*f.name) {
			errs = append(errs, fmt.Errorf("dynamo: %s: table name %q must be 3 to 255 of a-z A-Z 0-9 _ . -", f.env, *f.name))
		}
		if other, ok := seen[*f.name]; ok {
			errs = append(errs, fmt.Errorf("dynamo: %s and %s name the same table %q", other, f.env, *f.name))
		}
		seen[*f.name] = f.env
	}
	return errors.Join(errs...)
}

// TablesFromEnv returns NamedTables(DefaultPrefix) with each name that its environment
// variable sets replaced, and every invalid name reported at once.
func TablesFromEnv(getenv func(string) string) (Tables, error) {
	t := NamedTables(DefaultPrefix)
	for _, f := range t.fields() {
		if v := getenv(f.env); v != "" {
			*f.name = v
		}
	}
	if err := t.Validate(); err != nil {
		return Tables{}, err
	}
	return t, nil
}

// NewClient returns a DynamoDB client from the default AWS configuration (environment,
// shared files, role), with BaseEndpoint set to endpoint unless it is empty. The client
// keeps the SDK's DynamoDB retryer (4 attempts, 25 ms base backoff with jitter). optFns
// adjust the client options after that, as in tests.
func NewClient(ctx context.Context, endpoint string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("dynamo: load AWS configuration: %w", err)
	}
	opts := []func(*dynamodb.Options){func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}}
	return dynamodb.NewFromConfig(cfg, append(opts, optFns...)...), nil
}

// Open returns a Store configured from the environment: table names from TablesFromEnv and
// the endpoint from EnvEndpoint.
func Open(ctx context.Context, getenv func(string) string) (*Store, error) {
	tables, err := TablesFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	client, err := NewClient(ctx, getenv(EnvEndpoint))
	if err != nil {
		return nil, err
	}
	return New(client, tables), nil
}
