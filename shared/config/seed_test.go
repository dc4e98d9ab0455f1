package config_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/intent"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
	"github.com/mandate-dev/mandate/shared/target"
)

// TestFreshDeploymentStarts: on empty tables every API function exited at cold start
// ("load policy set: store: not found"). The admin function now seeds the first versions, and
// then every function starts.
func TestFreshDeploymentStarts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.db")
	e := env(map[string]string{config.EnvStore: "bolt:" + path})
	cfg, err := config.FromEnv(e)
	if err != nil {
		t.Fatal(err)
	}
	start := func(routes []string) error {
		_, closer, err := cfg.Handler(context.Background(), e, slog.New(slog.DiscardHandler), routes)
		if err == nil {
			closer.Close()
		}
		return err
	}
	if err := start(edge.SessionRoutes); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("the session function on empty tables: %v, want the not-found cold start", err)
	}
	if err := start(edge.AdminRoutes); err != nil {
		t.Fatalf("the admin function on empty tables: %v", err)
	}
	for name, routes := range map[string][]string{"session": edge.SessionRoutes, "action": edge.ActionRoutes, "approval": edge.ApprovalRoutes,
		"killswitch": edge.KillRoutes, "audit": edge.AuditRoutes, "admin": edge.AdminRoutes} {
		if err := start(routes); err != nil {
			t.Errorf("the %s function after the seed: %v", name, err)
		}
	}
}

// TestSeedDocuments: the seeded policy set permits nothing, the catalog and the (empty)
// registry are valid, and a seed never replaces a stored version.
func TestSeedDocuments(t *testing.T) {
	t.Parallel()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	mine := store.Document{Kind: store.KindPolicies, Name: authority.DocumentName, Version: 1, Body: []byte(`permit(principal, action, resource);`), CreatedBy: "ada", CreatedAt: time.Now().UTC()}
	if err := st.PutDocument(ctx, mine); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: the second finds everything
		if err := config.Seed(ctx, st, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	pol, err := st.LatestDocument(ctx, store.KindPolicies, authority.DocumentName)
	if err != nil || string(pol.Body) != string(mine.Body) || pol.CreatedBy != "ada" {
		t.Fatalf("the seed replaced a stored policy set: %+v %v", pol, err)
	}
	for kind, check := range map[string]func([]byte) error{
		store.KindIntents: func(b []byte) error { _, err := intent.Parse(b); return err },
		store.KindTargets: func(b []byte) error {
			if _, err := target.Parse(b); err != nil {
				return err
			}
			var doc struct{ Targets []any }
			if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Targets) != 0 {
				return errors.New("the seeded registry names targets")
			}
			return nil
		},
	} {
		doc, err := st.LatestDocument(ctx, kind, authority.DocumentName)
		if err != nil || doc.Version != 1 || doc.CreatedBy != config.SeedBy {
			t.Fatalf("%s not seeded: %+v %v", kind, doc, err)
		}
		if err := check(doc.Body); err != nil {
			t.Errorf("seeded %s: %v", kind, err)
		}
	}
	// On a fresh store the policy set compiles and permits nothing.
	fresh, err := bolt.Open(filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := config.Seed(ctx, fresh, time.Now()); err != nil {
		t.Fatal(err)
	}
	doc, err := fresh.LatestDocument(ctx, store.KindPolicies, authority.DocumentName)
	if err != nil {
		t.Fatal(err)
	}
	set, err := policy.Compile(authority.DocumentName, doc.Body)
	if err != nil {
		t.Fatal(err)
	}
	if n := set.Len(); n != 0 {
		t.Errorf("the seeded policy set has %d policies, want none (default deny)", n)
	}
}
