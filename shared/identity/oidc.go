package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Trust says what a configured issuer's tokens may prove.
const (
	// TrustAgent: the issuer's tokens authenticate agents (workload identities).
	TrustAgent = "agent"
	// TrustOperator: the issuer's tokens prove the human operator behind an agent.
	TrustOperator = "operator"
)

// KindOIDC is Principal.Kind for an agent proven with an OIDC bearer token.
const KindOIDC = "oidc"

// Token verification limits.
const (
	// DefaultLeeway is the clock tolerance on exp, nbf and iat when an issuer sets none.
	DefaultLeeway = 30 * time.Second
	// MaxLeeway bounds the clock tolerance an issuer may be configured with.
	MaxLeeway = 2 * time.Minute
	// MinRefreshInterval is the least time between two fetches of one issuer's key set: a storm
	// of tokens with unknown key ids causes at most one fetch per interval.
	MinRefreshInterval = 30 * time.Second
	// MaxKeySetAge is how long a fetched key set is used before it is fetched again (on the next
	// verification; a failed fetch keeps the old set).
	MaxKeySetAge = time.Hour
	// MaxTokenBytes bounds a bearer token (API Gateway limits headers to about 10 KB).
	MaxTokenBytes = 8 << 10
	// maxCachedTokens bounds the cache of verified tokens.
	maxCachedTokens = 4096
	// maxKeySetBytes bounds a fetched JWKS or discovery document.
	maxKeySetBytes = 1 << 20
	// minRSABits is the smallest RSA modulus accepted in a key set.
	minRSABits = 2048
)

// asymmetric lists the signature algorithms an issuer may be configured with. HMAC (HS*) is
// never accepted: a key set published by an issuer is public, and an HMAC "key" taken from it
// would let anyone mint tokens. `none` is not a signature algorithm at all.
var asymmetric = map[string]jose.SignatureAlgorithm{
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"EdDSA": jose.EdDSA,
}

// IssuerConfig is one trusted OIDC issuer, as listed in config.
type IssuerConfig struct {
	// Issuer is the exact iss value of the issuer's tokens (an https URL, or any string for a
	// jwks_file issuer).
	Issuer string
	// Audiences lists the acceptable aud values; a token must name at least one. Required.
	Audiences []string
	// Algorithms is the allow-list of signature algorithms (RS256, ES256, EdDSA, ...). Required;
	// HMAC algorithms and none are refused.
	Algorithms []string
	// DiscoveryURL is the issuer's OpenID configuration document, whose jwks_uri is used; its
	// issuer must equal Issuer. Exactly one of DiscoveryURL, JWKSURL and JWKSFile is set.
	DiscoveryURL string
	// JWKSURL is the issuer's key set URL.
	JWKSURL string
	// JWKSFile is a local file holding the key set; it is read again on refresh.
	JWKSFile string
	// Trust is TrustAgent or TrustOperator.
	Trust string
	// Type, when set, is the required typ header (compared case-insensitively, with or without
	// "application/"): "JWT", "at+jwt".
	Type string
	// OperatorClaim names the claim that identifies the human for a TrustOperator issuer
	// ("sub" when empty; "email" requires email_verified not to be false).
	OperatorClaim string
	// Leeway is the clock tolerance on exp, nbf and iat; DefaultLeeway when zero, at most MaxLeeway.
	Leeway time.Duration
}

// validate reports every problem with c at once.
func (c IssuerConfig) validate() error {
	var errs []error
	if c.Issuer == "" {
		errs = append(errs, errors.New("issuer is required"))
	}
	if len(c.Audiences) == 0 || slices.Contains(c.Audiences, "") {
		errs = append(errs, errors.New("audiences are required and may not be empty strings"))
	}
	if len(c.Algorithms) == 0 {
		errs = append(errs, errors.New("algorithms are required"))
	}
	for _, a := range c.Algorithms {
		if _, ok := asymmetric[a]; !ok {
			errs = append(errs, fmt.Errorf("algorithm %q is not accepted (asymmetric algorithms only: no HMAC, no none)", a))
		}
	}
	sources := 0
	for _, s := range []string{c.DiscoveryURL, c.JWKSURL, c.JWKSFile} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		errs = append(errs, errors.New("exactly one of discovery_url, jwks_url and jwks_file is required"))
	}
	for _, u := range []string{c.DiscoveryURL, c.JWKSURL} {
		if u != "" && !fetchable(u) {
			errs = append(errs, fmt.Errorf("%q is not an https URL (http only on a loopback address)", u))
		}
	}
	if c.Trust != TrustAgent && c.Trust != TrustOperator {
		errs = append(errs, fmt.Errorf("trust must be %q or %q", TrustAgent, TrustOperator))
	}
	if c.Leeway < 0 || c.Leeway > MaxLeeway {
		errs = append(errs, fmt.Errorf("leeway must be between 0 and %s", MaxLeeway))
	}
	if c.OperatorClaim != "" && c.Trust != TrustOperator {
		errs = append(errs, errors.New("operator_claim applies to operator issuers only"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("identity: issuer %q: %w", c.Issuer, err)
	}
	return nil
}

// fetchable accepts https URLs, and http URLs on a loopback host (local JWKS servers, tests).
func fetchable(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		return h == "localhost" || h == "127.0.0.1" || h == "::1"
	}
	return false
}

