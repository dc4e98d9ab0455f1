package mask

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

// Vault keeps, for each session, the values behind the tokens the session was shown, so a
// later action of the same session can carry a token and have it replaced by its value on
// egress to the target (Detokenize). Only Mandate reads it: the agent sees tokens only.
// Tokens are keyed per deployment, but a vault entry is per session: a token seen in one
// session does not open in another.
type Vault interface {
	// Put stores the values of tokens for session until expires. Storing a token again is
	// success (tokens are deterministic, so the value is the same).
	Put(ctx context.Context, session string, tokens []Token, expires time.Time) error
	// Get returns the value of token in session; ok is false when the session was never
	// shown that token or its entry expired.
	Get(ctx context.Context, session, token string) (value string, ok bool, err error)
}

// MemoryVault is a Vault in process memory, for tests, the CLI and single-process use.
type MemoryVault struct {
	mu  sync.Mutex
	m   map[[2]string]memoryEntry
	now func() time.Time
}

type memoryEntry struct {
	value   string
	expires time.Time
}

var _ Vault = (*MemoryVault)(nil)

// NewMemoryVault returns an empty vault on clock now (nil: time.Now).
func NewMemoryVault(now func() time.Time) *MemoryVault {
	if now == nil {
		now = time.Now
	}
	return &MemoryVault{m: map[[2]string]memoryEntry{}, now: now}
}

// Put implements Vault.
func (v *MemoryVault) Put(_ context.Context, session string, tokens []Token, expires time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	for k, e := range v.m { // drop expired entries as the vault is written
		if !e.expires.After(now) {
			delete(v.m, k)
		}
	}
	for _, t := range tokens {
		v.m[[2]string{session, t.Token}] = memoryEntry{t.Value, expires}
	}
	return nil
}

// Get implements Vault.
func (v *MemoryVault) Get(_ context.Context, session, token string) (string, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[[2]string{session, token}]
	if !ok || !e.expires.After(v.now()) {
		return "", false, nil
	}
	return e.value, true, nil
}

// ClaimsVault is a Vault over the store's claims (store.Claims): the table every deployment
// already has, in DynamoDB and in the embedded store, with expiry. Each value is sealed with
// AES-256-GCM under a key derived from the deployment key, bound to its session and token,
// so the table holds no value in the clear and an entry cannot be moved to another session.
//
// A claim is taken once, so Put is "claim the key"; Get claims the key with an expiry in the
// past, which returns the held entry when there is one and otherwise leaves only an expired
// placeholder that the next Put replaces.
type ClaimsVault struct {
	claims store.Claims
	aead   cipher.AEAD
}

var _ Vault = (*ClaimsVault)(nil)

// Claim digests of vault entries.
const (
	vaultDigest  = "mask-vault-v1"
	lookupDigest = "mask-vault-lookup"
	vaultPrefix  = "mask/"
)

// NewClaimsVault returns a vault over claims sealed under a key derived from the deployment
// key (at least MinKeyBytes bytes).
func NewClaimsVault(claims store.Claims, deploymentKey []byte) (*ClaimsVault, error) {
	if claims == nil {
		return nil, errors.New("mask: vault: no claims store")
	}
	if len(deploymentKey) < MinKeyBytes {
		return nil, fmt.Errorf("mask: vault: the deployment key must have at least %d bytes", MinKeyBytes)
	}
	block, err := aes.NewCipher(derive(deploymentKey, vaultKeyLabel))
	if err != nil {
		return nil, fmt.Errorf("mask: vault: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("mask: vault: %w", err)
	}
	return &ClaimsVault{claims: claims, aead: aead}, nil
}

func vaultKey(session, token string) string { return vaultPrefix + session + "/" + token }

func aad(session, token string) []byte { return []byte(session + "\x00" + token) }

// Put implements Vault.
func (v *ClaimsVault) Put(ctx context.Context, session string, tokens []Token, expires time.Time) error {
	seen := map[string]bool{}
	for _, t := range tokens {
		if seen[t.Token] {
			continue
		}
		seen[t.Token] = true
		nonce := make([]byte, v.aead.NonceSize(), v.aead.NonceSize()+len(t.Value)+v.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return fmt.Errorf("mask: vault: nonce: %w", err)
		}
		sealed := v.aead.Seal(nonce, nonce, []byte(t.Value), aad(session, t.Token))
		_, err := v.claims.ClaimKey(ctx, store.Claim{Key: vaultKey(session, t.Token), Digest: vaultDigest, Result: sealed, ExpiresAt: expires})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("mask: vault: store token of %s: %w", t.Detector, err)
		}
	}
	return nil
}

// Get implements Vault.
func (v *ClaimsVault) Get(ctx context.Context, session, token string) (string, bool, error) {
	held, err := v.claims.ClaimKey(ctx, store.Claim{Key: vaultKey(session, token), Digest: lookupDigest, ExpiresAt: time.Unix(1, 0)})
	if err == nil {
		return "", false, nil // nothing was held: an expired placeholder took its place
	}
	if !errors.Is(err, store.ErrExists) {
		return "", false, fmt.Errorf("mask: vault: read token: %w", err)
	}
	if held.Digest != vaultDigest || len(held.Result) < v.aead.NonceSize() {
		return "", false, nil
	}
	n := v.aead.NonceSize()
	plain, err := v.aead.Open(nil, held.Result[:n], held.Result[n:], aad(session, token))
	if err != nil {
		return "", false, fmt.Errorf("mask: vault: an entry does not open under this deployment key: %w", err)
	}
	return string(plain), true, nil
}
