package broker

import (
	"context"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startTLSPostgres starts a PostgreSQL cluster of its own serving TLS with a certificate for
// localhost from ca, with trust authentication (the TLS handshake is what is tested), and
// returns its port. It needs the server binaries (Debian's, as .ci/with-services uses).
func startTLSPostgres(t *testing.T, certPEM, keyPEM []byte) int {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
		}
		t.Skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
	}
	slices.SortFunc(bins, func(a, b string) int { // the newest: "9" before "15"
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	bin := filepath.Dir(bins[len(bins)-1])
	dir, err := os.MkdirTemp("", "mandate-pgtls-") // the system's, which the postgres user can reach
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		if os.Geteuid() == 0 { // initdb refuses root: the cluster belongs to the postgres user
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	for name, body := range map[string][]byte{"server.crt": certPEM, "server.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		for _, p := range []string{dir, filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")} {
			if err := os.Chown(p, uid, -1); err != nil {
				t.Fatal(err)
			}
		}
	}
	run("initdb", "-D", data, "-U", "mandate", "--auth-host=trust", "--auth-local=trust", "-E", "UTF8", "--no-instructions")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-o",
		strings.Join([]string{"-c listen_addresses=127.0.0.1", "-p", strconv.Itoa(port), "-k", dir, "-c fsync=off", "-c ssl=on",
			"-c ssl_cert_file=" + filepath.Join(dir, "server.crt"), "-c ssl_key_file=" + filepath.Join(dir, "server.key")}, " "), "start")
	t.Cleanup(func() { run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop") })
	return port
}

// Against a real PostgreSQL serving TLS: verify-full connects with the CA that issued the
// server's certificate, and refuses the server under any other CA; the session is encrypted.
func TestVerifyFullAgainstATLSServer(t *testing.T) {
	t.Parallel()
	ca, other := newTestCA(t, "db ca"), newTestCA(t, "someone else")
	certPEM, keyPEM, _ := ca.issue(t, "localhost")
	port := startTLSPostgres(t, certPEM, keyPEM)
	endpoint := ", endpoint: 'localhost:" + strconv.Itoa(port) + "', sslmode: verify-full, ca_bundle: "
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	connect := func(extra string) (*pgx.Conn, error) {
		cfg, err := ConnConfig(sqlTarget(t, extra), "mandate", "")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Database = "postgres"
		cfg.Host = "127.0.0.1" // the name verified stays localhost (the endpoint's host)
		return pgx.ConnectConfig(ctx, cfg)
	}
	conn, err := connect(endpoint + quoteYAML(ca.pem))
	if err != nil {
		t.Fatalf("verify-full with the right CA: %v", err)
	}
	var encrypted bool
	if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&encrypted); err != nil || !encrypted {
		t.Errorf("session encrypted = %v, %v", encrypted, err)
	}
	conn.Close(ctx)
	if conn, err := connect(endpoint + quoteYAML(other.pem)); err == nil {
		conn.Close(ctx)
		t.Fatal("verify-full connected to a server whose certificate another CA issued")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("verify-full with the wrong CA failed for another reason: %v", err)
	}
}