// TokenVerifier verifies OIDC bearer tokens (JWS compact serialisation) from allow-listed
// issuers. It is safe for concurrent use.
type TokenVerifier struct {
	now     func() time.Time
	issuers map[string]*issuer

	mu      sync.Mutex
	cache   map[[32]byte]cachedToken // verified tokens by SHA-256 of the raw token
	noCache bool                     // benchmarks of the uncached path
}

type cachedToken struct {
	tok     Token
	issuer  *issuer
	keysGen uint64
}

// issuer is a configured issuer with its key set.
type issuer struct {
	cfg    IssuerConfig
	algs   []jose.SignatureAlgorithm
	leeway time.Duration
	keys   *keySet
}

// NewTokenVerifier returns a verifier for the given issuers. client fetches discovery
// documents and key sets (a client with a 10 s timeout when nil); now is the clock (time.Now
// when nil). Key sets from files are read now, so a broken file is a startup error; URLs are
// fetched on first use. Every problem is reported at once.
func NewTokenVerifier(issuers []IssuerConfig, client *http.Client, now func() time.Time) (*TokenVerifier, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	v := &TokenVerifier{now: now, issuers: map[string]*issuer{}, cache: map[[32]byte]cachedToken{}}
	var errs []error
	for _, c := range issuers {
		if err := c.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := v.issuers[c.Issuer]; dup {
			errs = append(errs, fmt.Errorf("identity: issuer %q is listed twice", c.Issuer))
			continue
		}
		is := &issuer{cfg: c, leeway: c.Leeway, keys: newKeySet(c, client, now)}
		if is.leeway == 0 {
			is.leeway = DefaultLeeway
		}
		for _, a := range c.Algorithms {
			is.algs = append(is.algs, asymmetric[a])
		}
		if c.JWKSFile != "" {
			if err := is.keys.refresh(context.Background()); err != nil {
				errs = append(errs, fmt.Errorf("identity: issuer %q: %w", c.Issuer, err))
				continue
			}
		}
		v.issuers[c.Issuer] = is
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// Trusts reports whether iss is a configured issuer with the given trust. The edge uses it to
// re-check claims an API Gateway JWT authorizer already verified.
func (v *TokenVerifier) Trusts(iss, trust string) bool {
	if v == nil {
		return false
	}
	is, ok := v.issuers[iss]
	return ok && is.cfg.Trust == trust
}

// Issuers returns the configured issuers with the given trust, sorted.
func (v *TokenVerifier) Issuers(trust string) []string {
	if v == nil {
		return nil
	}
	var out []string
	for iss, is := range v.issuers {
		if is.cfg.Trust == trust {
			out = append(out, iss)
		}
	}
	slices.Sort(out)
	return out
}

// Token is a verified token: its issuer's configuration and its claims.
type Token struct {
	Issuer  string
	Subject string
	// Audience is the token's aud, as a list.
	Audience []string
	// Expiry is the token's exp.
	Expiry time.Time
	// Claims are the token's claims, numbers as json.Number. They are shared with the
	// verifier's cache: callers MUST NOT modify them.
	Claims map[string]any
	// KeyID is the kid of the key that verified the token.
	KeyID string
	// trust is the issuer's trust.
	trust string
	// operatorClaim is the issuer's OperatorClaim.
	operatorClaim string
}

// Verify checks raw, a JWS compact-serialised token, for an issuer trusted as trust. Errors
// wrap ErrUnauthenticated and one of ErrUnsigned (empty), ErrMalformed (syntax, an algorithm
// outside the issuer's allow-list, a bad typ, missing claims), ErrUntrustedIssuer,
// ErrUnknownKey (no key with the token's kid, after a rate-limited refresh),
// ErrBadSignature, ErrTokenExpired (exp, nbf or iat outside the leeway) and ErrWrongAudience.
//
// The issuer is read from the unverified payload only to choose the key set; nothing else is
// believed before the signature verifies. Header parameters that point at keys (jku, x5u, jwk,
// x5c) are ignored: keys come only from the issuer's configured source.
func (v *TokenVerifier) Verify(ctx context.Context, raw, trust string) (Token, error) {
	if raw == "" {
		return Token{}, fmt.Errorf("identity: %w: no token", ErrUnsigned)
	}
	if len(raw) > MaxTokenBytes {
		return Token{}, malformed("token longer than %d bytes", MaxTokenBytes)
	}
	sum := sha256.Sum256([]byte(raw))
	now := v.now()
	if t, ok := v.cached(sum, trust, now); ok && !v.noCache {
		return t, nil
	}
	if strings.Count(raw, ".") != 2 {
		return Token{}, malformed("token is not a JWS in compact serialisation")
	}
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return Token{}, err
	}
	is, ok := v.issuers[iss]
	if !ok || is.cfg.Trust != trust {
		return Token{}, fmt.Errorf("identity: %w: issuer %q is not trusted for %s tokens", ErrUntrustedIssuer, iss, trust)
	}
	jws, err := jose.ParseSignedCompact(raw, is.algs)
	if err != nil {
		return Token{}, malformed("token does not parse or its algorithm is not allowed for issuer %q", iss)
	}
	if len(jws.Signatures) != 1 {
		return Token{}, malformed("token has %d signatures", len(jws.Signatures))
	}
	h := jws.Signatures[0].Protected
	if err := checkType(is.cfg.Type, h.ExtraHeaders[jose.HeaderType]); err != nil {
		return Token{}, err
	}
	keys, gen, err := is.keys.lookup(ctx, h.KeyID, h.Algorithm)
	if err != nil {
		return Token{}, err
	}
	var payload []byte
	for _, k := range keys {
		if payload, err = jws.Verify(k); err == nil {
			break
		}
	}
	if payload == nil {
		return Token{}, fmt.Errorf("identity: %w: token signature does not verify", ErrBadSignature)
	}
	t, err := is.claims(payload, now)
	if err != nil {
		return Token{}, err
	}
	t.KeyID = h.KeyID
	v.store(sum, cachedToken{tok: t, issuer: is, keysGen: gen})
	return t, nil
}

// cached returns a token verified before, if it is still within its lifetime and its issuer's
// key set has not changed since.
func (v *TokenVerifier) cached(sum [32]byte, trust string, now time.Time) (Token, bool) {
	v.mu.Lock()
	c, ok := v.cache[sum]
	v.mu.Unlock()
	if !ok || c.tok.trust != trust || c.keysGen != c.issuer.keys.generation() {
		return Token{}, false
	}
	if !now.Before(c.tok.Expiry.Add(c.issuer.leeway)) {
		return Token{}, false
	}
	return c.tok, true
}

func (v *TokenVerifier) store(sum [32]byte, c cachedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cache) >= maxCachedTokens {
		clear(v.cache) // bounded memory; the next requests verify again
	}
	v.cache[sum] = c
}

