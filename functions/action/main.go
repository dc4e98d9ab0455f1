// Command action is the Lambda function behind Mandate's action routes (edge.ActionRoutes).
// It is the one function that links the PostgreSQL parser, and only when built with cgo
// (`make build` cross-compiles it with gcc-aarch64-linux-gnu); built without cgo it refuses
// sql actions as unsupported.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	var opts []config.Option
	if pgquery.Available {
		opts = append(opts, config.WithSQLParser(pgquery.New()))
	}
	h, _, err := cfg.Handler(context.Background(), os.Getenv, log, edge.ActionRoutes, opts...)
	if err != nil {
		log.Error("cold start", "error", err)
		os.Exit(1)
	}
	log.Info("cold start", "sql_parser", pgquery.Available)
	lambda.Start(h.Handle)
}
