package authority_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/target"
)

// failingMinter fails every mint with err.
type failingMinter struct{ err error }

func (m failingMinter) Mint(context.Context, target.Target, api.Action, broker.Scope) (broker.Credential, error) {
	return broker.Credential{}, m.err
}

// TestMintFailures: a credential that cannot be scoped is the caller's problem (400); STS or
// Secrets Manager failing is ours and retryable (503). Neither reaches the target.
func TestMintFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"cannot be scoped", fmt.Errorf("wrapped: %w", broker.ErrUnsupported), authority.ErrUnsupported},
		{"policy too large", broker.ErrPolicyTooLarge, authority.ErrUnsupported},
		{"STS unreachable", errors.New("operation error STS: AssumeRole, dial tcp: connection refused"), authority.ErrUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			auth, err := authority.New(context.Background(), authority.Config{
				Store: f.store, Broker: failingMinter{tc.err}, Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Log: quiet,
			})
			if err != nil {
				t.Fatal(err)
			}
			f.auth = auth
			s := f.open(t)
			_, err = f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, read)
			if kindOf(err) != tc.want {
				t.Fatalf("Act = %v, want %v", err, tc.want)
			}
			if f.crm.Requests() != 0 {
				t.Fatalf("the target saw %d request(s)", f.crm.Requests())
			}
		})
	}
}
