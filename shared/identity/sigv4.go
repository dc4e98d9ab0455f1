package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Service is the SigV4 service name of the Mandate API, as of any API Gateway API.
const Service = "execute-api"

// MaxSkew is how far X-Amz-Date may be from the server's clock, in either direction, for a
// signature to be accepted: AWS's own limit. A request signed exactly MaxSkew away is accepted.
const MaxSkew = 5 * time.Minute

// amzDateLayout is the layout of X-Amz-Date (ISO 8601 basic format, UTC).
const amzDateLayout = "20060102T150405Z"

// unsignedPayload is the payload hash of a request whose body is not signed. Accepted only for
// a request without a body, where there is nothing to sign: every Mandate request body is
// covered by the signature.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Header names this package reads (canonical form).
const (
	headerAuthorization = "Authorization"
	headerAmzDate       = "X-Amz-Date"
	headerContentSHA256 = "X-Amz-Content-Sha256"
	headerSecurityToken = "X-Amz-Security-Token"
	headerContentLength = "Content-Length"
)

// Key is one local agent's access key pair, as listed in the local config.
type Key struct {
	// Agent is the agent's name: 1 to 64 of [A-Za-z0-9+=,.@_-], like an IAM user name. The
	// agent's identity is LocalARN(Agent).
	Agent string
	// AccessKeyID is 1 to 128 ASCII letters and digits, unique among the keys.
	AccessKeyID string
	// SecretAccessKey is the signing secret. It never appears in an error or log line.
	SecretAccessKey string
}

// SigV4Verifier verifies AWS Signature Version 4 requests signed with local agents' keys: in
// local mode it plays the part API Gateway's IAM authorizer plays in AWS. It is safe for
// concurrent use.
type SigV4Verifier struct {
	region string
	now    func() time.Time
	keys   map[string]localKey
}

// localKey is a Key ready to verify with. Each key has its own signer, so the signer's
// derived-key cache (one entry per region and service) holds this key's signing key for the day
// instead of being overwritten by the other keys' requests.
type localKey struct {
	agent  string
	creds  aws.Credentials
	signer *v4.Signer
}

