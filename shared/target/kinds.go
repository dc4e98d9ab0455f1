package target

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults and bounds of sql and aws targets.
const (
	// DefaultMaxRows caps the rows one SQL statement returns.
	DefaultMaxRows = 1000
	// DefaultPolicyWindow bounds aws:CurrentTime in a session policy: the minted credential
	// is refused by AWS after this long, well before STS's 15-minute minimum lifetime.
	DefaultPolicyWindow = 2 * time.Minute
	// MaxPolicyWindow is the longest window a target may configure (the STS minimum).
	MaxPolicyWindow = 15 * time.Minute
)

var (
	identRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,62}$`)
	roleARNRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}$`)
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	// kmsKeyRe is the ARN of one KMS key (a multi-Region key's id starts with mrk-).
	kmsKeyRe   = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):kms:([a-z]{2}(?:-[a-z]+)+-[0-9]):[0-9]{12}:key/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	resourceRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:[a-z0-9-]*:([0-9]{12})?:[\x21-\x7e]+$`)
)

// TLS modes of sql targets (Target.SSLMode), as PostgreSQL names them.
const (
	SSLVerifyFull = "verify-full"
	SSLRequire    = "require"
	SSLDisable    = "disable"
)

// Loopback reports whether host (of an endpoint) is this machine.
func Loopback(host string) bool {
	ip := net.ParseIP(host)
	return (ip != nil && ip.IsLoopback()) || host == "localhost"
}

// TLSMode is the TLS mode a sql target's connections use: SSLMode if set, else disable on
// loopback and verify-full anywhere else.
func (t Target) TLSMode() string {
	if t.SSLMode != "" {
		return t.SSLMode
	}
	if host, _, err := net.SplitHostPort(t.Endpoint); err == nil && Loopback(host) {
		return SSLDisable
	}
	return SSLVerifyFull
}

// IsPEM says whether a CA bundle is PEM text rather than a file path.
func IsPEM(bundle string) bool { return strings.HasPrefix(strings.TrimSpace(bundle), "-----BEGIN") }

// ParseCABundle reads the certificates of PEM text; it fails unless there is at least one and
// every block is a certificate that parses.
func ParseCABundle(pemText []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := pemText; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			if len(bytes.TrimSpace(rest)) > 0 {
				return nil, errors.New("text that is not PEM")
			}
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("a %s block, not a CERTIFICATE", b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate")
	}
	return out, nil
}

func (t *Target) fillTLS(host string) []error {
	var errs []error
	switch t.SSLMode {
	case "", SSLVerifyFull, SSLRequire:
	case SSLDisable:
		if !Loopback(host) {
			errs = append(errs, errors.New("sslmode disable is only for a loopback endpoint: a password never crosses a network in clear"))
		}
	default:
		errs = append(errs, fmt.Errorf("sslmode must be %s or %s (or %s on loopback)", SSLVerifyFull, SSLRequire, SSLDisable))
	}
	switch {
	case t.CABundle == "":
	case IsPEM(t.CABundle):
		if _, err := ParseCABundle([]byte(t.CABundle)); err != nil {
			errs = append(errs, fmt.Errorf("ca_bundle: %w", err))
		}
	case !filepath.IsAbs(t.CABundle) || filepath.Clean(t.CABundle) != t.CABundle:
		errs = append(errs, errors.New("ca_bundle must be PEM text or the absolute, clean path of a PEM file"))
	}
	return errs
}

// classRe is a column class: a masking detector's name or one of the registry's own.
var classRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

func (t *Target) fillSQL() []error {
	var errs []error
	host, port, err := net.SplitHostPort(t.Endpoint)
	if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
		errs = append(errs, errors.New("endpoint must be host:port"))
	}
	errs = append(errs, t.fillTLS(host)...)
	if !identRe.MatchString(t.Database) {
		errs = append(errs, errors.New("database must be a plain identifier"))
	}
	if !identRe.MatchString(t.User) {
		errs = append(errs, errors.New("user must be a plain identifier"))
	}
	if t.IAMAuth() {
		errs = append(errs, t.fillRDS()...)
	} else if t.SecretRef == "" {
		errs = append(errs, errors.New("secret_ref is required (the password of user), or role_arn for RDS IAM database authentication"))
	}
	if t.Schema == "" {
		t.Schema = "public"
	}
	if !identRe.MatchString(t.Schema) {
		errs = append(errs, errors.New("schema must be a plain identifier"))
	}
	if len(t.AllowedTables) == 0 {
		errs = append(errs, errors.New("allowed_tables must name at least one schema.table"))
	}
	for i, name := range t.AllowedTables {
		schema, table, ok := strings.Cut(name, ".")
		if !ok || !identRe.MatchString(schema) || !identRe.MatchString(table) {
			errs = append(errs, fmt.Errorf("allowed_tables[%d] %q must be schema.table", i, name))
		}
	}
	for _, col := range slices.Sorted(maps.Keys(t.ClassifiedColumns)) {
		parts := strings.Split(col, ".")
		if len(parts) != 3 || !identRe.MatchString(parts[0]) || !identRe.MatchString(parts[1]) || !identRe.MatchString(parts[2]) {
			errs = append(errs, fmt.Errorf("classified_columns %q must be schema.table.column", col))
		}
		if !classRe.MatchString(t.ClassifiedColumns[col]) {
			errs = append(errs, fmt.Errorf("classified_columns %q: the class must be a lower-case name such as email", col))
		}
	}
	if t.MaxRows < 0 {
		errs = append(errs, errors.New("max_rows must not be negative"))
	}
	if t.MaxRows == 0 {
		t.MaxRows = DefaultMaxRows
	}
	return errs
}

// IAMAuth reports whether the sql target is on RDS with IAM database authentication: the
// broker assumes RoleARN with a session policy allowing rds-db:connect as User, and signs an
// RDS auth token with that credential instead of reading a password.
func (t Target) IAMAuth() bool { return t.Kind == "sql" && t.RoleARN != "" }

// DBUserARN is the resource IAM database authentication authorises: User on DBResourceID.
func (t Target) DBUserARN() string {
	m := roleARNRe.FindStringSubmatch(t.RoleARN)
	partition := "aws"
	if m != nil {
		partition = m[1]
	}
	return "arn:" + partition + ":rds-db:" + t.Region + ":" + t.Account + ":dbuser:" + t.DBResourceID + "/" + t.User
}

var dbResourceIDRe = regexp.MustCompile(`^(db|cluster)-[A-Z0-9]{1,255}$`)

func (t *Target) fillRDS() []error {
	errs := t.fillAssumedRole()
	if !dbResourceIDRe.MatchString(t.DBResourceID) {
		errs = append(errs, errors.New("db_resource_id must be the RDS resource id (db-… or cluster-…) for IAM database authentication"))
	}
	if t.SecretRef != "" {
		errs = append(errs, errors.New("secret_ref must be empty with IAM database authentication (role_arn): no password is stored"))
	}
	return errs
}

func (t *Target) fillAWS() []error {
	errs := t.fillAssumedRole()
	if len(t.AllowedResources) == 0 {
		errs = append(errs, errors.New("allowed_resources must list at least one ARN pattern"))
	}
	for i, p := range t.AllowedResources {
		if !resourceRe.MatchString(p) {
			errs = append(errs, fmt.Errorf("allowed_resources[%d] %q must be an ARN (with * wildcards)", i, p))
		}
	}
	seen := map[string]bool{}
	for i, k := range t.KMSKeys {
		m := kmsKeyRe.FindStringSubmatch(k)
		switch {
		case m == nil:
			errs = append(errs, fmt.Errorf("kms_keys[%d] %q must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; no alias, no wildcard)", i, k))
		case m[2] != t.Region:
			errs = append(errs, fmt.Errorf("kms_keys[%d] %q must be in the target's region %q", i, k, t.Region))
		case seen[k]:
			errs = append(errs, fmt.Errorf("kms_keys[%d] %q is listed twice", i, k))
		}
		seen[k] = true
	}
	if t.Endpoint != "" {
		u, err := url.Parse(t.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			errs = append(errs, errors.New("endpoint must be an absolute http(s) URL without credentials"))
		}
	}
	return errs
}

// fillAssumedRole checks what every target reached through STS needs — the role to assume in
// its account and Region — and the session policy's time window, filling its default.
func (t *Target) fillAssumedRole() []error {
	var errs []error
	m := roleARNRe.FindStringSubmatch(t.RoleARN)
	switch {
	case m == nil:
		errs = append(errs, errors.New("role_arn must be an IAM role ARN"))
	case !accountRe.MatchString(t.Account):
		errs = append(errs, errors.New("account must be 12 digits"))
	case m[2] != t.Account:
		errs = append(errs, errors.New("role_arn must be in account"))
	}
	if !regionRe.MatchString(t.Region) {
		errs = append(errs, errors.New("region must be an AWS region name such as us-east-1"))
	}
	if t.PolicyWindow < 0 || time.Duration(t.PolicyWindow) > MaxPolicyWindow {
		errs = append(errs, fmt.Errorf("policy_window must be between 0 and %s", MaxPolicyWindow))
	}
	if t.PolicyWindow == 0 {
		t.PolicyWindow = Duration(DefaultPolicyWindow)
	}
	return errs
}

// AllowsTable reports whether the sql target lets statements touch "schema.table".
// Comparison is exact: PostgreSQL identifiers are case-sensitive once parsed.
func (t Target) AllowsTable(qualified string) bool {
	for _, a := range t.AllowedTables {
		if a == qualified {
			return true
		}
	}
	return false
}

// AllowsResource reports whether the aws target lets actions name the resource ARN: it must
// match one of AllowedResources, where "*" matches any run of characters (as in IAM).
func (t Target) AllowsResource(arn string) bool {
	for _, p := range t.AllowedResources {
		if MatchARN(p, arn) {
			return true
		}
	}
	return false
}

// MatchARN matches an ARN against a pattern in which "*" matches any run of characters and
// "?" any one character, as IAM does for resources.
func MatchARN(pattern, arn string) bool {
	// Iterative wildcard matching with backtracking on the last star: linear in practice.
	p, s := 0, 0
	star, mark := -1, 0
	for s < len(arn) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == arn[s]):
			p++
			s++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, s
			p++
		case star >= 0:
			p = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
