// Command admin is the Lambda function behind Mandate's administration routes (edge.AdminRoutes): versioned policy sets and intent catalogs, validated before they are stored.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	h, _, err := cfg.Handler(context.Background(), os.Getenv, log, edge.AdminRoutes)
	if err != nil {
		log.Error("cold start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
