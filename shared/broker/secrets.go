package broker

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretCacheTTL is how long a secret read from Secrets Manager is reused before it is read
// again (so a rotation takes effect within it).
const SecretCacheTTL = 5 * time.Minute

// SecretGetter is the one Secrets Manager method the broker uses; *secretsmanager.Client
// implements it.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretGetter = (*secretsmanager.Client)(nil)

var secretARNRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[\w/+=.@-]{1,512}$`)

// SecretsManager reads secret references that are Secrets Manager ARNs, caching each for
// SecretCacheTTL. The value never appears in an error.
type SecretsManager struct {
	client SecretGetter
	now    func() time.Time
	mu     sync.Mutex
	cache  map[string]cachedSecret
}

type cachedSecret struct {
	value []byte
	at    time.Time
}

// NewSecretsManager returns secrets read through c.
func NewSecretsManager(c SecretGetter, now func() time.Time) *SecretsManager {
	if now == nil {
		now = time.Now
	}
	return &SecretsManager{client: c, now: now, cache: map[string]cachedSecret{}}
}

// Secret implements Secrets for "arn:aws:secretsmanager:..." references.
func (s *SecretsManager) Secret(ctx context.Context, ref string) ([]byte, error) {
	if !secretARNRe.MatchString(ref) {
		return nil, fmt.Errorf("broker: secret reference must be a Secrets Manager secret ARN")
	}
	s.mu.Lock()
	c, ok := s.cache[ref]
	s.mu.Unlock()
	if ok && s.now().Sub(c.at) < SecretCacheTTL {
		return c.value, nil
	}
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref)})
	if err != nil {
		return nil, fmt.Errorf("broker: read secret %q: %w", ref, err)
	}
	var v []byte
	switch {
	case out.SecretString != nil:
		v = []byte(strings.TrimSpace(*out.SecretString))
	case out.SecretBinary != nil:
		v = out.SecretBinary
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("broker: secret %q is empty", ref)
	}
	s.mu.Lock()
	s.cache[ref] = cachedSecret{value: v, at: s.now()}
	s.mu.Unlock()
	return v, nil
}

// RefSecrets resolves a reference by its form: "file:" references from files, Secrets
// Manager ARNs through Secrets Manager; a source left nil refuses its references.
type RefSecrets struct {
	Files          *FileSecrets
	SecretsManager *SecretsManager
}

// Secret implements Secrets.
func (r RefSecrets) Secret(ctx context.Context, ref string) ([]byte, error) {
	switch {
	case strings.HasPrefix(ref, "file:") && r.Files != nil:
		return r.Files.Secret(ctx, ref)
	case strings.HasPrefix(ref, "arn:") && r.SecretsManager != nil:
		return r.SecretsManager.Secret(ctx, ref)
	}
	return nil, fmt.Errorf("broker: no secret source for this kind of reference")
}
