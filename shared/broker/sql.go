package broker

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
	// Grants are the privileges the role holds, as GRANT statements, for the record; it holds
	// them through membership in standing roles (StandingPrefix).
	Grants []string
	// ReadOnly says the statement only reads: the executor runs it in a read-only transaction.
	ReadOnly bool
	// Writes are the tables ("schema.name") the parsed statement may change: the executor
	// rolls the statement back if it changed any other table.
	Writes []string
	// Outputs are the statement's output columns with their lineage: the executor masks the
	// ones reading a classified column of the target.
	Outputs []sqlparse.Output
	// Reads are the tables ("schema.name") the parsed statement names: where one has a
	// classified column, the executor withholds PostgreSQL's message of a failure that came
	// from the data rather than from the statement's text.
	Reads []string
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

// StandingPrefix starts the name of the standing roles: one NOLOGIN role per table and
// privilege, created once and never dropped by the broker, holding that one privilege (and
// CONNECT on the database and USAGE on the schema). Each ephemeral role is made a member of
// the standing roles its statement needs, so an action never changes a table's ACL: per
// action GRANTs on the same table collide ("tuple concurrently updated") under concurrency.
const StandingPrefix = "mandate_t_"

// sweepEvery is how often expired ephemeral roles are swept once a database has been swept.
const sweepEvery = 10 * time.Minute

// sqlRoles creates one PostgreSQL role per action through an administrator connection
// pool per target.
type sqlRoles struct {
	secrets  Secrets
	now      func() time.Time
	mu       sync.Mutex
	pools    map[string]*pgxpool.Pool // by target name, address and TLS settings
	sweptAt  map[*pgxpool.Pool]time.Time
	standing sync.Map // pool pointer + role name -> true once the standing role exists
	sweeps   sync.WaitGroup
}

func newSQLRoles(s Secrets, now func() time.Time) *sqlRoles {
	return &sqlRoles{secrets: s, now: now, pools: map[string]*pgxpool.Pool{}, sweptAt: map[*pgxpool.Pool]time.Time{}}
}

func (r *sqlRoles) close() {
	r.sweeps.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, p := range r.pools {
		p.Close()
		delete(r.pools, k)
	}
}

// ConnConfig is how a login reaches an sql target. Off loopback the server is verified in
// full (target.TLSMode): its certificate must chain to the system roots or the target's CA
// bundle and name the endpoint's host; "require" (a target's explicit choice, warned about
// when the registry loads) encrypts without verifying. There is never a plain-text fallback.
func ConnConfig(t target.Target, user, password string) (*pgx.ConnConfig, error) {
	host, port, err := net.SplitHostPort(t.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("broker: target %q endpoint: %w", t.Name, err)
	}
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, err
	}
	switch t.TLSMode() {
	case target.SSLDisable:
	case target.SSLRequire:
		cfg.TLSConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} // the target's explicit choice
	default:
		roots, err := rootsFor(t)
		if err != nil {
			return nil, fmt.Errorf("broker: target %q: %w", t.Name, err)
		}
		cfg.TLSConfig = &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	p, _ := strconv.Atoi(port)
	cfg.Host, cfg.Port, cfg.Database, cfg.User, cfg.Password = host, uint16(p), t.Database, user, password
	cfg.ConnectTimeout = time.Duration(t.Timeout)
	cfg.RuntimeParams["application_name"] = "mandate"
	return cfg, nil
}

