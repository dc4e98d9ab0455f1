// Command checkpoint is the scheduled Lambda function that writes a signed Merkle checkpoint
// (shared/checkpoint) over the records shipped since the last one, signed with KMS.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/edge"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	w, err := checkpoint.WriterFromEnv(context.Background(), os.Getenv)
	if err != nil {
		log.Error("cold start", "error", err)
		os.Exit(1)
	}
	lambda.Start(edge.NewCheckpointer(w, log).Handle)
}
