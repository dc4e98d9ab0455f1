package authority

import (
	"context"
	"fmt"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/target"
)

// The target registry is a versioned document of the store (kind targets, name
// DocumentName), managed like the policy set: administrators replace it through
// PUT|GET /v1/targets, every version is validated whole (target.Parse) before it is
// recorded in the admin chain and stored, and every authority looks for a newer version
// within its reload interval. A registry that fails validation is never stored; an authority
// that meets one anyway (written around the API) keeps the version it has.

// loadTargets loads the latest registry into cur if it is newer than the one cur holds.
func (a *Authority) loadTargets(ctx context.Context, cur *active) error {
	doc, err := a.store.LatestDocument(ctx, store.KindTargets, DocumentName)
	if err != nil {
		return fmt.Errorf("authority: load target registry %q: %w", DocumentName, err)
	}
	if doc.Version == cur.targetsVersion && cur.targets != nil {
		return nil
	}
	reg, err := target.Parse(doc.Body)
	if err != nil {
		return fmt.Errorf("authority: target registry %q v%d: %w", DocumentName, doc.Version, err)
	}
	cur.targets, cur.targetsVersion = reg, doc.Version
	a.warnTargets(ctx, reg, doc.Version)
	return nil
}

// warnTargets logs what an administrator should know of a registry version in force.
func (a *Authority) warnTargets(ctx context.Context, reg *target.Registry, version int64) {
	for _, w := range reg.Warnings() {
		a.log.WarnContext(ctx, "target registry: "+w, "version", version)
	}
}

// registry is the target registry in force.
func (a *Authority) registry(ctx context.Context) *target.Registry {
	return a.documents(ctx).targets
}

// PutTargets validates and stores a new version of the target registry as an administrator,
// and makes it active on this authority at once (on others within their reload interval).
// A registry with any invalid target is refused whole, every problem named by its field.
func (a *Authority) PutTargets(ctx context.Context, c Caller, up api.TargetsUpload) (api.Document, error) {
	h, body, err := a.upload(ctx, c, store.KindTargets, DocumentName, "targets", up.Targets, up.RollbackTo)
	if err != nil {
		return api.Document{}, err
	}
	reg, err := target.Parse(body)
	if err != nil {
		return api.Document{}, invalidDocument(splitErrors(err)...)
	}
	doc, rec, err := a.storeVersion(ctx, c, h, store.KindTargets, DocumentName, body, up.RollbackTo)
	if err != nil {
		return api.Document{}, err
	}
	a.warnTargets(ctx, reg, doc.Version)
	a.activate(ctx, func(next *active) { next.targets, next.targetsVersion = reg, doc.Version })
	out := documentView(doc)
	out.Record = rec
	return out, nil
}

// GetTargets returns a version (0: the latest) of the target registry to an administrator.
func (a *Authority) GetTargets(ctx context.Context, c Caller, version int64) (api.Document, error) {
	if _, err := a.authenticateHuman(c, RoleAdmin); err != nil {
		return api.Document{}, err
	}
	doc, err := a.document(ctx, store.KindTargets, DocumentName, version)
	if err != nil {
		return api.Document{}, err
	}
	return documentView(doc), nil
}
