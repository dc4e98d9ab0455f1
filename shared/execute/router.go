package execute

import (
	"context"
	"fmt"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/target"
)

// Executors performs each action with the executor of its kind; a kind without one is
// refused (ErrBadAction) before anything is sent.
type Executors struct {
	HTTP *HTTP
	SQL  *SQL
	AWS  *AWS
}

// Do implements the pipeline's executor.
func (e Executors) Do(ctx context.Context, t target.Target, c broker.Credential, a api.Action) (Result, error) {
	switch {
	case a.Kind != t.Kind:
	case a.Kind == api.KindHTTP && e.HTTP != nil:
		return e.HTTP.Do(ctx, t, c, a)
	case a.Kind == api.KindSQL && e.SQL != nil:
		return e.SQL.Do(ctx, t, c, a)
	case a.Kind == api.KindAWS && e.AWS != nil:
		return e.AWS.Do(ctx, t, c, a)
	}
	return Result{}, fmt.Errorf("%w: no executor for %s actions on %s target %q", ErrBadAction, a.Kind, t.Kind, t.Name)
}