// unverifiedIssuer reads iss from a compact JWS's payload, to choose the key set.
func unverifiedIssuer(raw string) (string, error) {
	parts := strings.SplitN(raw, ".", 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", malformed("token payload is not base64url")
	}
	var c struct {
		Iss json.RawMessage `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", malformed("token payload is not a JSON object")
	}
	var iss string
	if err := json.Unmarshal(c.Iss, &iss); err != nil || iss == "" {
		return "", malformed("token has no iss")
	}
	return iss, nil
}

// checkType compares the typ header with the issuer's required type, when it sets one.
func checkType(want string, got any) error {
	if want == "" {
		return nil
	}
	s, _ := got.(string)
	norm := func(t string) string { return strings.TrimPrefix(strings.ToLower(t), "application/") }
	if norm(s) != norm(want) {
		return malformed("token typ %q is not %q", s, want)
	}
	return nil
}

// claims checks the registered claims of a verified payload and returns the token.
func (is *issuer) claims(payload []byte, now time.Time) (Token, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return Token{}, malformed("token payload is not a JSON object")
	}
	t := Token{Claims: m, trust: is.cfg.Trust, operatorClaim: is.cfg.OperatorClaim}
	var ok bool
	if t.Issuer, ok = m["iss"].(string); !ok || t.Issuer != is.cfg.Issuer {
		return Token{}, fmt.Errorf("identity: %w: iss changed under the signature", ErrUntrustedIssuer)
	}
	if t.Subject, ok = m["sub"].(string); !ok || t.Subject == "" {
		return Token{}, malformed("token has no sub")
	}
	exp, ok := numericDate(m["exp"])
	if !ok {
		return Token{}, malformed("token has no exp")
	}
	t.Expiry = exp
	if !now.Before(exp.Add(is.leeway)) {
		return Token{}, fmt.Errorf("identity: %w: token expired at %s", ErrTokenExpired, exp.UTC().Format(time.RFC3339))
	}
	for _, name := range []string{"nbf", "iat"} {
		raw, present := m[name]
		if !present {
			continue
		}
		at, ok := numericDate(raw)
		if !ok {
			return Token{}, malformed("token %s is not a NumericDate", name)
		}
		if at.After(now.Add(is.leeway)) {
			return Token{}, fmt.Errorf("identity: %w: token %s is in the future", ErrTokenExpired, name)
		}
	}
	switch aud := m["aud"].(type) {
	case string:
		t.Audience = []string{aud}
	case []any:
		for _, a := range aud {
			s, ok := a.(string)
			if !ok {
				return Token{}, malformed("token aud holds a non-string")
			}
			t.Audience = append(t.Audience, s)
		}
	case nil:
		return Token{}, fmt.Errorf("identity: %w: token has no aud", ErrWrongAudience)
	default:
		return Token{}, malformed("token aud is not a string or list")
	}
	for _, a := range t.Audience {
		if slices.Contains(is.cfg.Audiences, a) {
			return t, nil
		}
	}
	return Token{}, fmt.Errorf("identity: %w: token is not for an accepted audience", ErrWrongAudience)
}

// numericDate reads a JWT NumericDate (seconds since the epoch, possibly fractional).
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
}
