package broker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/target"
	"github.com/mandate-dev/mandate/shared/token"
)

func TestMintScopesTokenToTheAction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := strings.Repeat("s", 40)
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "c.key"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	b := New(NewFileSecrets(dir), func() time.Time { return now })
	tg := target.Target{Name: "customers", Kind: api.KindHTTP, SecretRef: "file:secrets/c.key", AuthHeader: "Authorization", CredentialTTL: target.Duration(30 * time.Second)}
	a := api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}
	c, err := b.Mint(context.Background(), tg, a, Scope{Session: "s1", Record: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Header != "Authorization" || !c.ExpiresAt.Equal(now.Add(30*time.Second)) {
		t.Fatalf("credential = %+v", c)
	}
	if strings.Contains(c.Describe(), c.Value) || strings.Contains(c.Describe(), secret) {
		t.Fatal("Describe leaks the credential")
	}
	tok := strings.TrimPrefix(c.Value, "Bearer ")
	if _, err := token.Verify([]byte(secret), tok, "customers", "GET", "/customers/42", now); err != nil {
		t.Fatalf("minted token does not verify for its action: %v", err)
	}
	if _, err := token.Verify([]byte(secret), tok, "customers", "DELETE", "/customers/42", now); !errors.Is(err, token.ErrScope) {
		t.Fatalf("minted token verifies for another method: %v", err)
	}
	if _, err := token.Verify([]byte(secret), tok, "customers", "GET", "/customers/42", now.Add(31*time.Second)); !errors.Is(err, token.ErrExpired) {
		t.Fatalf("minted token outlives its TTL: %v", err)
	}
}

func TestMintRefuses(t *testing.T) {
	t.Parallel()
	b := New(NewFileSecrets(t.TempDir()), time.Now)
	httpT := target.Target{Name: "c", Kind: api.KindHTTP, SecretRef: "file:missing.key"}
	cases := []struct {
		name string
		t    target.Target
		a    api.Action
		want error
	}{
		{"sql action", httpT, api.Action{Kind: api.KindSQL}, ErrUnsupported},
		{"aws target", target.Target{Name: "d", Kind: api.KindAWS}, api.Action{Kind: api.KindHTTP}, ErrUnsupported},
		{"missing secret", httpT, api.Action{Kind: api.KindHTTP, Method: "GET", Path: "/"}, os.ErrNotExist},
		{"escaping ref", target.Target{Name: "c", Kind: api.KindHTTP, SecretRef: "file:../etc/passwd"}, api.Action{Kind: api.KindHTTP}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.Mint(context.Background(), tc.t, tc.a, Scope{})
			if err == nil {
				t.Fatal("Mint succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Mint = %v, want %v", err, tc.want)
			}
		})
	}
}
