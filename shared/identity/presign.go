package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// MaxPresignExpiry bounds X-Amz-Expires of a presigned request. AWS allows seven days; a
// Mandate URL that authenticates an agent is a bearer credential, so it is kept as short as a
// session's default lifetime.
const MaxPresignExpiry = 15 * time.Minute

// Query parameters of a presigned (query-string) SigV4 request.
const (
	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
	querySecurityToken = "X-Amz-Security-Token"
)

// verifyPresigned authenticates a request signed in its query string (the SDK's PresignHTTP
// form): X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders and -Signature, each
// once. The signing time may be at most MaxSkew in the future and the request is accepted
// until X-Amz-Date + X-Amz-Expires (at most MaxPresignExpiry). The payload hash is the body's
// SHA-256, or UNSIGNED-PAYLOAD for a request without a body (the usual presigned form).
func (v *SigV4Verifier) verifyPresigned(r *http.Request, body []byte, q url.Values) (Principal, error) {
	one := func(name string) (string, error) {
		vals := q[name]
		if len(vals) != 1 || vals[0] == "" {
			return "", malformed("presigned request needs exactly one %s", name)
		}
		return vals[0], nil
	}
	var a authorization
	vals := map[string]string{}
	for _, name := range []string{queryAlgorithm, queryCredential, queryDate, queryExpires, querySignedHeaders, querySignature} {
		val, err := one(name)
		if err != nil {
			return Principal{}, err
		}
		vals[name] = val
	}
	if vals[queryAlgorithm] != Algorithm {
		return Principal{}, malformed("%s is not %s", queryAlgorithm, Algorithm)
	}
	if err := a.parseCredential(vals[queryCredential]); err != nil {
		return Principal{}, err
	}
	var err error
	if a.SignedHeaders, err = parseSignedHeaders(vals[querySignedHeaders]); err != nil {
		return Principal{}, err
	}
	if a.Signature = vals[querySignature]; !isLowerHex(a.Signature, signatureLength) {
		return Principal{}, malformed("%s is not %d lower-case hex digits", querySignature, signatureLength)
	}
	amzDate := vals[queryDate]
	signedAt, err := time.Parse(amzDateLayout, amzDate)
	if err != nil || signedAt.Format(amzDateLayout) != amzDate {
		return Principal{}, malformed("%s is not YYYYMMDDTHHMMSSZ", queryDate)
	}
	if a.Date != amzDate[:len(scopeDateLayout)] {
		return Principal{}, malformed("credential scope date %s is not the date of %s", a.Date, queryDate)
	}
	secs, err := strconv.Atoi(vals[queryExpires])
	if err != nil || secs < 1 || strconv.Itoa(secs) != vals[queryExpires] {
		return Principal{}, malformed("%s is not a positive number of seconds", queryExpires)
	}
	if time.Duration(secs)*time.Second > MaxPresignExpiry {
		return Principal{}, malformed("%s is longer than %s", queryExpires, MaxPresignExpiry)
	}
	if a.Region != v.region {
		return Principal{}, fmt.Errorf("identity: %w: credential scope region %q is not %q", ErrBadSignature, a.Region, v.region)
	}
	if a.Service != Service {
		return Principal{}, fmt.Errorf("identity: %w: credential scope service %q is not %q", ErrBadSignature, a.Service, Service)
	}
	now := v.now()
	if signedAt.Sub(now) > MaxSkew {
		return Principal{}, fmt.Errorf("identity: %w: presigned at %s, more than %s ahead of the server's clock", ErrExpired, signedAt.Format(time.RFC3339), MaxSkew)
	}
	if now.After(signedAt.Add(time.Duration(secs) * time.Second)) {
		return Principal{}, fmt.Errorf("identity: %w: presigned request expired", ErrExpired)
	}
	if len(q[querySecurityToken]) > 0 || len(r.Header.Values(headerSecurityToken)) > 0 {
		return Principal{}, fmt.Errorf("identity: %w: session tokens are not accepted: local access keys are long-term keys", ErrUnknownKey)
	}
	key, ok := v.keys[a.AccessKeyID]
	if !ok {
		return Principal{}, fmt.Errorf("identity: %w: access key id %q", ErrUnknownKey, a.AccessKeyID)
	}
	sum := sha256.Sum256(body)
	hashes := []string{hex.EncodeToString(sum[:])}
	if len(body) == 0 {
		hashes = append(hashes, unsignedPayload)
	}
	// The signer sees the query without the signature; it sets the other X-Amz-* parameters
	// itself, to the same values.
	unsigned := url.Values{}
	for k, vs := range q {
		if k != querySignature {
			unsigned[k] = vs
		}
	}
	for _, form := range canonicalPathForms(r.URL) {
		for _, hash := range hashes {
			c, err := v.signedCopy(r, a, amzDate, form)
			if err != nil {
				return Principal{}, err
			}
			delete(c.Header, headerAmzDate) // in the query, not a header, when presigned
			c.URL.RawQuery = unsigned.Encode()
			err = key.checkPresigned(r, c, a, hash, v.region, signedAt, form != sdkPath)
			if err == nil {
				return localPrincipal(key.agent, a.AccessKeyID), nil
			}
			if !errors.Is(err, ErrBadSignature) {
				return Principal{}, err
			}
		}
	}
	return Principal{}, fmt.Errorf("identity: %w", ErrBadSignature)
}

// checkPresigned presigns c as the client should have and compares the signature in constant
// time.
func (k localKey) checkPresigned(r, c *http.Request, a authorization, payloadHash, region string, signedAt time.Time, asIs bool) error {
	uri, _, err := k.signer.PresignHTTP(r.Context(), k.creds, c, payloadHash, Service, region, signedAt, func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = asIs
		o.DisableHeaderHoisting = true
		o.DisableSessionToken = true
	})
	if err != nil {
		return fmt.Errorf("identity: %w: the request cannot be canonicalised: %v", ErrMalformed, err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return fmt.Errorf("identity: %w: the signer's URL does not parse", ErrMalformed)
	}
	got := u.Query()
	if got.Get(querySignedHeaders) != strings.Join(a.SignedHeaders, ";") {
		return malformed("the signed headers cannot be reproduced")
	}
	if !hmac.Equal([]byte(got.Get(querySignature)), []byte(a.Signature)) {
		return fmt.Errorf("identity: %w", ErrBadSignature)
	}
	return nil
}
