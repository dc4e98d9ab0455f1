package execute_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
	"github.com/mandate-dev/mandate/shared/target"
)

// action runs one whole sql action as the pipeline does: mint, execute, release.
func action(ctx context.Context, br *broker.Broker, ex *execute.SQL, tg target.Target, sql string) error {
	st, err := pgquery.New().Parse(sql)
	if err != nil {
		return err
	}
	c, err := br.Mint(ctx, tg, api.Action{Kind: api.KindSQL, Statement: sql}, broker.Scope{Session: "ses_c", Record: "ab12cd34ef56aa", Statement: &st})
	if err != nil {
		return fmt.Errorf("mint: %w", err)
	}
	res, err := ex.Do(ctx, tg, c, api.Action{Kind: api.KindSQL, Statement: sql})
	if rerr := c.Release(ctx); rerr != nil {
		return fmt.Errorf("release: %w", rerr)
	}
	if err != nil {
		return fmt.Errorf("execute: %w", err)
	}
	if res.Status != 200 {
		return fmt.Errorf("status %d: %s", res.Status, res.Body)
	}
	return nil
}

// ephemeralRoles counts the roles of the broker's prefix left in the cluster.
func ephemeralRoles(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)", broker.RolePrefix).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var mixed = []string{
	"SELECT id, email FROM customers WHERE id = 42",
	"INSERT INTO notes (customer_id, body) VALUES (42, 'concurrent') RETURNING id",
	"UPDATE customers SET tier = 'gold' WHERE id = 44",
	"SELECT n.id, c.email FROM notes n JOIN customers c ON c.id = n.customer_id LIMIT 3",
	"DELETE FROM notes WHERE body = 'nothing matches'",
}

// TestSQLConcurrentActions runs 300 actions at once, the first ones on a database whose
// standing roles do not exist yet: none may fail, and no ephemeral role may remain.
func TestSQLConcurrentActions(t *testing.T) {
	tg, br, conn := postgres(t)
	ctx := context.Background()
	ex := execute.NewSQL()
	before := ephemeralRoles(t, conn)
	const n = 300
	errs := make(chan error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := action(ctx, br, ex, tg, mixed[i%len(mixed)]); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed < 5 {
			t.Error(err)
		}
		failed++
	}
	t.Logf("%d concurrent actions in %s, %d failed", n, time.Since(start), failed)
	if failed > 0 {
		t.Fatalf("%d of %d concurrent actions failed", failed, n)
	}
	if left := ephemeralRoles(t, conn) - before; left > 0 {
		t.Fatalf("%d ephemeral role(s) left", left)
	}
}
