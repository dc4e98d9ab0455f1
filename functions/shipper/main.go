// Command shipper is the Lambda function on the audit table's stream: it ships each record to
// the S3 archive with Object Lock (shared/archive) and reports partial batch failures. With
// MANDATE_OCSF_EVENT_BUS set it also forwards each shipped record as an OCSF event to that
// EventBridge bus; forwarding failures are logged and never fail the batch.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/ocsf"
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
	if bus := os.Getenv(ocsf.EnvEventBus); bus != "" {
		awsCfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			log.Error("cold start", "error", err)
			os.Exit(1)
		}
		h.ForwardTo(ocsf.NewForwarder(eventbridge.NewFromConfig(awsCfg), bus))
	}
	lambda.Start(h.Handle)
}
