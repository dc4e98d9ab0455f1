//go:build !cgo

package duck

import (
	"context"
	"errors"
)

// ErrNoDuckDB: this binary was built without cgo (no C compiler at build time), so it has no
// DuckDB. Everything else of the CLI works; `mandate query` needs a build with gcc.
var ErrNoDuckDB = errors.New("this mandate was built without cgo (no C compiler), so it has no DuckDB: install gcc and rebuild to run queries locally, or run the same named queries in Athena")

// DB is never opened in this build.
type DB struct{}

// Open always fails with ErrNoDuckDB.
func Open(context.Context, string) (*DB, error) { return nil, ErrNoDuckDB }

// Query is never reached: Open fails.
func (*DB) Query(context.Context, string, ...any) (Result, error) { return Result{}, ErrNoDuckDB }

// Close does nothing.
func (*DB) Close() error { return nil }
