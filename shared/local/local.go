package local

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/mcpgate"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

//go:embed defaults
var defaults embed.FS

// Init prepares a data folder: config.yaml with fresh demo keys and the demo target's secret.
// It leaves an already initialised folder as it is and returns its configuration.
func Init(dir string) (Config, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Config{}, fmt.Errorf("local: data folder: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); errors.Is(err, os.ErrNotExist) {
		c, err := newConfig()
		if err != nil {
			return Config{}, err
		}
		if err := writeConfig(dir, c); err != nil {
			return Config{}, err
		}
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		if err := writeFileOnce(filepath.Join(dir, demoSecretPath), []byte(hex.EncodeToString(secret)+"\n")); err != nil {
			return Config{}, err
		}
	}
	return LoadConfig(dir)
}

// Seed stores version 1 of the default policy set, intent catalog and target registry where
// the store has none yet; existing versions are left alone.
func Seed(ctx context.Context, st store.Store) error {
	pol, _ := defaults.ReadFile("defaults/policies.cedar")
	cat, _ := defaults.ReadFile("defaults/intents.yaml")
	docs := map[string][]byte{
		store.KindPolicies: pol,
		store.KindIntents:  cat,
		store.KindTargets:  targetsFor(),
	}
	for kind, body := range docs {
		_, err := st.LatestDocument(ctx, kind, authority.DocumentName)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("local: read %s: %w", kind, err)
		}
		err = st.PutDocument(ctx, store.Document{Kind: kind, Name: authority.DocumentName, Version: 1, Body: body, CreatedBy: "mandate local init", CreatedAt: time.Now().UTC()})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("local: seed %s: %w", kind, err)
		}
	}
	return nil
}

// targetsFor is the default target registry: the demo customer service.
func targetsFor() []byte {
	return fmt.Appendf(nil, `# Targets agents may name. Agents never see these details.
targets:
  - name: %s
    kind: http
    base_url: http://%s
    secret_ref: %s
    mask_profile: default
    timeout: 5s
    max_response_bytes: 1048576
    credential_ttl: 30s
  # A PostgreSQL warehouse: each allowed statement runs as an ephemeral role created for it
  # (password in secrets/warehouse.key, the password of user). Statements that policy or the
  # allowed tables refuse never reach it.
  - name: %s
    kind: sql
    endpoint: 127.0.0.1:5432
    database: warehouse
    user: mandate
    secret_ref: file:secrets/warehouse.key
    allowed_tables: [public.customers, public.orders]
    # Columns masked whole in results, through any function, cast, aggregate or JSON key.
    classified_columns: {public.customers.email: email}
    timeout: 5s
    max_rows: 500
%s`, crm.Audience, DemoTargetHost, DemoSecretRef, DemoSQLTarget, demoAWSTarget)
}

// EndpointFile, in the data folder, holds the URL of the running API while it serves.
const EndpointFile = "endpoint"

// Endpoint returns the URL of the API serving data folder dir, as the running instance wrote
// it; "" when none is running there.
func Endpoint(dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, EndpointFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(raw))
}

// Options configure Start.
type Options struct {
	// Dir is the data folder.
	Dir string
	// Addr is where the API listens; "127.0.0.1:0" picks a free port.
	Addr string
	// Log receives structured logs; nil discards them.
	Log *slog.Logger
	// Store overrides the embedded store (tests use it to inject faults); nil opens DIR/mandate.db.
	Store store.Store
	// AWSEndpoint overrides config.yaml's aws_endpoint (Config.AWSEndpoint).
	AWSEndpoint string
	// AWSTransport carries every request to the AWS endpoint (STS and the targets'
	// services); nil is a default transport. Tests record with it.
	AWSTransport http.RoundTripper
	// MCPIdleTimeout closes an MCP session idle this long; 0 is mcpgate.DefaultIdleTimeout.
	MCPIdleTimeout time.Duration
	// MCPMaxSessions is how many MCP sessions one agent may hold; 0 is
	// mcpgate.DefaultMaxSessions.
	MCPMaxSessions int
}