// rootsFor is the system roots plus the target's CA bundle (PEM text, or a file read now);
// nil, which TLS reads as the system roots, when there is no bundle. Pools are built once per
// bundle (and file version): parsing the RDS global bundle costs milliseconds per connection.
func rootsFor(t target.Target) (*x509.CertPool, error) {
	if t.CABundle == "" {
		return nil, nil
	}
	key := t.CABundle
	if !target.IsPEM(t.CABundle) {
		st, err := os.Stat(t.CABundle)
		if err != nil {
			return nil, fmt.Errorf("ca_bundle: %w", err)
		}
		key = fmt.Sprintf("%s\x00%d\x00%d", t.CABundle, st.ModTime().UnixNano(), st.Size())
	}
	if p := rootPools.get(key); p != nil {
		return p, nil
	}
	raw := []byte(t.CABundle)
	if !target.IsPEM(t.CABundle) {
		var err error
		if raw, err = os.ReadFile(t.CABundle); err != nil {
			return nil, fmt.Errorf("ca_bundle: %w", err)
		}
	}
	certs, err := target.ParseCABundle(raw)
	if err != nil {
		return nil, fmt.Errorf("ca_bundle: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	for _, c := range certs {
		roots.AddCert(c)
	}
	rootPools.put(key, roots)
	return roots, nil
}

// rootPools caches the pools of rootsFor; a pool is only read once built.
var rootPools = poolCache{m: map[string]*x509.CertPool{}}

// maxRootPools bounds rootPools: past it the cache starts over.
const maxRootPools = 64

type poolCache struct {
	mu sync.Mutex
	m  map[string]*x509.CertPool
}

func (c *poolCache) get(key string) *x509.CertPool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *poolCache) put(key string, p *x509.CertPool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxRootPools {
		clear(c.m)
	}
	c.m[key] = p
}

// admin returns the target's administrator pool.
func (r *sqlRoles) admin(ctx context.Context, t target.Target) (*pgxpool.Pool, error) {
	// How the pool connects is part of its key: a registry version that changes the TLS mode
	// or the CA bundle gets a pool that connects its way, never the one before it.
	bundle := sha256.Sum256([]byte(t.CABundle))
	key := strings.Join([]string{t.Name, t.Endpoint, t.Database, t.User, t.TLSMode(), hex.EncodeToString(bundle[:])}, "\x00")
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

// Sweep drops the expired ephemeral roles of target t and returns their number. A role it
// cannot drop is named in the error; the others are dropped all the same.
func (b *Broker) Sweep(ctx context.Context, t target.Target) (int, error) {
	p, err := b.sql.admin(ctx, t)
	if err != nil {
		return 0, err
	}
	n, err := sweep(ctx, p)
	b.sql.mu.Lock()
	b.sql.sweptAt[p] = time.Now()
	b.sql.mu.Unlock()
	if err != nil {
		return n, fmt.Errorf("broker: sweep target %q: %w", t.Name, err)
	}
	return n, nil
}

// sweepSoon starts a sweep of p in the background when none ran in the last sweepEvery. A
// failed sweep is only retried later: it never stands in the way of an action.
func (r *sqlRoles) sweepSoon(p *pgxpool.Pool) {
	r.mu.Lock()
	if last, ok := r.sweptAt[p]; ok && time.Since(last) < sweepEvery {
		r.mu.Unlock()
		return
	}
	r.sweptAt[p] = time.Now()
	r.sweeps.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.sweeps.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = sweep(ctx, p)
	}()
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
	n := 0
	var errs []error
	for _, name := range names {
		if err := dropRole(ctx, p, name); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// dropRole ends the role's sessions (a statement still running as the role stops: this is how
// a kill reaches an action in flight), then drops what it owns and the role.
//
// The administrator first makes itself a member of the role. On PostgreSQL 15 CREATEROLE may
// grant and drop any non-superuser role but DROP OWNED BY and pg_terminate_backend need the
// privileges of the role ("permission denied to drop objects"); on PostgreSQL 16 and later the
// creator of a role holds ADMIN OPTION on it, which lets it grant itself the membership.
//
// All of it is one transaction under an advisory lock on the role's name, so a role is never
// dropped by two at once: a release and a sweep of the same expired role (in one process or
// two) otherwise fail each other with whatever catalog row the other removed first ("tuple
// concurrently deleted", "permission denied to drop objects", a duplicate membership). The
// second to take the lock finds the role gone, which is not an error; so is a role gone by
// the time a failed attempt is looked at again. A role still there is tried once more.
func dropRole(ctx context.Context, p *pgxpool.Pool, name string) error {
	var err error
	for range 2 {
		err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error { return dropRoleTx(ctx, tx, name) })
		if err == nil || isUndefinedRole(err) {
			return nil
		}
		var exists bool
		if qerr := p.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&exists); qerr != nil {
			return err
		} else if !exists {
			return nil
		}
	}
	return err
}

