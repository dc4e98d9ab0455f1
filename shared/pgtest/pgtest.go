// Package pgtest gives tests a fresh database on the PostgreSQL server .ci/with-services
// starts (MANDATE_TEST_POSTGRES_DSN, a superuser, for fixtures only) and the least-privilege
// administrator of MANDATE_TEST_POSTGRES_ADMIN_DSN (CREATEROLE, not superuser) that targets
// log in as. Without them a test skips, or fails when CI=true.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

// DB is a fresh database of the test server.
type DB struct {
	// Name is the database's name, Host the server's host:port.
	Name, Host string
	// Admin and AdminPassword are the least-privilege administrator's login.
	Admin, AdminPassword string
	// Conn is a superuser connection to the database, for fixtures.
	Conn *pgx.Conn
}

// New creates a database named prefix plus random hex, checks that the administrator is not
// a superuser, and drops the database (ending its sessions) when the test ends. It skips
// when the server or the SQL parser is missing, and fails instead when CI=true.
func New(t testing.TB, prefix string) DB {
	t.Helper()
	dsn, adminDSN := os.Getenv("MANDATE_TEST_POSTGRES_DSN"), os.Getenv("MANDATE_TEST_POSTGRES_ADMIN_DSN")
	if dsn == "" || adminDSN == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MANDATE_TEST_POSTGRES_DSN or MANDATE_TEST_POSTGRES_ADMIN_DSN is not set (run under .ci/with-services)")
		}
		t.Skip("MANDATE_TEST_POSTGRES_DSN or MANDATE_TEST_POSTGRES_ADMIN_DSN is not set")
	}
	if !pgquery.Available {
		t.Skip("built without cgo: no SQL parser")
	}
	ctx := context.Background()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	au, err := url.Parse(adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	super, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var isSuper bool
	if err := super.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = $1", au.User.Username()).Scan(&isSuper); err != nil || isSuper {
		t.Fatalf("the administrator %s must exist and not be superuser (superuser %v, %v)", au.User.Username(), isSuper, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	if _, err := super.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	super.Close(ctx)
	u.Path = "/" + name
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close(context.Background())
		if c, err := pgx.Connect(context.Background(), dsn); err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	pw, _ := au.User.Password()
	return DB{Name: name, Host: u.Host, Admin: au.User.Username(), AdminPassword: pw, Conn: conn}
}

// Exec runs each statement on the database's superuser connection, failing the test on the
// first error.
func (d DB) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.Conn.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
