package broker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/target"
	"github.com/mandate-dev/mandate/shared/token"
)

// ErrUnsupported means the broker cannot mint for this kind of target or action yet: the
// action is refused before anything is executed.
var ErrUnsupported = errors.New("broker: unsupported")

// Credential is what the executor presents to the target for one action.
type Credential struct {
	// Header is where the value goes (e.g. Authorization).
	Header string
	// Value is the secret material; it MUST NOT be logged, returned or recorded.
	Value     string
	ExpiresAt time.Time
	// Kind says what was minted, for the audit record.
	Kind string
	// SQL is the ephemeral database login of a sql action.
	SQL *SQLLogin
	// AWS is the temporary AWS credential of an aws action.
	AWS *AWSCredential

	// release drops what was minted (the ephemeral role); nil when nothing needs dropping.
	release func(context.Context) error
}

// Secrets are the credential's secret values, for masking them out of anything the target
// answers (a target that echoes its request headers echoes them): the header value and, for
// a "Scheme value" header, the value alone; the database password; the AWS secret key and
// session token. Never record or return them.
func (c Credential) Secrets() []string {
	var out []string
	add := func(v string) {
		if len(v) >= 8 { // shorter is no secret worth the false matches
			out = append(out, v)
		}
	}
	add(c.Value)
	if _, v, ok := strings.Cut(c.Value, " "); ok {
		add(strings.TrimSpace(v))
	}
	if c.SQL != nil {
		add(c.SQL.Password)
	}
	if c.AWS != nil {
		add(c.AWS.SecretAccessKey)
		add(c.AWS.SessionToken)
	}
	return out
}

// Describe says what was minted without its value, for audit records and logs.
func (c Credential) Describe() string {
	switch {
	case c.SQL != nil:
		return fmt.Sprintf("%s %s with %d grant(s), valid until %s", c.Kind, c.SQL.User, len(c.SQL.Grants), c.ExpiresAt.UTC().Format(time.RFC3339))
	case c.AWS != nil:
		return fmt.Sprintf("%s %s (%s), expires %s", c.Kind, c.AWS.AccessKeyID, c.AWS.SessionName, c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s in %s header, expires %s", c.Kind, c.Header, c.ExpiresAt.UTC().Format(time.RFC3339))
}

// Release drops what was minted for the action (for sql, the ephemeral role). The pipeline
// calls it once the executor is done, whatever the outcome; it is safe on any Credential.
func (c Credential) Release(ctx context.Context) error {
	if c.release == nil {
		return nil
	}
	return c.release(ctx)
}

// Scope names what the credential is minted for.
type Scope struct {
	Session string
	Record  string // hash of the decision record it is minted under
	// Agent, Operator and Intent describe who asks and why; they become the AWS
	// SourceIdentity and session tags.
	Agent            string
	Operator         string
	OperatorVerified bool
	Intent           string
	// Statement is the parsed statement of a sql action.
	Statement *sqlparse.Statement
}

// Secrets reads the secret a target's SecretRef names.
type Secrets interface {
	Secret(ctx context.Context, ref string) ([]byte, error)
}

// Broker mints credentials.
type Broker struct {
	secrets Secrets
	now     func() time.Time
	sql     *sqlRoles
	aws     *awsBroker
}

// New returns a Broker reading secrets from s. It mints for http and sql targets; aws
// targets need UseSTS.
func New(s Secrets, now func() time.Time) *Broker {
	if now == nil {
		now = time.Now
	}
	return &Broker{secrets: s, now: now, sql: newSQLRoles(s, now)}
}

// Close releases the broker's database connections.
func (b *Broker) Close() {
	b.sql.close()
}

// Mint returns the credential for action a on target t.
func (b *Broker) Mint(ctx context.Context, t target.Target, a api.Action, sc Scope) (Credential, error) {
	if t.Kind != a.Kind {
		return Credential{}, fmt.Errorf("%w: %s action on %s target %q", ErrUnsupported, a.Kind, t.Kind, t.Name)
	}
	switch t.Kind {
	case api.KindHTTP:
		return b.mintHTTP(ctx, t, a, sc)
	case api.KindSQL:
		if t.IAMAuth() {
			return b.mintRDS(ctx, t, sc)
		}
		return b.sql.mint(ctx, t, sc)
	case api.KindAWS:
		if b.aws == nil {
			return Credential{}, fmt.Errorf("%w: no STS client is configured for aws target %q", ErrUnsupported, t.Name)
		}
		return b.aws.mint(ctx, t, a, sc)
	}
	return Credential{}, fmt.Errorf("%w: %s target %q", ErrUnsupported, t.Kind, t.Name)
}

func (b *Broker) mintHTTP(ctx context.Context, t target.Target, a api.Action, sc Scope) (Credential, error) {
	secret, err := b.secrets.Secret(ctx, t.SecretRef)
	if err != nil {
		return Credential{}, fmt.Errorf("broker: secret for target %q: %w", t.Name, err)
	}
	exp := b.now().Add(time.Duration(t.CredentialTTL))
	id := sc.Record
	if len(id) > 16 {
		id = id[:16]
	}
	tok, err := token.Mint(secret, token.Claims{
		Audience: t.Name, Method: a.Method, Path: a.Path,
		Session: sc.Session, ID: id, ExpiresAt: exp.Unix(),
		Agent: sc.Agent, Operator: sc.Operator, IssuedAt: b.now().Unix(),
	})
	if err != nil {
		return Credential{}, fmt.Errorf("broker: mint for target %q: %w", t.Name, err)
	}
	return Credential{Header: t.AuthHeader, Value: "Bearer " + tok, ExpiresAt: exp, Kind: "action-token"}, nil
}

// FileSecrets reads "file:PATH" references relative to a directory and caches them.
type FileSecrets struct {
	dir   string
	mu    sync.Mutex
	cache map[string][]byte
}

// NewFileSecrets returns secrets read from files under dir.
func NewFileSecrets(dir string) *FileSecrets {
	return &FileSecrets{dir: dir, cache: map[string][]byte{}}
}

// Secret implements Secrets.
func (f *FileSecrets) Secret(_ context.Context, ref string) ([]byte, error) {
	name, ok := strings.CutPrefix(ref, "file:")
	if !ok || name == "" || filepath.IsAbs(name) || !filepath.IsLocal(name) {
		return nil, fmt.Errorf("broker: secret reference must be file:RELATIVE-PATH inside the data folder")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.cache[name]; ok {
		return s, nil
	}
	raw, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		return nil, fmt.Errorf("broker: read secret file %q: %w", name, err)
	}
	s := []byte(strings.TrimSpace(string(raw)))
	f.cache[name] = s
	return s, nil
}
