package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/identity"
)

func TestTokensFromEnv(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}}
	raw, _ := json.Marshal(set)
	jwks := filepath.Join(t.TempDir(), "ops.jwks")
	if err := os.WriteFile(jwks, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	good := `[{"issuer":"https://login.example.com","audiences":["mandate"],"algorithms":["ES256"],"jwks_file":"` + jwks + `","trust":"operator"}]`

	v, err := config.TokensFromEnv(env(map[string]string{config.EnvIssuers: good}))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Trusts("https://login.example.com", identity.TrustOperator) || v.Trusts("https://login.example.com", identity.TrustAgent) {
		t.Fatal("issuer not trusted as configured")
	}
	if v, err := config.TokensFromEnv(env(nil)); err != nil || v != nil {
		t.Fatalf("no issuers: %v, %v", v, err)
	}
	for name, bad := range map[string]string{
		"hmac":          strings.Replace(good, "ES256", "HS256", 1),
		"unknown field": strings.Replace(good, `"trust"`, `"trusted"`, 1),
		"not JSON":      "[{",
		"bad leeway":    strings.Replace(good, `"trust":"operator"`, `"trust":"operator","leeway":"soon"`, 1),
	} {
		if _, err := config.TokensFromEnv(env(map[string]string{config.EnvIssuers: bad})); err == nil || !strings.Contains(err.Error(), config.EnvIssuers) {
			t.Errorf("%s: TokensFromEnv = %v", name, err)
		}
	}
}
