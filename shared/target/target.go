package target

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults for limits a target leaves out.
const (
	// DefaultTimeout bounds one call to a target.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxResponseBytes caps what Mandate reads of a target's response.
	DefaultMaxResponseBytes = 1 << 20
	// DefaultCredentialTTL is how long a minted local action token lives.
	DefaultCredentialTTL = 30 * time.Second
)

// ErrUnknown means no target has that name: the caller's request is refused (4xx).
var ErrUnknown = errors.New("target: unknown target")

// Target is one entry of the registry.
type Target struct {
	Name string `yaml:"name" json:"name"`
	// Kind is api.KindHTTP, api.KindSQL or api.KindAWS.
	Kind string `yaml:"kind" json:"kind"`
	// BaseURL is where an http target is reached.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// SecretRef names the secret the broker uses: "file:PATH" locally (relative to the data
	// folder), a Secrets Manager ARN in AWS.
	SecretRef string `yaml:"secret_ref,omitempty" json:"secret_ref,omitempty"`
	// AuthHeader is the header the credential is injected into (default Authorization).
	AuthHeader string `yaml:"auth_header,omitempty" json:"auth_header,omitempty"`
	// MaskProfile names the masking profile applied to responses.
	MaskProfile string `yaml:"mask_profile,omitempty" json:"mask_profile,omitempty"`
	// Timeout, MaxResponseBytes and CredentialTTL are limits; zero means the default.
	Timeout          Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	MaxResponseBytes int64    `yaml:"max_response_bytes,omitempty" json:"max_response_bytes,omitempty"`
	CredentialTTL    Duration `yaml:"credential_ttl,omitempty" json:"credential_ttl,omitempty"`
	// CaseInsensitivePaths says an http target serves /Admin as /admin (IIS, some
	// frameworks): the canonical path is then lower-cased, so policy and the target see
	// one spelling. Default false: paths are case-sensitive (RFC 3986).
	CaseInsensitivePaths bool `yaml:"case_insensitive_paths,omitempty" json:"case_insensitive_paths,omitempty"`

	// SQL targets (kind sql, PostgreSQL).

	// Endpoint is host:port of the database (sql), or the base URL of the AWS service
	// endpoints for a local stand-in (aws; empty means AWS itself).
	Endpoint string `yaml:"endpoint,omitempty" json:"endpoint,omitempty"`
	// Database is the database name (sql).
	Database string `yaml:"database,omitempty" json:"database,omitempty"`
	// User is the role the broker logs in as: locally an administrator that creates one
	// ephemeral role per action (its password is SecretRef); on RDS the IAM database user.
	User string `yaml:"user,omitempty" json:"user,omitempty"`
	// Schema is the schema unqualified table names resolve in (default public).
	Schema string `yaml:"schema,omitempty" json:"schema,omitempty"`
	// AllowedTables are the "schema.table" names statements may touch; any other table is
	// refused before a credential is minted.
	AllowedTables []string `yaml:"allowed_tables,omitempty" json:"allowed_tables,omitempty"`
	// AllowedFunctions extend sqlparse.DefaultFunctions and DefaultCasts for this target:
	// functions ("name", or "schema.name" outside pg_catalog, such as a SECURITY DEFINER
	// function of the application) and cast types a statement may use. Anything else is
	// refused before policy, naming the function.
	AllowedFunctions []string `yaml:"allowed_functions,omitempty" json:"allowed_functions,omitempty"`
	// ClassifiedColumns classify table columns ("schema.table.column" -> class, such as
	// "public.customers.email: email"): any output column whose lineage reads one is
	// returned masked whole as [CLASS], whatever function, cast, aggregate or JSON key
	// position carried it. Other columns still go through the masking profile's detection.
	ClassifiedColumns map[string]string `yaml:"classified_columns,omitempty" json:"classified_columns,omitempty"`
	// MaxRows caps the rows a statement returns (default DefaultMaxRows).
	MaxRows int `yaml:"max_rows,omitempty" json:"max_rows,omitempty"`
	// SSLMode is how connections to a sql target use TLS: "verify-full" (the default off
	// loopback: the server's certificate must chain to the system roots or CABundle and
	// name the endpoint's host), "require" (encrypted, the server not verified: accepted
	// with a warning, for a server whose CA cannot be given) or "disable" (loopback only,
	// and its default there).
	SSLMode string `yaml:"sslmode,omitempty" json:"sslmode,omitempty"`
	// CABundle adds CAs to the system roots for verify-full: PEM text (such as the Amazon
	// RDS global bundle), or the absolute path of a PEM file read when connecting.
	CABundle string `yaml:"ca_bundle,omitempty" json:"ca_bundle,omitempty"`
	// DBResourceID is the RDS resource id of the instance or cluster ("db-…" or
	// "cluster-…") of a sql target on RDS with IAM database authentication (RoleARN set):
	// the session policy allows rds-db:connect as User on exactly this database.
	DBResourceID string `yaml:"db_resource_id,omitempty" json:"db_resource_id,omitempty"`

	// AWS targets (kind aws).

	// Account is the 12-digit account of RoleARN.
	Account string `yaml:"account,omitempty" json:"account,omitempty"`
	// RoleARN is the role the broker assumes for each action.
	RoleARN string `yaml:"role_arn,omitempty" json:"role_arn,omitempty"`
	// Region is where the target's resources live.
	Region string `yaml:"region,omitempty" json:"region,omitempty"`
	// AllowedResources are ARN patterns ("*" matches any run of characters) an action's
	// resource must match.
	AllowedResources []string `yaml:"allowed_resources,omitempty" json:"allowed_resources,omitempty"`
	// PolicyWindow bounds aws:CurrentTime in the session policy (default DefaultPolicyWindow).
	PolicyWindow Duration `yaml:"policy_window,omitempty" json:"policy_window,omitempty"`
	// KMSKeys are the ARNs of the customer managed KMS keys the target's resources are
	// encrypted with (an S3 bucket or DynamoDB table under SSE-KMS): each session policy then
	// allows kms:Decrypt (and kms:GenerateDataKey for operations that are not reads) on
	// exactly these keys, only through the target's service (kms:ViaService). Key ARNs in
	// the target's Region, never aliases or patterns.
	KMSKeys []string `yaml:"kms_keys,omitempty" json:"kms_keys,omitempty"`
}