func dropRoleTx(ctx context.Context, tx pgx.Tx, name string) error {
	id := pgx.Identifier{name}.Sanitize()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"SELECT pg_advisory_xact_lock(hashtextextended('mandate drop role ' || $1, 0))", []any{name}},
		{"GRANT " + id + " TO CURRENT_USER", nil},
		{"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", []any{name}},
		{"DROP OWNED BY " + id, nil},
		{"DROP ROLE " + id, nil},
	} {
		if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("broker: drop role %s: %w", name, err)
		}
	}
	return nil
}

func isUndefinedRole(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42704"
}

// standingRole is the name of the standing role holding priv on table of database db: the
// prefix, 16 hex digits of a hash of database, schema and table (roles are per cluster, table
// names are per database) and the privilege.
func standingRole(db string, table sqlparse.Table, priv string) string {
	h := sha256.Sum256([]byte(db + "\x00" + table.Schema + "\x00" + table.Name))
	return StandingPrefix + hex.EncodeToString(h[:8]) + "_" + strings.ToLower(priv)
}

// writtenTables are the tables ("schema.name") stmt may change: those it needs a privilege
// other than SELECT on.
func writtenTables(stmt sqlparse.Statement) []string {
	var out []string
	for _, tb := range stmt.Tables {
		if slices.ContainsFunc(tb.Privileges, func(p string) bool { return p != sqlparse.PrivSelect }) {
			out = append(out, tb.QualifiedName())
		}
	}
	return out
}

// standingRoles names the standing roles an ephemeral role for stmt joins, in order.
func standingRoles(t target.Target, stmt sqlparse.Statement) []string {
	var out []string
	for _, tb := range stmt.Tables {
		for _, priv := range tb.Privileges {
			out = append(out, standingRole(t.Database, tb, priv))
		}
	}
	return out
}

