package config

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// ServeAPI is the whole main of an API function: it reads the configuration from the
// environment, builds the handler for routes once at cold start and hands it to the Lambda
// runtime. Setup errors are logged and end the process with status 1, so the runtime reports
// a failed init instead of serving half-configured.
func ServeAPI(routes []string, opts ...Option) {
	cfg, err := FromEnv(os.Getenv)
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	h, _, err := cfg.Handler(context.Background(), os.Getenv, log, routes, opts...)
	if err != nil {
		log.Error("cold start", "error", err)
		os.Exit(1)
	}
	log.Info("cold start", "routes", routes)
	lambda.Start(h.Handle)
}
