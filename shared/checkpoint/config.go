package checkpoint

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/mandate-dev/mandate/shared/archive"
)

// Environment variables of the checkpoint function, beside archive's. infra/ sets them.
const (
	// EnvKMSKey names the asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs.
	EnvKMSKey = "MANDATE_CHECKPOINT_KMS_KEY"
	// EnvKMSEndpoint overrides the KMS endpoint (a KMS-compatible server); empty means AWS.
	EnvKMSEndpoint = "MANDATE_KMS_ENDPOINT"
)

// WriterFromEnv builds the checkpoint function's Writer: the archive bucket and the KMS key.
func WriterFromEnv(ctx context.Context, getenv func(string) string) (*Writer, error) {
	ac, err := archive.ConfigFromEnv(getenv)
	key := getenv(EnvKMSKey)
	if err != nil || key == "" {
		return nil, fmt.Errorf("checkpoint: configuration: %v; %s=%q", err, EnvKMSKey, key)
	}
	bucket, err := ac.Open(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: AWS configuration: %w", err)
	}
	client := kms.NewFromConfig(cfg, func(o *kms.Options) {
		if ep := getenv(EnvKMSEndpoint); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	signer, err := NewKMS(ctx, client, key)
	if err != nil {
		return nil, err
	}
	return &Writer{Bucket: bucket, Signer: signer, Retention: ac.Retention, Lookback: DefaultLookback, Now: time.Now}, nil
}
