package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keySet is one issuer's verification keys: read from a file or fetched (directly or through
// discovery), cached, and refreshed when a token names a key id the set does not hold, at most
// once per MinRefreshInterval.
type keySet struct {
	cfg    IssuerConfig
	client *http.Client
	now    func() time.Time

	mu        sync.RWMutex
	keys      map[string][]jose.JSONWebKey // by kid ("" for keys without one)
	fetchedAt time.Time
	gen       atomic.Uint64 // incremented each time the keys change

	fetchMu     sync.Mutex // one fetch at a time; the others wait and see its result
	lastAttempt time.Time
	jwksURL     string // from discovery, cached
	fetches     atomic.Int64
}

func newKeySet(cfg IssuerConfig, client *http.Client, now func() time.Time) *keySet {
	return &keySet{cfg: cfg, client: client, now: now, jwksURL: cfg.JWKSURL}
}

func (s *keySet) generation() uint64 { return s.gen.Load() }

// lookup returns the keys that may verify a token with key id kid and algorithm alg, and the
// key set's generation. An unknown kid (or a set older than MaxKeySetAge) triggers a refresh,
// rate-limited to one per MinRefreshInterval; a refresh that fails keeps the old keys.
func (s *keySet) lookup(ctx context.Context, kid, alg string) ([]jose.JSONWebKey, uint64, error) {
	keys, stale := s.find(kid, alg)
	if len(keys) > 0 && !stale {
		return keys, s.gen.Load(), nil
	}
	s.fetchMu.Lock()
	// Another caller may have refreshed while this one waited.
	if again, stale2 := s.find(kid, alg); len(again) > 0 && !stale2 {
		s.fetchMu.Unlock()
		return again, s.gen.Load(), nil
	}
	var err error
	if s.now().Sub(s.lastAttempt) >= MinRefreshInterval {
		err = s.refreshLocked(ctx)
	}
	s.fetchMu.Unlock()
	if keys, _ = s.find(kid, alg); len(keys) > 0 {
		return keys, s.gen.Load(), nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("identity: %w: key set of %q unavailable (%v) and no key %q", ErrUnknownKey, s.cfg.Issuer, err, kid)
	}
	return nil, 0, fmt.Errorf("identity: %w: issuer %q has no %s key %q", ErrUnknownKey, s.cfg.Issuer, alg, kid)
}

// find returns the usable keys for kid and alg, and whether the set is due for a refresh. A
// token without kid may use the set's keys only when exactly one of them fits.
func (s *keySet) find(kid, alg string) ([]jose.JSONWebKey, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	stale := s.fetchedAt.IsZero() || s.now().Sub(s.fetchedAt) > MaxKeySetAge
	var out []jose.JSONWebKey
	if kid != "" {
		for _, k := range s.keys[kid] {
			if fits(k, alg) {
				out = append(out, k)
			}
		}
		return out, stale
	}
	for _, ks := range s.keys {
		for _, k := range ks {
			if fits(k, alg) {
				out = append(out, k)
			}
		}
	}
	if len(out) != 1 {
		return nil, stale
	}
	return out, stale
}

// fits reports whether k may verify a signature made with alg: its declared alg (if any) is
// alg, and its type is the one alg needs.
func fits(k jose.JSONWebKey, alg string) bool {
	if k.Algorithm != "" && k.Algorithm != alg {
		return false
	}
	switch k.Key.(type) {
	case *rsa.PublicKey:
		return alg[:2] == "RS" || alg[:2] == "PS"
	case *ecdsa.PublicKey:
		return alg[:2] == "ES"
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// refresh fetches the key set now, ignoring the rate limit (used at construction).
func (s *keySet) refresh(ctx context.Context) error {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *keySet) refreshLocked(ctx context.Context) error {
	s.lastAttempt = s.now()
	s.fetches.Add(1)
	raw, err := s.fetch(ctx)
	if err != nil {
		return err
	}
	keys, err := parseKeySet(raw)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.keys, s.fetchedAt = keys, s.now()
	s.mu.Unlock()
	s.gen.Add(1)
	return nil
}

// fetch reads the JWKS document from the file, the URL, or the URL named by discovery.
func (s *keySet) fetch(ctx context.Context) ([]byte, error) {
	if s.cfg.JWKSFile != "" {
		raw, err := os.ReadFile(s.cfg.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("read jwks_file: %w", err)
		}
		return raw, nil
	}
	if s.jwksURL == "" {
		raw, err := s.get(ctx, s.cfg.DiscoveryURL)
		if err != nil {
			return nil, fmt.Errorf("discovery: %w", err)
		}
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, errors.New("discovery document is not JSON")
		}
		if doc.Issuer != s.cfg.Issuer {
			return nil, fmt.Errorf("discovery document names issuer %q", doc.Issuer)
		}
		if !fetchable(doc.JWKSURI) {
			return nil, fmt.Errorf("discovery jwks_uri %q is not an https URL", doc.JWKSURI)
		}
		s.jwksURL = doc.JWKSURI
	}
	return s.get(ctx, s.jwksURL)
}

func (s *keySet) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxKeySetBytes {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", u, maxKeySetBytes)
	}
	return raw, nil
}

// parseKeySet keeps the public signature keys of a JWKS document: RSA of at least minRSABits,
// EC and Ed25519; symmetric and private keys, and keys for encryption, are dropped.
func parseKeySet(raw []byte) (map[string][]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, errors.New("key set is not a JWKS document")
	}
	out := map[string][]jose.JSONWebKey{}
	for _, rk := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(rk); err != nil {
			continue // a key of a type this package does not use
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch pk := k.Key.(type) {
		case *rsa.PublicKey:
			if pk.N.BitLen() < minRSABits {
				continue
			}
		case *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			continue // symmetric or private keys have no place in a published key set
		}
		out[k.KeyID] = append(out[k.KeyID], k)
	}
	if len(out) == 0 {
		return nil, errors.New("key set holds no usable signature key")
	}
	return out, nil
}
