package archive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Environment variables of the shipper and checkpoint functions. infra/ sets them.
const (
	// EnvBucket names the S3 bucket (created with Object Lock) the archive lives in.
	EnvBucket = "MANDATE_ARCHIVE_BUCKET"
	// EnvRetentionDays is how many days each object is locked (default: DefaultRetention).
	EnvRetentionDays = "MANDATE_ARCHIVE_RETENTION_DAYS"
	// EnvS3Endpoint overrides the S3 endpoint (an S3-compatible server); empty means AWS.
	EnvS3Endpoint = "MANDATE_S3_ENDPOINT"
)

// Config is where the archive lives and how long it is locked.
type Config struct {
	Bucket    string
	Retention time.Duration
	Endpoint  string
}

// ConfigFromEnv reads and validates the archive configuration, reporting every problem.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Bucket: getenv(EnvBucket), Retention: DefaultRetention, Endpoint: getenv(EnvS3Endpoint)}
	var errs []error
	if c.Bucket == "" {
		errs = append(errs, fmt.Errorf("%s must name the archive bucket", EnvBucket))
	}
	if d := getenv(EnvRetentionDays); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 36500 {
			errs = append(errs, fmt.Errorf("%s must be a number of days from 1 to 36500, not %q", EnvRetentionDays, d))
		}
		c.Retention = time.Duration(n) * 24 * time.Hour
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("archive: %w", err)
	}
	return c, nil
}

// Open returns the S3 bucket the configuration names, with the SDK's default credentials.
func (c Config) Open(ctx context.Context) (*S3, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive: AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			o.UsePathStyle = true
		}
	})
	return NewS3(client, c.Bucket), nil
}