// NewSigV4Verifier returns a verifier for requests signed for region and service Service with
// one of keys. now is the clock (time.Now when nil). Every problem with the arguments is
// reported at once; the errors never contain a secret.
func NewSigV4Verifier(region string, keys []Key, now func() time.Time) (*SigV4Verifier, error) {
	var errs []error
	if !isScopeName(region) {
		errs = append(errs, fmt.Errorf("identity: region %q is not a valid region name", region))
	}
	if now == nil {
		now = time.Now
	}
	v := &SigV4Verifier{region: region, now: now, keys: make(map[string]localKey, len(keys))}
	for i, k := range keys {
		ok := true
		if !validName(k.Agent) {
			errs = append(errs, fmt.Errorf("identity: key %d: agent name %q is not 1 to %d of [A-Za-z0-9+=,.@_-]", i, k.Agent, maxNameLength))
			ok = false
		}
		if !validAccessKeyID(k.AccessKeyID) {
			errs = append(errs, fmt.Errorf("identity: key %d (agent %q): access key id is not 1 to %d ASCII letters and digits", i, k.Agent, maxAccessKeyIDLength))
			ok = false
		}
		if k.SecretAccessKey == "" {
			errs = append(errs, fmt.Errorf("identity: key %d (agent %q): empty secret access key", i, k.Agent))
			ok = false
		}
		if _, dup := v.keys[k.AccessKeyID]; dup {
			errs = append(errs, fmt.Errorf("identity: key %d (agent %q): duplicate access key id %q", i, k.Agent, k.AccessKeyID))
			ok = false
		}
		if ok {
			v.keys[k.AccessKeyID] = localKey{
				agent:  k.Agent,
				creds:  aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, Source: "mandate-local"},
				signer: v4.NewSigner(),
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// Verify authenticates r, a request signed with SigV4 in the Authorization header, whose body
// (already read by the caller, r.Body is not touched) is body. It returns the local agent's
// Principal, or an error wrapping exactly one of ErrUnsigned, ErrMalformed, ErrUnknownKey,
// ErrBadSignature and ErrExpired (all of them ErrUnauthenticated).
//
// Checks, in order: one Authorization header, parsed strictly; one X-Amz-Date, signed; the
// credential scope (date of X-Amz-Date, this verifier's region, Service, aws4_request); the
// signing time within MaxSkew of now; no X-Amz-Security-Token (local keys have none); a known
// access key id; X-Amz-Content-Sha256, when present, equal to the body's SHA-256
// (UNSIGNED-PAYLOAD is refused); then the signature, recomputed with the AWS SDK v2 signer over
// a copy of the request that carries only the signed headers, and compared in constant time.
//
// SigV4 clients disagree on the canonical URI of execute-api requests; Verify accepts the AWS
// SDK's form and the single-encoded forms API Gateway and curl use, never a form that could
// authenticate a different path (see canonicalPathForms). The canonical query string is the
// standard one (parameters decoded, re-encoded, sorted); a client that signs the query as sent
// (curl 7.88 does) verifies only when the query it sends is already in that form.
func (v *SigV4Verifier) Verify(r *http.Request, body []byte) (Principal, error) {
	if r == nil || r.URL == nil {
		return Principal{}, malformed("no request")
	}
	authz := r.Header.Values(headerAuthorization)
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return Principal{}, malformed("query string does not parse")
	}
	presigned := query.Has("X-Amz-Signature") || query.Has("X-Amz-Credential")
	switch {
	case len(authz) == 0 && presigned:
		return v.verifyPresigned(r, body, query)
	case len(authz) == 0:
		return Principal{}, fmt.Errorf("identity: %w: no Authorization header", ErrUnsigned)
	case len(authz) > 1:
		return Principal{}, malformed("more than one Authorization header")
	case presigned:
		return Principal{}, malformed("both an Authorization header and a query-string signature")
	}
	a, err := parseAuthorization(authz[0])
	if err != nil {
		return Principal{}, err
	}

	// Signing time and credential scope.
	dates := r.Header.Values(headerAmzDate)
	if len(dates) != 1 {
		return Principal{}, malformed("want exactly one X-Amz-Date header, have %d", len(dates))
	}
	signedAt, err := time.Parse(amzDateLayout, dates[0])
	if err != nil || signedAt.Format(amzDateLayout) != dates[0] {
		return Principal{}, malformed("X-Amz-Date is not YYYYMMDDTHHMMSSZ")
	}
	if !a.signs("x-amz-date") {
		return Principal{}, malformed("X-Amz-Date is not signed")
	}
	if a.Date != dates[0][:len(scopeDateLayout)] {
		return Principal{}, malformed("credential scope date %s is not the date of X-Amz-Date", a.Date)
	}
	if a.Region != v.region {
		return Principal{}, fmt.Errorf("identity: %w: credential scope region %q is not %q", ErrBadSignature, a.Region, v.region)
	}
	if a.Service != Service {
		return Principal{}, fmt.Errorf("identity: %w: credential scope service %q is not %q", ErrBadSignature, a.Service, Service)
	}
	if skew := v.now().Sub(signedAt); skew > MaxSkew || skew < -MaxSkew {
		return Principal{}, fmt.Errorf("identity: %w: signed at %s, more than %s from the server's clock", ErrExpired, signedAt.Format(time.RFC3339), MaxSkew)
	}

	// Credentials.
	if len(r.Header.Values(headerSecurityToken)) > 0 {
		if !a.signs("x-amz-security-token") {
			return Principal{}, malformed("X-Amz-Security-Token is present but not signed")
		}
		return Principal{}, fmt.Errorf("identity: %w: session tokens are not accepted: local access keys are long-term keys", ErrUnknownKey)
	}
	key, ok := v.keys[a.AccessKeyID]
	if !ok {
		return Principal{}, fmt.Errorf("identity: %w: access key id %q", ErrUnknownKey, a.AccessKeyID)
	}

	// Payload.
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if declared := r.Header.Values(headerContentSHA256); len(declared) > 0 {
		switch {
		case len(declared) > 1:
			return Principal{}, malformed("more than one X-Amz-Content-Sha256 header")
		case declared[0] == unsignedPayload && len(body) > 0:
			return Principal{}, malformed("X-Amz-Content-Sha256 %s is not accepted with a body: the body must be signed", unsignedPayload)
		case declared[0] == unsignedPayload:
			payloadHash = unsignedPayload // nothing to sign: the request has no body
		case strings.HasPrefix(declared[0], "STREAMING-"):
			return Principal{}, malformed("streaming payload signatures are not accepted")
		case !isLowerHex(declared[0], sha256.Size*2):
			return Principal{}, malformed("X-Amz-Content-Sha256 is not a lower-case hex SHA-256")
		case declared[0] != payloadHash:
			return Principal{}, fmt.Errorf("identity: %w: X-Amz-Content-Sha256 does not match the body", ErrBadSignature)
		}
	}

	// Signature: the SDK's canonical URI first, then the single-encoded forms where allowed.
	for _, form := range canonicalPathForms(r.URL) {
		c, err := v.signedCopy(r, a, dates[0], form)
		if err != nil {
			return Principal{}, err
		}
		err = key.check(r.Context(), c, a, payloadHash, v.region, signedAt, form != sdkPath)
		if err == nil {
			return localPrincipal(key.agent, a.AccessKeyID), nil
		}
		if !errors.Is(err, ErrBadSignature) {
			return Principal{}, err
		}
	}
	return Principal{}, fmt.Errorf("identity: %w", ErrBadSignature)
}

// sdkPath stands for the AWS SDK's canonical URI in the list canonicalPathForms returns.
const sdkPath = ""

// canonicalPathForms lists the canonical URIs a client may have signed for u's path, as
// escaped paths, sdkPath standing for the SDK's own form. SigV4 clients disagree on the
// canonical URI of execute-api requests:
//
//   - the AWS SDKs (the reference client) escape the escaped path once more: /a%20b signs
//     as /a%2520b;
//   - curl --aws-sigv4 (7.88) signs the path as sent, the form API Gateway is reported to
//     expect: /a%20b;
//   - other clients escape the path once, every reserved character escaped and existing
//     escapes kept: /a@b signs as /a%40b.
//
// The two single-encoded forms always decode to the request's own path, so they can never
// authenticate another path; but a path holding an escaped '%' (%25) can equal the SDK form of
// a different path (/a%2520b is also the SDK form of /a%20b). For such a path only the SDK form
// is returned.
func canonicalPathForms(u *url.URL) []string {
	wire := u.EscapedPath()
	if wire == "" {
		wire = "/"
	}
	if strings.Contains(wire, "%25") {
		return []string{sdkPath}
	}
	once := escapePathOnce(wire)
	switch {
	case once == wire && strings.IndexByte(wire, '%') < 0:
		return []string{sdkPath} // nothing to escape: all forms agree
	case once == wire:
		return []string{sdkPath, wire}
	default:
		return []string{sdkPath, wire, once}
	}
}

// escapePathOnce escapes every byte of an escaped path outside the unreserved set, '/' and '%'
// with upper-case hex, keeping existing escapes.
func escapePathOnce(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(p) + 8)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/', c == '%':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
	}
	return b.String()
}

