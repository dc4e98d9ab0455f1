package local

import (
	"context"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

// Explain evaluates act as it would run in session id ("" for none) with the policies,
// intents and targets of the data folder dir, and describes what would be minted, without
// executing, minting or recording anything: `mandate explain`. The store is opened
// read-only, so the authority of that folder must not be running.
func Explain(ctx context.Context, dir, id string, act api.Action) (authority.Explanation, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return authority.Explanation{}, err
	}
	st, err := OpenStore(ctx, dir, cfg, true)
	if err != nil {
		return authority.Explanation{}, err
	}
	defer st.Close()
	brk := broker.New(broker.NewFileSecrets(dir), time.Now)
	defer brk.Close()
	auth, err := authority.New(ctx, authority.Config{
		Store: st, Broker: brk, Executor: execute.Executors{}, Masker: mask.New(), SQL: pgquery.New(),
	})
	if err != nil {
		return authority.Explanation{}, err
	}
	return auth.Explain(ctx, id, act)
}

// Explain is Explain on the running instance: the same evaluation, with its store.
func (inst *Instance) Explain(ctx context.Context, id string, act api.Action) (authority.Explanation, error) {
	return inst.auth.Explain(ctx, id, act)
}
