package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Prefix starts every token, so one can be recognised (and masked) wherever it appears.
const Prefix = "mdt1."

// MinSecretBytes is the shortest shared secret accepted.
const MinSecretBytes = 32

var (
	// ErrInvalid means the token is malformed or its MAC does not verify: refuse the request.
	ErrInvalid = errors.New("token: invalid")
	// ErrExpired means the token was valid but its lifetime is over: refuse the request.
	ErrExpired = errors.New("token: expired")
	// ErrScope means the token is valid for another audience, method or path: refuse it.
	ErrScope = errors.New("token: out of scope")
)

// Claims say what one token allows.
type Claims struct {
	Audience  string `json:"aud"` // the target name
	Method    string `json:"m"`
	Path      string `json:"p"`
	Session   string `json:"sid"`
	ID        string `json:"jti"`
	ExpiresAt int64  `json:"exp"` // unix seconds
	// Agent, Operator and IssuedAt (unix seconds) let a target refuse tokens a kill switch
	// revoked (shared/revocation).
	Agent    string `json:"agt,omitempty"`
	Operator string `json:"op,omitempty"`
	IssuedAt int64  `json:"iat,omitempty"`
}

// Mint returns a token for c signed with secret.
func Mint(secret []byte, c Claims) (string, error) {
	if len(secret) < MinSecretBytes {
		return "", fmt.Errorf("token: secret shorter than %d bytes", MinSecretBytes)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("token: encode claims: %w", err)
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return Prefix + p + "." + base64.RawURLEncoding.EncodeToString(sign(secret, p)), nil
}

// Verify checks tok against secret and the request it is presented with, and returns its
// claims.
func Verify(secret []byte, tok, audience, method, path string, now time.Time) (Claims, error) {
	rest, ok := strings.CutPrefix(tok, Prefix)
	if !ok {
		return Claims{}, ErrInvalid
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok {
		return Claims{}, ErrInvalid
	}
	mac, err := b64.DecodeString(s)
	if err != nil || !hmac.Equal(mac, sign(secret, p)) {
		return Claims{}, ErrInvalid
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Claims{}, ErrInvalid
	}
	if now.Unix() >= c.ExpiresAt {
		return Claims{}, ErrExpired
	}
	if c.Audience != audience || c.Method != method || c.Path != path {
		return Claims{}, ErrScope
	}
	return c, nil
}

func sign(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("mandate action token v1\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// b64 decodes strictly, so each token has exactly one encoding.
var b64 = base64.RawURLEncoding.Strict()
