// Command shipper is the Lambda function on the audit table's stream: it ships each record to
// the S3 archive with Object Lock (shared/archive) and reports partial batch failures.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/edge"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := archive.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	bucket, err := cfg.Open(context.Background())
	if err != nil {
		log.Error("cold start", "error", err)
		os.Exit(1)
	}
	h := edge.NewShipper(archive.NewShipper(bucket, cfg.Retention, time.Now), log)
	lambda.Start(h.Handle)
}
