package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/target"
)

// RolePrefix starts the name of every ephemeral role the broker creates; the sweep drops
// expired roles with this prefix and never touches any other role.
const RolePrefix = "mandate_eph_"

// ErrNotGrantable means the statement needs a privilege no ephemeral role may be given (DROP
// needs ownership; a table outside the target's allowed set is never granted, whatever the
// caller checked before): the action is refused, nothing is created.
var ErrNotGrantable = errors.New("broker: the statement needs a privilege that cannot be granted")

// SQLLogin is the ephemeral database role of one sql action.
type SQLLogin struct {
	User string
	// Password MUST NOT be logged, returned or recorded.
	Password string
	// Grants are the GRANT statements the role was given, for the record.
	Grants []string
	// ReadOnly says the statement only reads: the executor runs it in a read-only transaction.
	ReadOnly bool
}

// SQLGrants returns the privileges the ephemeral role of stmt gets on target t, as GRANT
// statements with the role written ROLE. For INSERT it also lists USAGE on the sequences
// the table owns, resolved when the role is created.
func SQLGrants(t target.Target, stmt sqlparse.Statement) ([]string, error) {
	var out []string
	schemas := map[string]bool{}
	for _, tb := range stmt.Tables {
		if !t.AllowsTable(tb.QualifiedName()) {
			return nil, fmt.Errorf("%w: %s is not an allowed table of target %q", ErrNotGrantable, tb.QualifiedName(), t.Name)
		}
		for _, p := range tb.Privileges {
			if p == sqlparse.PrivOwner {
				return nil, fmt.Errorf("%w: %s on %s needs ownership", ErrNotGrantable, stmt.Type, tb.QualifiedName())
			}
			out = append(out, fmt.Sprintf("GRANT %s ON TABLE %s TO ROLE", p, pgx.Identifier{tb.Schema, tb.Name}.Sanitize()))
			if p == sqlparse.PrivInsert {
				out = append(out, fmt.Sprintf("GRANT USAGE ON SEQUENCES OWNED BY %s TO ROLE", pgx.Identifier{tb.Schema, tb.Name}.Sanitize()))
			}
		}
		schemas[tb.Schema] = true
	}
	head := []string{fmt.Sprintf("GRANT CONNECT ON DATABASE %s TO ROLE", pgx.Identifier{t.Database}.Sanitize())}
	for _, s := range slices.Sorted(maps.Keys(schemas)) {
		head = append(head, fmt.Sprintf("GRANT USAGE ON SCHEMA %s TO ROLE", pgx.Identifier{s}.Sanitize()))
	}
	return append(head, out...), nil
}

// sqlRoles creates one PostgreSQL role per action through an administrator connection
// pool per target.
type sqlRoles struct {
	secrets Secrets
	now     func() time.Time
	mu      sync.Mutex
	pools   map[string]*pgxpool.Pool // by target name and address
	swept   sync.Map                 // *pgxpool.Pool -> true once swept
}

func newSQLRoles(s Secrets, now func() time.Time) *sqlRoles {
	return &sqlRoles{secrets: s, now: now, pools: map[string]*pgxpool.Pool{}}
}

func (r *sqlRoles) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, p := range r.pools {
		p.Close()
		delete(r.pools, k)
	}
}

// ConnConfig is how a login reaches an sql target: TLS is required except on loopback.
func ConnConfig(t target.Target, user, password string) (*pgx.ConnConfig, error) {
	host, port, err := net.SplitHostPort(t.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("broker: target %q endpoint: %w", t.Name, err)
	}
	mode := "require"
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		mode = "disable"
	}
	cfg, err := pgx.ParseConfig("sslmode=" + mode)
	if err != nil {
		return nil, err
	}
	p, _ := strconv.Atoi(port)
	cfg.Host, cfg.Port, cfg.Database, cfg.User, cfg.Password = host, uint16(p), t.Database, user, password
	cfg.ConnectTimeout = time.Duration(t.Timeout)
	cfg.RuntimeParams["application_name"] = "mandate"
	return cfg, nil
}

