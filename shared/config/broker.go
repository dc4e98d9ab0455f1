package config

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/store"
)

// Environment variables of the broker. Both are optional: the SDK's regional endpoints are
// used when they are unset.
const (
	// EnvSTSEndpoint overrides the STS endpoint the broker assumes target roles through (an
	// interface VPC endpoint, or a test server).
	EnvSTSEndpoint = "MANDATE_STS_ENDPOINT"
	// EnvSecretsManagerEndpoint overrides the Secrets Manager endpoint target secrets are
	// read from.
	EnvSecretsManagerEndpoint = "MANDATE_SECRETSMANAGER_ENDPOINT"
)

// SQLParser parses the statement of a sql action (pgquery.Parser).
type SQLParser interface {
	Parse(sql string) (sqlparse.Statement, error)
}

// Option adjusts what Handler wires.
type Option func(*wiring)

type wiring struct {
	sql     SQLParser
	metrics io.Writer
}

// WithMetrics sends the EMF metric lines to w instead of standard output (where CloudWatch
// Logs makes them metrics); io.Discard drops them, as benchmarks do.
func WithMetrics(w io.Writer) Option { return func(x *wiring) { x.metrics = w } }

// options applies opts.
func options(opts []Option) wiring {
	var w wiring
	for _, o := range opts {
		o(&w)
	}
	if w.metrics == nil {
		w.metrics = os.Stdout
	}
	return w
}

// WithSQLParser links a SQL parser: sql actions are parsed with it and performed by the SQL
// executor. Without it (every function but action, and an action function built without
// cgo) sql actions are refused as unsupported before anything is minted.
func WithSQLParser(p SQLParser) Option { return func(w *wiring) { w.sql = p } }

// brokerFromEnv reads the endpoint overrides into f and validates them.
func (f *Function) brokerFromEnv(getenv func(string) string) []error {
	f.STSEndpoint, f.SecretsManagerEndpoint = getenv(EnvSTSEndpoint), getenv(EnvSecretsManagerEndpoint)
	var errs []error
	for _, e := range []struct{ name, v string }{{EnvSTSEndpoint, f.STSEndpoint}, {EnvSecretsManagerEndpoint, f.SecretsManagerEndpoint}} {
		if e.v == "" {
			continue
		}
		u, err := url.Parse(e.v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			errs = append(errs, fmt.Errorf("%s must be an absolute http(s) URL without credentials", e.name))
		}
	}
	return errs
}

// wired is what wireBroker builds.
type wired struct {
	broker    *broker.Broker
	executors execute.Executors
	sql       SQLParser // nil: sql actions are refused
	secrets   broker.Secrets
}

// wireBroker builds the broker (STS for aws targets and RDS IAM authentication, target
// secrets from Secrets Manager ARNs or from files under SecretsDir) and the executors: http
// and aws always, sql only with a parser. The AWS configuration is the SDK's default chain
// (the function's role in Lambda).
func (f Function) wireBroker(ctx context.Context, opts []Option) (wired, error) {
	w := options(opts)
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return wired{}, fmt.Errorf("config: load AWS configuration: %w", err)
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if f.STSEndpoint != "" {
			o.BaseEndpoint = aws.String(f.STSEndpoint)
		}
	})
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if f.SecretsManagerEndpoint != "" {
			o.BaseEndpoint = aws.String(f.SecretsManagerEndpoint)
		}
	})
	secrets := broker.RefSecrets{
		Files: broker.NewFileSecrets(f.SecretsDir), SecretsManager: broker.NewSecretsManager(sm, time.Now),
	}
	b := broker.New(secrets, time.Now)
	b.UseSTS(stsClient)
	out := wired{broker: b, secrets: secrets, executors: execute.Executors{HTTP: execute.NewHTTP(nil), AWS: execute.NewAWS(nil)}}
	if w.sql != nil {
		out.sql, out.executors.SQL = w.sql, execute.NewSQL()
	}
	return out, nil
}

// brokerCloser releases the store and the broker's database connections.
type brokerCloser struct {
	st  store.Store
	brk *broker.Broker
}

func (c brokerCloser) Close() error {
	c.brk.Close()
	return c.st.Close()
}