// ensureStanding creates the standing role of priv on table with its grants unless it exists.
// Creations on a database are serialised by an advisory lock, so concurrent first actions
// neither collide on the table's ACL nor create the role twice; a role that exists was made in
// one committed transaction with all its grants.
func (r *sqlRoles) ensureStanding(ctx context.Context, p *pgxpool.Pool, t target.Target, table sqlparse.Table, priv string) (string, error) {
	name := standingRole(t.Database, table, priv)
	key := fmt.Sprintf("%p\x00%s", p, name)
	if _, ok := r.standing.Load(key); ok {
		return name, nil
	}
	tx, err := p.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("broker: target %q: %w", t.Name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('mandate standing roles', 0))"); err != nil {
		return "", fmt.Errorf("broker: lock standing roles on target %q: %w", t.Name, err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("broker: standing role on target %q: %w", t.Name, err)
	}
	if !exists {
		id := pgx.Identifier{name}.Sanitize()
		tbl := pgx.Identifier{table.Schema, table.Name}.Sanitize()
		stmts := []string{
			"CREATE ROLE " + id + " NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
			"GRANT CONNECT ON DATABASE " + pgx.Identifier{t.Database}.Sanitize() + " TO " + id,
			"GRANT USAGE ON SCHEMA " + pgx.Identifier{table.Schema}.Sanitize() + " TO " + id,
			"GRANT " + priv + " ON TABLE " + tbl + " TO " + id,
		}
		var seqs []string
		if priv == sqlparse.PrivInsert {
			rows, err := tx.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_depend d
				JOIN pg_class c ON c.oid = d.objid JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE c.relkind = 'S' AND d.refobjid = to_regclass($1) AND d.deptype IN ('a', 'i')`, tbl)
			if err != nil {
				return "", fmt.Errorf("broker: sequences of %s on target %q: %w", tbl, t.Name, err)
			}
			seqs, err = pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return "", fmt.Errorf("broker: sequences of %s on target %q: %w", tbl, t.Name, err)
			}
			for _, sq := range seqs {
				stmts = append(stmts, "GRANT USAGE ON SEQUENCE "+sq+" TO "+id)
			}
		}
		for _, st := range stmts {
			if _, err := tx.Exec(ctx, st); err != nil {
				return "", fmt.Errorf("broker: standing role %s on target %q: %w", name, t.Name, err)
			}
		}
		// GRANT by an administrator without the grant option only warns ("no privileges were
		// granted"): check, or the role would exist for good without its privilege.
		var ok bool
		if err := tx.QueryRow(ctx, "SELECT has_table_privilege($1, to_regclass($2), $3)", name, tbl, priv).Scan(&ok); err != nil {
			return "", fmt.Errorf("broker: standing role %s on target %q: %w", name, t.Name, err)
		}
		if !ok {
			return "", fmt.Errorf("broker: target %q: the administrator %s cannot grant %s on %s (it needs the privilege WITH GRANT OPTION)", t.Name, t.User, priv, tbl)
		}
		// The same for the sequences an INSERT draws its defaults from: without USAGE every
		// INSERT through this role would fail, for as long as the role stands.
		for _, sq := range seqs {
			if err := tx.QueryRow(ctx, "SELECT has_sequence_privilege($1, $2, 'USAGE')", name, sq).Scan(&ok); err != nil {
				return "", fmt.Errorf("broker: standing role %s on target %q: %w", name, t.Name, err)
			}
			if !ok {
				return "", fmt.Errorf("broker: target %q: the administrator %s cannot grant USAGE on sequence %s, which INSERT into %s uses (it needs the privilege WITH GRANT OPTION)", t.Name, t.User, sq, tbl)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("broker: standing role %s on target %q: %w", name, t.Name, err)
	}
	r.standing.Store(key, true)
	return name, nil
}

// mint creates the role as a member of the standing roles the statement needs and returns
// its login.
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
	// Expired roles a stopped process left behind between create and drop are swept in the
	// background, on the first action on a database and then every sweepEvery.
	r.sweepSoon(p)
	var member []string
	for _, tb := range sc.Statement.Tables {
		for _, priv := range tb.Privileges {
			name, err := r.ensureStanding(ctx, p, t, tb, priv)
			if err != nil {
				return Credential{}, err
			}
			member = append(member, pgx.Identifier{name}.Sanitize())
		}
	}
	name := roleName(sc.Record)
	id := pgx.Identifier{name}.Sanitize()
	var pw [24]byte
	_, _ = rand.Read(pw[:])
	password := hex.EncodeToString(pw[:])
	exp := r.now().Add(time.Duration(t.CredentialTTL)).UTC()
	// The verifier is base64 and the role names sanitized identifiers: CREATE ROLE takes no
	// parameters, so all are spelled into the statement. The password itself never reaches
	// the server's statement log. One statement: the role never exists without its
	// memberships.
	create := fmt.Sprintf("CREATE ROLE %s LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 2 PASSWORD '%s' VALID UNTIL '%s'",
		id, scramVerifier(password), exp.Format("2006-01-02 15:04:05.999999Z07:00"))
	if len(member) > 0 {
		create += " IN ROLE " + strings.Join(member, ", ")
	}
	if _, err := p.Exec(ctx, create); err != nil {
		return Credential{}, fmt.Errorf("broker: create role on target %q: %w", t.Name, err)
	}
	return Credential{
		Kind: "postgres-ephemeral-role", ExpiresAt: exp,
		SQL: &SQLLogin{User: name, Password: password, Grants: grants, ReadOnly: sc.Statement.ReadOnly, Writes: writtenTables(*sc.Statement), Outputs: sc.Statement.Outputs, Reads: sc.Statement.TableNames()},
		release: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			return dropRole(ctx, p, name)
		},
	}, nil
}

// scramIterations is the PBKDF2 iteration count of an ephemeral role's SCRAM-SHA-256
// verifier. Stretching protects guessable passwords; an ephemeral password is 192 random
// bits, so one iteration loses nothing and spares each action's login the client side of
// PostgreSQL's default 4,096.
const scramIterations = 1

// scramVerifier is the SCRAM-SHA-256 secret PostgreSQL stores for password (RFC 5802, RFC
// 7677), in the form CREATE ROLE ... PASSWORD accepts as already hashed.
func scramVerifier(password string) string {
	var salt [16]byte
	_, _ = rand.Read(salt[:])
	salted, _ := pbkdf2.Key(sha256.New, password, salt[:], scramIterations, sha256.Size)
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", scramIterations, b64(salt[:]), b64(stored[:]), b64(mac(salted, "Server Key")))
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
