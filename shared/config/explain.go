package config

import (
	"context"
	"log/slog"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
)

// Explain evaluates an action as the deployed functions would, against the deployment's
// store (the functions' environment: table names, endpoint, credentials), without executing,
// minting or recording anything: what `mandate explain --aws` prints. parser may be nil (sql
// actions are then refused as the pure-Go functions refuse them).
func Explain(ctx context.Context, getenv func(string) string, session string, act api.Action, parser SQLParser) (authority.Explanation, error) {
	f, err := FromEnv(getenv)
	if err != nil {
		return authority.Explanation{}, err
	}
	st, err := f.open(ctx, getenv)
	if err != nil {
		return authority.Explanation{}, err
	}
	defer st.Close()
	brk := broker.New(broker.NewFileSecrets(f.SecretsDir), time.Now) // plans only: nothing is minted
	defer brk.Close()
	roles, err := authority.RolesFromEnv(getenv)
	if err != nil {
		return authority.Explanation{}, err
	}
	auth, err := authority.New(ctx, authority.Config{
		Store: st, Broker: brk, Executor: execute.Executors{}, Masker: mask.New(), SQL: parser, Roles: roles,
		Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return authority.Explanation{}, err
	}
	return auth.Explain(ctx, session, act)
}
