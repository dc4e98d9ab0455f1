//go:build cgo

package duck

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver

	"github.com/mandate-dev/mandate/shared/query"
)

// DB is an in-memory DuckDB with the audit view over one archive folder.
type DB struct{ db *sql.DB }

// Open defines the view query.Table over the archive folder root (DATA/archive). An archive
// without objects yet gives an empty table with the same columns.
func Open(ctx context.Context, root string) (*DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("duck: open: %w", err)
	}
	db.SetMaxOpenConns(1) // one connection: the view lives in it
	d := &DB{db: db}
	if err := d.define(ctx, root); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) define(ctx context.Context, root string) error {
	glob := filepath.Join(root, filepath.FromSlash(query.Prefix), query.PartitionKey+"=*", "*.json.gz")
	matches, err := filepath.Glob(glob)
	if err != nil {
		return fmt.Errorf("duck: %w", err)
	}
	var cols, defs []string
	for _, c := range query.Columns {
		cols = append(cols, fmt.Sprintf("%s: '%s'", quoteString(c.Name), c.Type.DuckDB()))
		defs = append(defs, fmt.Sprintf("%q %s", c.Name, c.Type.DuckDB()))
	}
	var stmt string
	if len(matches) == 0 {
		stmt = fmt.Sprintf("CREATE TABLE %s (%s, %q VARCHAR)", query.Table, strings.Join(defs, ", "), query.PartitionKey)
	} else {
		if _, err := os.Stat(root); err != nil {
			return fmt.Errorf("duck: archive: %w", err)
		}
		stmt = fmt.Sprintf(`CREATE VIEW %s AS SELECT * FROM read_json(%s,
  format = 'newline_delimited', compression = 'gzip', columns = {%s},
  hive_partitioning = true, hive_types = {%s: 'VARCHAR'})`,
			query.Table, quoteString(glob), strings.Join(cols, ", "), quoteString(query.PartitionKey))
	}
	if _, err := d.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("duck: define %s: %w", query.Table, err)
	}
	return nil
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Query runs one statement with ? arguments.
func (d *DB) Query(ctx context.Context, q string, args ...any) (Result, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return Result{}, fmt.Errorf("duck: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Result{}, fmt.Errorf("duck: %w", err)
	}
	res := Result{Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return Result{}, fmt.Errorf("duck: %w", err)
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("duck: %w", err)
	}
	return res, nil
}

// Close releases the database.
func (d *DB) Close() error { return d.db.Close() }
