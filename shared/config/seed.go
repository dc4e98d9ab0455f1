package config

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/store"
)

//go:embed seed
var seed embed.FS

// SeedDocuments are the first versions a fresh deployment stores, by document kind: a policy
// set that permits nothing, an intent catalog, and an empty target registry.
var SeedDocuments = map[string]string{
	store.KindPolicies: "seed/policies.cedar",
	store.KindIntents:  "seed/intents.yaml",
	store.KindTargets:  "seed/targets.yaml",
}

// SeedBy is the CreatedBy of the seeded versions.
const SeedBy = "mandate first deploy"

// Seed stores version 1 of each of SeedDocuments where st has no version yet, so a fresh
// deployment starts (every function loads the policy set and intent catalog at cold start);
// existing versions are never touched, and a concurrent seed is harmless (the write is
// conditional). Only the function that serves the admin routes seeds: it alone may write
// documents.
func Seed(ctx context.Context, st store.Store, now time.Time) error {
	kinds := make([]string, 0, len(SeedDocuments))
	for k := range SeedDocuments {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, kind := range kinds {
		_, err := st.LatestDocument(ctx, kind, authority.DocumentName)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("config: seed: read %s: %w", kind, err)
		}
		body, err := seed.ReadFile(SeedDocuments[kind])
		if err != nil {
			return fmt.Errorf("config: seed: %w", err)
		}
		err = st.PutDocument(ctx, store.Document{Kind: kind, Name: authority.DocumentName, Version: 1, Body: body, CreatedBy: SeedBy, CreatedAt: now.UTC()})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("config: seed %s: %w", kind, err)
		}
	}
	return nil
}

// seeds reports whether the function serving routes seeds a fresh deployment.
func seeds(routes []string) bool { return slices.Contains(routes, edge.RoutePutPolicies) }