// Registry is the set of targets by name.
type Registry struct {
	byName map[string]Target
}

type document struct {
	Targets []Target `yaml:"targets" json:"targets"`
}

// Parse reads a registry document (YAML, or JSON, which is YAML) and validates it whole.
func Parse(src []byte) (*Registry, error) {
	var doc document
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("target: parse registry: %w", err)
	}
	var errs []error
	r := &Registry{byName: make(map[string]Target, len(doc.Targets))}
	for i, t := range doc.Targets {
		if err := t.fill(); err != nil {
			// One problem per field, each naming its target, so a refusal lists them all.
			problems := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				problems = j.Unwrap()
			}
			for _, e := range problems {
				errs = append(errs, fmt.Errorf("targets[%d] (%q): %w", i, t.Name, e))
			}
			continue
		}
		if _, dup := r.byName[t.Name]; dup {
			errs = append(errs, fmt.Errorf("targets[%d]: duplicate name %q", i, t.Name))
			continue
		}
		r.byName[t.Name] = t
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

func (t *Target) fill() error {
	var errs []error
	if t.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	switch t.Kind {
	case "http":
		u, err := url.Parse(t.BaseURL)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("base_url: %w", err))
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, errors.New("base_url must be an absolute http(s) URL"))
		case u.User != nil || u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, errors.New("base_url must not carry credentials, a query or a fragment"))
		}
	case "sql":
		errs = append(errs, t.fillSQL()...)
	case "aws":
		errs = append(errs, t.fillAWS()...)
	default:
		errs = append(errs, fmt.Errorf("unknown kind %q", t.Kind))
	}
	if (t.SSLMode != "" || t.CABundle != "") && t.Kind != "sql" {
		errs = append(errs, errors.New("sslmode and ca_bundle are only for sql targets"))
	}
	if len(t.KMSKeys) > 0 && t.Kind != "aws" {
		errs = append(errs, errors.New("kms_keys is only for aws targets"))
	}
	if t.Timeout < 0 || t.MaxResponseBytes < 0 || t.CredentialTTL < 0 {
		errs = append(errs, errors.New("limits must not be negative"))
	}
	if t.Timeout == 0 {
		t.Timeout = Duration(DefaultTimeout)
	}
	if t.MaxResponseBytes == 0 {
		t.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if t.CredentialTTL == 0 {
		t.CredentialTTL = Duration(DefaultCredentialTTL)
	}
	if t.AuthHeader == "" {
		t.AuthHeader = "Authorization"
	}
	return errors.Join(errs...)
}

// Warnings are what an administrator should know of a valid registry: targets that connect
// without verifying their server.
func (r *Registry) Warnings() []string {
	var out []string
	for _, t := range r.Targets() {
		if t.Kind != "sql" {
			continue
		}
		host, _, _ := net.SplitHostPort(t.Endpoint)
		switch {
		case t.SSLMode == SSLRequire:
			out = append(out, fmt.Sprintf("target %q: sslmode require: the PostgreSQL server is not verified (give its CA in ca_bundle and use verify-full)", t.Name))
		case t.TLSMode() == SSLVerifyFull && t.CABundle == "" && strings.HasSuffix(strings.ToLower(host), ".rds.amazonaws.com"):
			out = append(out, fmt.Sprintf("target %q: an RDS endpoint without ca_bundle: RDS certificates do not chain to the system roots, so connections fail until ca_bundle holds the RDS global bundle", t.Name))
		}
	}
	return out
}

// Lookup returns the named target, or ErrUnknown.
func (r *Registry) Lookup(name string) (Target, error) {
	t, ok := r.byName[name]
	if !ok {
		return Target{}, fmt.Errorf("%w %q", ErrUnknown, name)
	}
	return t, nil
}

// Duration is a time.Duration written as "10s" in YAML and JSON.
type Duration time.Duration

// UnmarshalYAML reads "10s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes "10s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