// Instance is a running local authority.
type Instance struct {
	URL    string // base URL of the API
	Config Config
	Dir    string
	CRM    *crm.Service // the demo target, nil if disabled
	// CRMAddr is where the demo target listens.
	CRMAddr string
	// Handler is the edge handler the gateway calls, for feeding it API Gateway events directly.
	Handler *edge.Handler
	// AWSEndpoint is the AWS stand-in aws targets run against; "" when there is none.
	AWSEndpoint string
	// MCP is the MCP front door served at /mcp.
	MCP *mcpgate.Gate

	store    store.Store
	ownsDB   bool
	servers  []*http.Server
	inflight atomic.Int64         // requests being served, for Close
	broker   *broker.Broker       // closed with the instance (its database pools)
	auth     *authority.Authority // for Explain (explain.go)
	archiver *archiver            // ships the audit chain to DATA/archive and checkpoints it
}

// StoreStats returns the embedded store's counts of durable writes and commits; false when
// the instance runs on another store.
func (i *Instance) StoreStats() (bolt.Stats, bool) {
	s, ok := i.store.(interface{ Stats() bolt.Stats })
	if !ok {
		return bolt.Stats{}, false
	}
	return s.Stats(), true
}

// Start initialises the data folder if needed and serves the API and the demo target.
func Start(ctx context.Context, o Options) (*Instance, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := Init(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := ValidAWSEndpoint(o.AWSEndpoint); err != nil {
		return nil, fmt.Errorf("local: aws endpoint: %w", err)
	}
	inst := &Instance{Dir: o.Dir, Config: cfg, store: o.Store, AWSEndpoint: cfg.AWSEndpoint}
	if o.AWSEndpoint != "" {
		inst.AWSEndpoint = o.AWSEndpoint
	}
	if inst.store == nil {
		if inst.store, err = OpenStore(ctx, o.Dir, cfg, false); err != nil {
			return nil, err
		}
		inst.ownsDB = true
	}
	ok := false
	defer func() {
		if !ok {
			inst.Close()
		}
	}()
	if err := Seed(ctx, inst.store); err != nil {
		return nil, err
	}
	if inst.archiver, err = startArchive(ctx, o.Dir, inst.store, log); err != nil {
		return nil, err
	}
	secrets := broker.NewFileSecrets(o.Dir)
	if cfg.DemoTarget.Enabled {
		secret, err := secrets.Secret(ctx, DemoSecretRef)
		if err != nil {
			return nil, err
		}
		inst.CRM = crm.New(secret, time.Now)
		if inst.CRMAddr, err = inst.serve(cfg.DemoTarget.Addr, inst.CRM); err != nil {
			return nil, fmt.Errorf("local: demo target: %w", err)
		}
	}
	keys, roles := cfg.identities()
	tokens, err := cfg.tokenVerifier(o.Dir) // issuers.go
	if err != nil {
		return nil, err
	}
	maskKey, err := maskKey(o.Dir) // maskkey.go
	if err != nil {
		return nil, err
	}
	revs, err := inst.revocations(ctx) // kill.go
	if err != nil {
		return nil, err
	}
	brk, awsExec := inst.brokerFor(secrets, o.AWSTransport) // targets.go
	auth, err := authority.New(ctx, authority.Config{
		Store: inst.store, Broker: brk, Executor: execute.Executors{HTTP: execute.NewHTTP(inst.transport()), SQL: execute.NewSQL(), AWS: awsExec},
		Masker: mask.New(), Log: log, Roles: roles, SQL: pgquery.New(), Tokens: tokens, MaskKey: maskKey,
		Control: authority.ControlConfig{Revocations: revs},
	})
	if err != nil {
		return nil, err
	}
	inst.auth = auth
	h, err := edge.New(auth, log, edge.AllRoutes)
	if err != nil {
		return nil, err
	}
	inst.Handler = h
	v, err := identity.NewSigV4Verifier(cfg.Region, keys, time.Now)
	if err != nil {
		return nil, fmt.Errorf("local: agent keys: %w", err)
	}
	gw := NewGateway(h, v, log)
	gw.humanKeys = cfg.humanKeys()
	var agentIssuers []string
	for _, is := range cfg.Issuers {
		if is.Trust == "agent" {
			agentIssuers = append(agentIssuers, is.Issuer)
		}
	}
	inst.MCP = mcpgate.New(auth, log)
	if o.MCPIdleTimeout > 0 {
		inst.MCP.IdleTimeout = o.MCPIdleTimeout
	}
	if o.MCPMaxSessions > 0 {
		inst.MCP.MaxSessions = o.MCPMaxSessions
	}
	gw.ServeMCP(inst.MCP, agentIssuers) // the MCP front door, through the same authentication
	addr, err := inst.serve(o.Addr, withBearer(gw, tokens))
	if err != nil {
		return nil, fmt.Errorf("local: api: %w", err)
	}
	inst.URL = "http://" + addr
	// Commands given the data folder find the running API here (mandate kill --data DIR).
	if err := os.WriteFile(filepath.Join(o.Dir, EndpointFile), []byte(inst.URL+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	ok = true
	return inst, nil
}

func (inst *Instance) serve(addr string, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inst.inflight.Add(1)
		defer inst.inflight.Add(-1)
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: counted, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	inst.servers = append(inst.servers, srv)
	go func() { _ = srv.Serve(l) }()
	return l.Addr().String(), nil
}

// transport resolves the demo target's host name to where it listens; every other host is
// dialled as usual.
func (inst *Instance) transport() http.RoundTripper {
	t := execute.Transport()
	var d net.Dialer
	demo := net.JoinHostPort(DemoTargetHost, "80")
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == demo && inst.CRMAddr != "" {
			addr = inst.CRMAddr
		}
		return d.DialContext(ctx, network, addr)
	}
	return t
}

// Close stops the servers and closes the store it opened.
func (inst *Instance) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, s := range inst.servers {
		err := s.Shutdown(ctx)
		if err != nil {
			// A connection a client dialled and never sent a request on holds Shutdown for
			// five seconds (net/http waits that long for its first request); with no request
			// in flight, closing it loses nothing.
			_ = s.Close()
			if inst.inflight.Load() == 0 {
				err = nil
			}
		}
		errs = append(errs, err)
	}
	if inst.servers != nil && inst.Dir != "" {
		_ = os.Remove(filepath.Join(inst.Dir, EndpointFile))
	}
	inst.servers = nil
	if inst.broker != nil {
		inst.broker.Close()
		inst.broker = nil
	}
	errs = append(errs, inst.archiver.Close())
	inst.archiver = nil
	if inst.ownsDB && inst.store != nil {
		errs = append(errs, inst.store.Close())
		inst.store = nil
	}
	return errors.Join(errs...)
}

// Endpoint describes the instance for a person: the URL, region and keys.
func (inst *Instance) Endpoint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "endpoint: %s\nregion:   %s (SigV4 service execute-api)\n", inst.URL, inst.Config.Region)
	for _, a := range inst.Config.Agents {
		fmt.Fprintf(&b, "agent:    %s  access key %s  secret %s\n", a.Name, a.AccessKeyID, a.SecretAccessKey)
	}
	for _, h := range inst.Config.Operators {
		if h.AccessKeyID != "" {
			fmt.Fprintf(&b, "operator: %s  access key %s  secret %s\n", h.Name, h.AccessKeyID, h.SecretAccessKey)
		}
	}
	for _, h := range inst.Config.Admins {
		fmt.Fprintf(&b, "admin:    %s  access key %s  secret %s\n", h.Name, h.AccessKeyID, h.SecretAccessKey)
	}
	return b.String()
}