// admin returns the target's administrator pool.
func (r *sqlRoles) admin(ctx context.Context, t target.Target) (*pgxpool.Pool, error) {
	key := t.Name + "\x00" + t.Endpoint + "\x00" + t.Database + "\x00" + t.User
	r.mu.Lock()
	p, ok := r.pools[key]
	r.mu.Unlock()
	if ok {
		return p, nil
	}
	secret, err := r.secrets.Secret(ctx, t.SecretRef)
	if err != nil {
		return nil, fmt.Errorf("broker: secret for target %q: %w", t.Name, err)
	}
	cc, err := ConnConfig(t, t.User, string(secret))
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	pc.ConnConfig, pc.MaxConns = cc, 4
	p, err = pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("broker: connect to target %q: %w", t.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if existing, ok := r.pools[key]; ok {
		p.Close()
		return existing, nil
	}
	r.pools[key] = p
	return p, nil
}

// Sweep drops the expired ephemeral roles of target t and returns their number.
func (b *Broker) Sweep(ctx context.Context, t target.Target) (int, error) {
	p, err := b.sql.admin(ctx, t)
	if err != nil {
		return 0, err
	}
	n, err := sweep(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("broker: sweep target %q: %w", t.Name, err)
	}
	b.sql.swept.Store(p, true)
	return n, nil
}

func sweep(ctx context.Context, p *pgxpool.Pool) (int, error) {
	rows, err := p.Query(ctx, `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) AND rolvaliduntil < now()`, RolePrefix)
	if err != nil {
		return 0, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	for _, n := range names {
		if err := dropRole(ctx, p, n); err != nil {
			return 0, err
		}
	}
	return len(names), nil
}

// dropRole ends the role's sessions (a statement still running as the role stops: this is how
// a kill reaches an action in flight), then drops what it was granted and the role. Ending the
// sessions needs pg_signal_backend (or superuser); without it the drop still happens and the
// running statement ends at its timeout.
func dropRole(ctx context.Context, p *pgxpool.Pool, name string) error {
	id := pgx.Identifier{name}.Sanitize()
	_, _ = p.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", name)
	_, err := p.Exec(ctx, "DROP OWNED BY "+id+"; DROP ROLE IF EXISTS "+id, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return fmt.Errorf("broker: drop role %s: %w", name, err)
	}
	return nil
}

// mint creates the role, grants exactly what the statement needs and returns its login.
func (r *sqlRoles) mint(ctx context.Context, t target.Target, sc Scope) (Credential, error) {
	if sc.Statement == nil {
		return Credential{}, fmt.Errorf("%w: sql action on target %q without a parsed statement", ErrUnsupported, t.Name)
	}
	grants, err := SQLGrants(t, *sc.Statement)
	if err != nil {
		return Credential{}, err
	}
	p, err := r.admin(ctx, t)
	if err != nil {
		return Credential{}, err
	}
	// The first action on a database sweeps the expired roles a stopped process left behind
	// between create and drop.
	if _, done := r.swept.Load(p); !done {
		if _, err := sweep(ctx, p); err != nil {
			return Credential{}, fmt.Errorf("broker: sweep target %q: %w", t.Name, err)
		}
		r.swept.Store(p, true)
	}
	name := roleName(sc.Record)
	id := pgx.Identifier{name}.Sanitize()
	var pw [24]byte
	_, _ = rand.Read(pw[:])
	password := hex.EncodeToString(pw[:])
	exp := r.now().Add(time.Duration(t.CredentialTTL)).UTC()

	tx, err := p.Begin(ctx)
	if err != nil {
		return Credential{}, fmt.Errorf("broker: target %q: %w", t.Name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// The password is hex and the role name a sanitized identifier: CREATE ROLE takes no
	// parameters, so both are spelled into the statement.
	create := fmt.Sprintf("CREATE ROLE %s LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 2 PASSWORD '%s' VALID UNTIL '%s'",
		id, password, exp.Format("2006-01-02 15:04:05.999999Z07:00"))
	if _, err := tx.Exec(ctx, create); err != nil {
		return Credential{}, fmt.Errorf("broker: create role on target %q: %w", t.Name, err)
	}
	var given []string
	for _, g := range grants {
		if owned, ok := strings.CutPrefix(g, "GRANT USAGE ON SEQUENCES OWNED BY "); ok {
			table := strings.TrimSuffix(owned, " TO ROLE")
			rows, err := tx.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_depend d
				JOIN pg_class c ON c.oid = d.objid JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE c.relkind = 'S' AND d.refobjid = to_regclass($1) AND d.deptype IN ('a', 'i')`, table)
			if err != nil {
				return Credential{}, fmt.Errorf("broker: sequences of %s on target %q: %w", table, t.Name, err)
			}
			seqs, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return Credential{}, fmt.Errorf("broker: sequences of %s on target %q: %w", table, t.Name, err)
			}
			for _, s := range seqs {
				stmt := "GRANT USAGE ON SEQUENCE " + s + " TO " + id
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return Credential{}, fmt.Errorf("broker: grant on target %q: %w", t.Name, err)
				}
				given = append(given, strings.TrimSuffix(stmt, id)+"ROLE")
			}
			continue
		}
		stmt := strings.TrimSuffix(g, "ROLE") + id
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return Credential{}, fmt.Errorf("broker: grant on target %q: %w", t.Name, err)
		}
		given = append(given, g)
	}
	if err := tx.Commit(ctx); err != nil {
		return Credential{}, fmt.Errorf("broker: create role on target %q: %w", t.Name, err)
	}
	return Credential{
		Kind: "postgres-ephemeral-role", ExpiresAt: exp,
		SQL: &SQLLogin{User: name, Password: password, Grants: given, ReadOnly: sc.Statement.ReadOnly},
		release: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			return dropRole(ctx, p, name)
		},
	}, nil
}

// roleName is RolePrefix, the first 12 hex digits of the decision record's hash (so a role
// seen in pg_stat_activity leads to its record), and 64 random bits.
func roleName(record string) string {
	rec := strings.ToLower(record)
	if len(rec) > 12 {
		rec = rec[:12]
	}
	if _, err := hex.DecodeString(rec); err != nil || len(rec)%2 != 0 {
		rec = "x"
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return RolePrefix + rec + "_" + hex.EncodeToString(b[:])
}
