package broker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/target"
)

// testCA is a self-signed CA that issues server certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{cert: cert, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// issue returns a server certificate for host, and its key, in PEM.
func (ca testCA) issue(t *testing.T, host string) (certPEM, keyPEM []byte, leaf *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = x509.ParseCertificate(der)
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), leaf
}

func sqlTarget(t *testing.T, extra string) target.Target {
	t.Helper()
	r, err := target.Parse([]byte("targets:\n- {name: db, kind: sql, database: d, user: u, secret_ref: x, allowed_tables: [a.b]" + extra + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := r.Lookup("db")
	return tg
}

// A non-loopback database is verified in full: its certificate must chain to the system roots
// or the target's CA bundle (PEM or a file) and name the endpoint's host. Loopback stays
// plain; require encrypts without verifying only when the target says so.
func TestConnConfigVerifiesTheServer(t *testing.T) {
	t.Parallel()
	ca, other := newTestCA(t, "rds test ca"), newTestCA(t, "someone else")
	_, _, good := ca.issue(t, "db.example.com")
	_, _, forged := other.issue(t, "db.example.com")
	_, _, wrongHost := ca.issue(t, "other.example.com")
	file := filepath.Join(t.TempDir(), "bundle.pem")
	if err := os.WriteFile(file, []byte(ca.pem), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bundle := range []string{", ca_bundle: " + quoteYAML(ca.pem), ", ca_bundle: " + quoteYAML(file)} {
		cfg, err := ConnConfig(sqlTarget(t, ", endpoint: 'db.example.com:5432'"+bundle), "u", "p")
		if err != nil {
			t.Fatal(err)
		}
		tc := cfg.TLSConfig
		if tc == nil || tc.InsecureSkipVerify || tc.ServerName != "db.example.com" || len(cfg.Fallbacks) != 0 {
			t.Fatalf("TLS config %+v, fallbacks %d: want verify-full of db.example.com", tc, len(cfg.Fallbacks))
		}
		verify := func(c *x509.Certificate) error {
			_, err := c.Verify(x509.VerifyOptions{Roots: tc.RootCAs, DNSName: tc.ServerName})
			return err
		}
		if err := verify(good); err != nil {
			t.Errorf("the server certificate from the bundle's CA is refused: %v", err)
		}
		if verify(forged) == nil || verify(wrongHost) == nil {
			t.Error("a certificate from another CA, or for another host, is accepted")
		}
	}
	// A bundle file replaced on disk is read again (pools are cached per file version).
	if err := os.WriteFile(file, []byte(other.pem), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, time.Now(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	cfg, err := ConnConfig(sqlTarget(t, ", endpoint: 'db.example.com:5432', ca_bundle: "+quoteYAML(file)), "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.Verify(x509.VerifyOptions{Roots: cfg.TLSConfig.RootCAs, DNSName: "db.example.com"}); err == nil {
		t.Error("the CA removed from the bundle file is still trusted")
	}
	// No bundle: verify-full against the system roots alone.
	if cfg, err := ConnConfig(sqlTarget(t, ", endpoint: 'db.example.com:5432'"), "u", "p"); err != nil || cfg.TLSConfig == nil || cfg.TLSConfig.InsecureSkipVerify {
		t.Fatalf("default = %+v %v, want verify-full", cfg, err)
	}
	for _, loop := range []string{"127.0.0.1:5432", "localhost:5432", "[::1]:5432"} {
		if cfg, err := ConnConfig(sqlTarget(t, ", endpoint: '"+loop+"'"), "u", "p"); err != nil || cfg.TLSConfig != nil {
			t.Errorf("%s: TLS %+v %v, want none on loopback", loop, cfg.TLSConfig, err)
		}
	}
	if cfg, err := ConnConfig(sqlTarget(t, ", endpoint: '127.0.0.1:5432', sslmode: verify-full, ca_bundle: "+quoteYAML(ca.pem)), "u", "p"); err != nil || cfg.TLSConfig == nil || cfg.TLSConfig.ServerName != "127.0.0.1" {
		t.Errorf("verify-full asked on loopback = %+v %v", cfg, err)
	}
	if cfg, err := ConnConfig(sqlTarget(t, ", endpoint: 'db.example.com:5432', sslmode: require"), "u", "p"); err != nil || cfg.TLSConfig == nil || !cfg.TLSConfig.InsecureSkipVerify || len(cfg.Fallbacks) != 0 {
		t.Errorf("require = %+v %v, want encryption without verification and no plain fallback", cfg, err)
	}
	if _, err := ConnConfig(sqlTarget(t, ", endpoint: 'db.example.com:5432', ca_bundle: '/nonexistent/bundle.pem'"), "u", "p"); err == nil {
		t.Error("a CA bundle file that cannot be read is ignored")
	}
}

// quoteYAML quotes s as a YAML double-quoted scalar (Go's escapes are YAML's for ASCII).
func quoteYAML(s string) string { return strconv.Quote(s) }
