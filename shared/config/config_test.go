package config_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store/bolt"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tables := map[string]string{
		dynamo.EnvTableSessions: "m-sessions", dynamo.EnvTableControls: "m-controls", dynamo.EnvTableApprovals: "m-approvals",
		dynamo.EnvTablePolicies: "m-policies", dynamo.EnvTableIntents: "m-intents", dynamo.EnvTableTargets: "m-targets",
		dynamo.EnvTableClaims: "m-claims", dynamo.EnvTableAudit: "m-audit",
	}
	cases := []struct {
		name    string
		env     map[string]string
		wantErr []string
		want    config.Function
	}{
		{"bolt", map[string]string{config.EnvStore: "bolt:/tmp/x.db"}, nil, config.Function{Store: "bolt:/tmp/x.db", SecretsDir: "/var/task/secrets"}},
		{"every problem at once", map[string]string{config.EnvStore: "redis", config.EnvLogLevel: "loud"}, []string{config.EnvStore, config.EnvLogLevel}, config.Function{}},
		{"empty bolt path", map[string]string{config.EnvStore: "bolt:"}, []string{config.EnvStore}, config.Function{}},
		{"debug", map[string]string{config.EnvStore: "bolt:/x", config.EnvLogLevel: "debug", config.EnvSecretsDir: "/s"}, nil, config.Function{Store: "bolt:/x", SecretsDir: "/s", LogLevel: slog.LevelDebug}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.FromEnv(env(tc.env))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatal("FromEnv accepted a bad environment")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FromEnv = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if _, err := config.FromEnv(env(tables)); err != nil {
		t.Fatalf("DynamoDB default with every table named: %v", err)
	}
}

// TestHandlerFromConfiguration wires a function from its environment alone and serves the
// sample session event.
func TestHandlerFromConfiguration(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := local.Seed(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e := env(map[string]string{config.EnvStore: "bolt:" + path})
	cfg, err := config.FromEnv(e)
	if err != nil {
		t.Fatal(err)
	}
	h, closer, err := cfg.Handler(context.Background(), e, slog.New(slog.DiscardHandler), edge.SessionRoutes)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	raw, err := os.ReadFile("../../events/apigw-session-open.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != 201 {
		t.Fatalf("open session: %d %s", resp.StatusCode, resp.Body)
	}
	act := ev
	act.RouteKey = edge.RouteAct
	if resp, _ := h.Handle(context.Background(), act); resp.StatusCode != 404 {
		t.Fatalf("the session function served the action route: %d", resp.StatusCode)
	}
}

func TestMaskKeyFromSecretReference(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := local.Seed(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.WriteFile(filepath.Join(dir, "good.key"), []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "short.key"), []byte("abcd"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref string
		ok  bool
	}{{"file:good.key", true}, {"file:short.key", false}, {"file:missing.key", false}, {"", true}} {
		e := env(map[string]string{config.EnvStore: "bolt:" + path, config.EnvSecretsDir: dir, config.EnvMaskKeyRef: tc.ref})
		cfg, err := config.FromEnv(e)
		if err != nil {
			t.Fatal(err)
		}
		_, closer, err := cfg.Handler(context.Background(), e, slog.New(slog.DiscardHandler), edge.SessionRoutes)
		if (err == nil) != tc.ok {
			t.Fatalf("%q: Handler error %v, want ok=%v", tc.ref, err, tc.ok)
		}
		if err == nil {
			closer.Close()
		} else if !strings.Contains(err.Error(), config.EnvMaskKeyRef) {
			t.Fatalf("%q: error does not name %s: %v", tc.ref, config.EnvMaskKeyRef, err)
		}
	}
}

// TestKillSwitchAccountFromEnv: the kill switch's own account (which decides whose target
// roles are revoked through another account's revocation role) must be a 12-digit account
// id; a function without the kill route ignores it.
func TestKillSwitchAccountFromEnv(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := local.Seed(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, tc := range []struct {
		account string
		routes  []string
		ok      bool
	}{
		{"123456789012", edge.KillRoutes, true},
		{"", edge.KillRoutes, true},
		{"12345678901", edge.KillRoutes, false},
		{"arn:aws:iam::123456789012:root", edge.KillRoutes, false},
		{"not-an-account", edge.SessionRoutes, true},
	} {
		e := env(map[string]string{config.EnvStore: "bolt:" + path, config.EnvAccount: tc.account, "AWS_REGION": "us-east-1"})
		cfg, err := config.FromEnv(e)
		if err != nil {
			t.Fatal(err)
		}
		_, closer, err := cfg.Handler(context.Background(), e, slog.New(slog.DiscardHandler), tc.routes)
		if closer != nil {
			closer.Close()
		}
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), config.EnvAccount)) {
			t.Errorf("%s=%q: %v, want ok=%v", config.EnvAccount, tc.account, err, tc.ok)
		}
	}
}
