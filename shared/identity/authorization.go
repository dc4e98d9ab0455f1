package identity

import (
	"fmt"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted: SigV4 with HMAC-SHA256.
const Algorithm = "AWS4-HMAC-SHA256"

// scopeTerminator ends every SigV4 credential scope.
const scopeTerminator = "aws4_request"

// Limits that bound the work done on an Authorization header before any cryptography.
const (
	maxAuthorizationLength = 4096
	maxAccessKeyIDLength   = 128
	maxSignedHeaders       = 64
)

// signatureLength is the length of a hex-encoded HMAC-SHA256.
const signatureLength = 64

// authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20250102/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
type authorization struct {
	AccessKeyID   string
	Date          string   // scope date, YYYYMMDD
	Region        string   // scope region
	Service       string   // scope service
	SignedHeaders []string // lower case, sorted, unique, includes "host"
	Signature     string   // 64 lower-case hex digits
}

// parseAuthorization parses a SigV4 Authorization header strictly: the algorithm, then exactly
// the three components Credential, SignedHeaders and Signature, each once, separated by commas
// with optional spaces. Errors wrap ErrMalformed and quote at most the offending component's name.
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	if len(h) > maxAuthorizationLength {
		return a, malformed("Authorization header longer than %d bytes", maxAuthorizationLength)
	}
	rest, ok := strings.CutPrefix(h, Algorithm+" ")
	if !ok {
		return a, malformed("Authorization header does not start with %q", Algorithm+" ")
	}
	var haveCredential, haveSignedHeaders, haveSignature bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " ")
		name, value, ok := strings.Cut(part, "=")
		if !ok || value == "" {
			return a, malformed("Authorization component is not NAME=VALUE")
		}
		var err error
		switch name {
		case "Credential":
			if haveCredential {
				return a, malformed("Credential given twice")
			}
			haveCredential = true
			err = a.parseCredential(value)
		case "SignedHeaders":
			if haveSignedHeaders {
				return a, malformed("SignedHeaders given twice")
			}
			haveSignedHeaders = true
			a.SignedHeaders, err = parseSignedHeaders(value)
		case "Signature":
			if haveSignature {
				return a, malformed("Signature given twice")
			}
			haveSignature = true
			if !isLowerHex(value, signatureLength) {
				err = malformed("Signature is not %d lower-case hex digits", signatureLength)
			}
			a.Signature = value
		default:
			return a, malformed("unknown Authorization component")
		}
		if err != nil {
			return authorization{}, err
		}
	}
	switch {
	case !haveCredential:
		return authorization{}, malformed("Authorization has no Credential")
	case !haveSignedHeaders:
		return authorization{}, malformed("Authorization has no SignedHeaders")
	case !haveSignature:
		return authorization{}, malformed("Authorization has no Signature")
	}
	return a, nil
}

// parseCredential parses AKID/YYYYMMDD/REGION/SERVICE/aws4_request.
func (a *authorization) parseCredential(v string) error {
	parts := strings.Split(v, "/")
	if len(parts) != 5 {
		return malformed("Credential is not AKID/DATE/REGION/SERVICE/%s", scopeTerminator)
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = parts[0], parts[1], parts[2], parts[3]
	switch {
	case !validAccessKeyID(a.AccessKeyID):
		return malformed("Credential has a bad access key id")
	case !validScopeDate(a.Date):
		return malformed("Credential scope date is not YYYYMMDD")
	case !isScopeName(a.Region):
		return malformed("Credential scope has a bad region")
	case !isScopeName(a.Service):
		return malformed("Credential scope has a bad service")
	case parts[4] != scopeTerminator:
		return malformed("Credential scope does not end with %s", scopeTerminator)
	}
	return nil
}

// parseSignedHeaders parses a;b;c: lower-case header names, sorted and unique, including host
// and never authorization (a header cannot sign itself).
func parseSignedHeaders(v string) ([]string, error) {
	names := strings.Split(v, ";")
	if len(names) > maxSignedHeaders {
		return nil, malformed("more than %d signed headers", maxSignedHeaders)
	}
	host := false
	for i, n := range names {
		if !isLowerToken(n) {
			return nil, malformed("SignedHeaders has a name that is not a lower-case header name")
		}
		if i > 0 && names[i-1] >= n {
			return nil, malformed("SignedHeaders is not sorted and unique")
		}
		switch n {
		case "host":
			host = true
		case "authorization":
			return nil, malformed("SignedHeaders names authorization")
		}
	}
	if !host {
		return nil, malformed("SignedHeaders does not include host")
	}
	return names, nil
}

// String renders a in the form parseAuthorization reads (the form the AWS SDK writes).
func (a authorization) String() string {
	return Algorithm + " Credential=" + a.AccessKeyID + "/" + a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
}

// signs reports whether header name (lower case) is among the signed headers.
func (a authorization) signs(name string) bool {
	for _, n := range a.SignedHeaders {
		if n == name {
			return true
		}
	}
	return false
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("identity: %w: "+format, append([]any{ErrMalformed}, args...)...)
}

// validAccessKeyID accepts 1 to 128 ASCII letters and digits, the alphabet of AWS access key ids.
func validAccessKeyID(s string) bool {
	if len(s) == 0 || len(s) > maxAccessKeyIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// scopeDateLayout is the layout of the credential scope date.
const scopeDateLayout = "20060102"

func validScopeDate(s string) bool {
	t, err := time.Parse(scopeDateLayout, s)
	return err == nil && t.Format(scopeDateLayout) == s
}

// isScopeName accepts region and service names: 1 to 64 of [a-z0-9-].
func isScopeName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// isLowerToken accepts a non-empty RFC 9110 token without upper-case letters.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
