package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/metrics"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// Environment variables read by every function (the DynamoDB table names are in
// store/dynamo).
const (
	// EnvStore selects the store: "dynamodb" (the default) or "bolt:PATH" for an embedded file.
	EnvStore = "MANDATE_STORE"
	// EnvSecretsDir is the folder "file:" secret references of targets are read from.
	EnvSecretsDir = "MANDATE_SECRETS_DIR"
	// EnvLogLevel is debug, info (the default), warn or error.
	EnvLogLevel = "MANDATE_LOG_LEVEL"
)

// StoreDynamoDB is the default value of EnvStore.
const StoreDynamoDB = "dynamodb"

// Function is one function's configuration.
type Function struct {
	// Store is "dynamodb" or "bolt:PATH".
	Store string
	// SecretsDir is where file: secret references resolve.
	SecretsDir string
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// STSEndpoint and SecretsManagerEndpoint override the SDK's endpoints when set
	// (EnvSTSEndpoint, EnvSecretsManagerEndpoint in broker.go).
	STSEndpoint, SecretsManagerEndpoint string
}

// FromEnv reads and validates the configuration, reporting every problem at once.
func FromEnv(getenv func(string) string) (Function, error) {
	f := Function{Store: getenv(EnvStore), SecretsDir: getenv(EnvSecretsDir)}
	var errs []error
	errs = append(errs, f.brokerFromEnv(getenv)...) // broker.go
	if f.Store == "" {
		f.Store = StoreDynamoDB
	}
	if path, ok := strings.CutPrefix(f.Store, "bolt:"); !(f.Store == StoreDynamoDB || (ok && path != "")) {
		errs = append(errs, fmt.Errorf("%s must be %q or bolt:PATH, not %q", EnvStore, StoreDynamoDB, f.Store))
	}
	if f.SecretsDir == "" {
		f.SecretsDir = "/var/task/secrets"
	}
	if lvl := getenv(EnvLogLevel); lvl != "" {
		if err := f.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvLogLevel, err))
		}
	}
	if f.Store == StoreDynamoDB {
		if _, err := dynamo.TablesFromEnv(getenv); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Function{}, fmt.Errorf("config: %w", err)
	}
	return f, nil
}

// Handler builds the store, the broker and executors (broker.go), the authority and an edge
// handler for routes. The returned closer releases the store and the broker's connections.
func (f Function) Handler(ctx context.Context, getenv func(string) string, log *slog.Logger, routes []string, opts ...Option) (*edge.Handler, io.Closer, error) {
	st, err := f.open(ctx, getenv)
	if err != nil {
		return nil, nil, err
	}
	if seeds(routes) { // seed.go: a fresh deployment starts
		if err := Seed(ctx, st, time.Now()); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	roles, err := authority.RolesFromEnv(getenv)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	tokens, err := TokensFromEnv(getenv) // issuers.go
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	brk, err := f.wireBroker(ctx, opts) // broker.go
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	closer := brokerCloser{st, brk.broker}
	ctl, err := f.controlConfig(ctx, getenv, routes) // control.go
	if err != nil {
		closer.Close()
		return nil, nil, err
	}
	model, maskKey, err := classifierAndMaskKey(ctx, getenv, brk.secrets) // model.go
	if err != nil {
		closer.Close()
		return nil, nil, err
	}
	auth, err := authority.New(ctx, authority.Config{
		Store: st, Broker: brk.broker, SQL: brk.sql,
		Executor: brk.executors, Masker: mask.New(), Log: log, Roles: roles, Tokens: tokens,
		Control: ctl, Model: model, MaskKey: maskKey,
		Metrics: metrics.New(options(opts).metrics, time.Now), // EMF lines: CloudWatch Logs makes them metrics
	})
	if err != nil {
		closer.Close()
		return nil, nil, err
	}
	h, err := edge.New(auth, log, routes)
	if err != nil {
		closer.Close()
		return nil, nil, err
	}
	return h, closer, nil
}

func (f Function) open(ctx context.Context, getenv func(string) string) (store.Store, error) {
	if path, ok := strings.CutPrefix(f.Store, "bolt:"); ok {
		return bolt.Open(path)
	}
	return dynamo.Open(ctx, getenv)
}
