// Command killswitch is the Lambda function behind Mandate's kill switch routes (edge.KillRoutes): human operators set, list and lift kill switches, and a kill revokes the credentials minted before it (an IAM deny on the aws target roles).
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
	h, _, err := cfg.Handler(context.Background(), os.Getenv, log, edge.KillRoutes)
	if err != nil {
		log.Error("cold start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