// KeyFingerprint is the fingerprint of the folder's checkpoint key, to give verify as
// --key-id; "" once the instance is closed.
func (inst *Instance) KeyFingerprint() string {
	if inst.archiver == nil {
		return ""
	}
	return checkpoint.Fingerprint(inst.archiver.signer.KeyID())
}

// KeyNotice is what a person must keep of this folder's checkpoint key, printed once: the
// key's fingerprint and where to keep it. It is empty unless this start created the key.
func (inst *Instance) KeyNotice() string {
	if inst.archiver == nil || !inst.archiver.signer.Created() {
		return ""
	}
	fp := checkpoint.Fingerprint(inst.archiver.signer.KeyID())
	return fmt.Sprintf(`checkpoint key created: %s
  Keep this fingerprint (or a copy of %s) OUTSIDE this data folder, e.g. in your password
  manager or your team's runbook: anyone who can write the folder can replace the key there.
  Verify with: mandate verify --data %s --key-id %s
`, fp, filepath.Join(inst.Dir, checkpoint.PublicKeyFile), inst.Dir, fp)
}

// DemoSecret returns the demo target's shared secret from a data folder (for the load
// generator's baseline, which calls the target without the authority).
func DemoSecret(ctx context.Context, dir string) ([]byte, error) {
	return broker.NewFileSecrets(dir).Secret(ctx, DemoSecretRef)
}
