package local

import (
	"context"
	"fmt"

	"github.com/mandate-dev/mandate/shared/revocation"
)

// revocations returns the revocation list the local authority publishes kills to and the
// demo target consults, filled with the kills already in the store (so a restart keeps
// refusing what they revoked).
func (inst *Instance) revocations(ctx context.Context) ([]*revocation.List, error) {
	l := revocation.New()
	kills, err := inst.store.ListControls(ctx)
	if err != nil {
		return nil, fmt.Errorf("local: read kill switches: %w", err)
	}
	for _, k := range kills {
		l.Revoke(revocation.Kill{Scope: k.Scope, ID: k.ID, At: k.CreatedAt})
	}
	if inst.CRM != nil {
		inst.CRM.UseRevocations(l)
	}
	return []*revocation.List{l}, nil
}