// signedCopy builds the request the signer sees: r's method, path, query and host, and only
// the headers a names as signed. Header names are stored in lower case, which is how the SDK
// signer is made to sign exactly the client's list (its built-in ignore list matches the
// canonical spelling only, so User-Agent or Expect are signed here when the client signed them).
func (v *SigV4Verifier) signedCopy(r *http.Request, a authorization, amzDate, path string) (*http.Request, error) {
	if r.Method == "" {
		return nil, malformed("request has no method")
	}
	if r.URL.Opaque != "" {
		return nil, malformed("request URI is not a path")
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if host == "" {
		return nil, malformed("request has no host")
	}
	c := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   host,
		Header: make(http.Header, len(a.SignedHeaders)),
	}
	if path != sdkPath {
		// With path escaping disabled, the signer's canonical URI is c.URL.EscapedPath(),
		// which is RawPath when RawPath is a valid escaping of Path.
		c.URL.RawPath = path
		if c.URL.EscapedPath() != path {
			return nil, malformed("request path cannot be canonicalised")
		}
	}
	for _, name := range a.SignedHeaders {
		switch name {
		case "host":
			// The signer signs c.Host.
		case "x-amz-date":
			// The signer writes X-Amz-Date itself from the signing time, which formats back
			// to the client's value (checked by the caller).
			c.Header[headerAmzDate] = []string{amzDate}
		case "content-length":
			n, err := contentLength(r)
			if err != nil {
				return nil, err
			}
			c.ContentLength = n
		default:
			vals := headerValues(r.Header, name)
			if len(vals) == 0 {
				return nil, fmt.Errorf("identity: %w: signed header %q is missing", ErrBadSignature, name)
			}
			c.Header[name] = vals
		}
	}
	return c, nil
}

