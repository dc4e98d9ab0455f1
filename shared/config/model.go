package config

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/intent"
	"github.com/mandate-dev/mandate/shared/mask"
)

// Environment variables of intent classification and masking.
const (
	// EnvBedrockModel names a Bedrock model (or inference profile) asked beside the
	// deterministic classifier when a session opens; empty means none.
	EnvBedrockModel = "MANDATE_BEDROCK_MODEL_ID"
	// EnvMaskKeyRef is a secret reference (a Secrets Manager ARN, or file:PATH under
	// MANDATE_SECRETS_DIR) holding the deployment's masking key: at least 32 bytes, hex or
	// raw. Empty means no key: keyed-token and format-preserving modes redact instead.
	EnvMaskKeyRef = "MANDATE_MASK_KEY_REF"
)

// classifierAndMaskKey reads the optional model classifier and masking key. A key that is
// configured but cannot be read is an error: the function does not start.
func classifierAndMaskKey(ctx context.Context, getenv func(string) string, secrets broker.Secrets) (*intent.Model, []byte, error) {
	var model *intent.Model
	if id := strings.TrimSpace(getenv(EnvBedrockModel)); id != "" {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("config: load AWS configuration: %w", err)
		}
		model = &intent.Model{Client: bedrockruntime.NewFromConfig(cfg), ModelID: id}
	}
	ref := strings.TrimSpace(getenv(EnvMaskKeyRef))
	if ref == "" {
		return model, nil, nil
	}
	raw, err := secrets.Secret(ctx, ref)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %s: %w", EnvMaskKeyRef, err)
	}
	key := raw
	if dec, err := hex.DecodeString(strings.TrimSpace(string(raw))); err == nil {
		key = dec
	}
	if len(key) < mask.MinKeyBytes {
		return nil, nil, fmt.Errorf("config: %s: the masking key must be at least %d bytes", EnvMaskKeyRef, mask.MinKeyBytes)
	}
	return model, key, nil
}