// contentLength is the signed Content-Length of r. The SDK signer derives that header from
// http.Request.ContentLength and signs it only when positive, so a signed "0" cannot be
// reproduced and is refused.
func contentLength(r *http.Request) (int64, error) {
	vals := r.Header.Values(headerContentLength)
	var s string
	switch {
	case len(vals) > 1:
		return 0, malformed("more than one Content-Length header")
	case len(vals) == 1:
		s = vals[0]
	case r.ContentLength > 0:
		s = strconv.FormatInt(r.ContentLength, 10)
	default:
		return 0, fmt.Errorf("identity: %w: signed header %q is missing", ErrBadSignature, "content-length")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, malformed("Content-Length is not a decimal length")
	}
	if n == 0 {
		return 0, malformed("a signed Content-Length of 0 is not supported; do not sign content-length for an empty body")
	}
	return n, nil
}

// headerValues returns the values of the header named name (lower case) in h, whatever the
// spelling of its key. A request parsed by net/http has one canonical key per header; a
// hand-built one may have several spellings, taken in sorted key order.
func headerValues(h http.Header, name string) []string {
	if vals := h.Values(name); len(vals) > 0 {
		return vals
	}
	var keys []string
	for k := range h {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var vals []string
	for _, k := range keys {
		vals = append(vals, h[k]...)
	}
	return vals
}

// check signs c as the client should have signed the request and compares the result with
// a's signature in constant time. asIs makes the signer take c's escaped path as the canonical
// URI instead of escaping it once more.
func (k localKey) check(ctx context.Context, c *http.Request, a authorization, payloadHash, region string, signedAt time.Time, asIs bool) error {
	err := k.signer.SignHTTP(ctx, k.creds, c, payloadHash, Service, region, signedAt, func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = asIs
		o.DisableHeaderHoisting = true
		o.DisableSessionToken = true
	})
	if err != nil {
		return fmt.Errorf("identity: %w: the request cannot be canonicalised: %v", ErrMalformed, err)
	}
	want, err := parseAuthorization(c.Header.Get(headerAuthorization))
	if err != nil {
		return fmt.Errorf("identity: %w: the signer's Authorization header does not parse", ErrMalformed)
	}
	if strings.Join(want.SignedHeaders, ";") != strings.Join(a.SignedHeaders, ";") {
		return malformed("the signed headers cannot be reproduced")
	}
	if !hmac.Equal([]byte(want.Signature), []byte(a.Signature)) {
		return fmt.Errorf("identity: %w", ErrBadSignature)
	}
	return nil
}
