package identity

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"
)

// presignSpec is a request an agent presigns with the AWS SDK v2 signer.
type presignSpec struct {
	Method       string
	Path         string
	RawQuery     string // besides X-Amz-Expires
	Body         []byte
	Expires      string // X-Amz-Expires; "60" when empty
	At           time.Time
	PayloadHash  string // the body's hash when empty
	SessionToken string
}

// presigned presigns s with demoKey and returns the server-side request and body.
func presigned(tb testing.TB, s presignSpec) (*http.Request, []byte) {
	tb.Helper()
	if s.Method == "" {
		s.Method = http.MethodGet
	}
	if s.Expires == "" {
		s.Expires = "60"
	}
	if s.At.IsZero() {
		s.At = testNow
	}
	if s.PayloadHash == "" {
		s.PayloadHash = bodyHash(s.Body)
	}
	q := "X-Amz-Expires=" + s.Expires
	if s.RawQuery != "" {
		q = s.RawQuery + "&" + q
	}
	u := &url.URL{Scheme: "http", Host: testHost, Path: s.Path, RawQuery: q}
	req, err := http.NewRequestWithContext(context.Background(), s.Method, u.String(), bytes.NewReader(s.Body))
	if err != nil {
		tb.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: demoKey.AccessKeyID, SecretAccessKey: demoKey.SecretAccessKey, SessionToken: s.SessionToken}
	signedURL, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, s.PayloadHash, Service, testRegion, s.At)
	if err != nil {
		tb.Fatalf("PresignHTTP: %v", err)
	}
	out, err := http.NewRequestWithContext(context.Background(), s.Method, signedURL, bytes.NewReader(s.Body))
	if err != nil {
		tb.Fatal(err)
	}
	if len(s.Body) == 0 {
		out.Body, out.ContentLength = http.NoBody, 0
	}
	return overTheWire(tb, out)
}

func TestVerifyPresigned(t *testing.T) {
	t.Parallel()
	body := []byte(`{"prompt":"x"}`)
	replaceQuery := func(from, to string) func(*http.Request) {
		return func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, from, to, 1) }
	}
	tests := []struct {
		name   string
		spec   presignSpec
		now    time.Time // testNow when zero
		mutate func(r *http.Request)
		want   error
	}{
		{name: "GET, unsigned payload", spec: presignSpec{Path: "/v1/sessions/s-1/audit", PayloadHash: unsignedPayload}},
		{name: "GET, empty body hash", spec: presignSpec{Path: "/v1/sessions/s-1"}},
		{name: "GET with query", spec: presignSpec{Path: "/v1/sessions/s-1", RawQuery: "a=1&b=x%20y"}},
		{name: "POST with body hash", spec: presignSpec{Method: http.MethodPost, Path: "/v1/sessions", Body: body}},
		{name: "POST with body, unsigned payload", spec: presignSpec{Method: http.MethodPost, Path: "/v1/sessions", Body: body, PayloadHash: unsignedPayload}, want: ErrBadSignature},
		{name: "at expiry", spec: presignSpec{Path: "/v1/sessions/s-1"}, now: testNow.Add(60 * time.Second)},
		{name: "one second after expiry", spec: presignSpec{Path: "/v1/sessions/s-1"}, now: testNow.Add(61 * time.Second), want: ErrExpired},
		{name: "signed MaxSkew ahead", spec: presignSpec{Path: "/v1/sessions/s-1", At: testNow.Add(MaxSkew)}},
		{name: "signed beyond MaxSkew ahead", spec: presignSpec{Path: "/v1/sessions/s-1", At: testNow.Add(MaxSkew + time.Second)}, want: ErrExpired},
		{name: "expires too long", spec: presignSpec{Path: "/v1/sessions/s-1", Expires: "901"}, want: ErrMalformed},
		{name: "expires zero", spec: presignSpec{Path: "/v1/sessions/s-1", Expires: "0"}, want: ErrMalformed},
		{name: "expires not decimal", spec: presignSpec{Path: "/v1/sessions/s-1", Expires: "+60"}, want: ErrMalformed},
		{name: "expires changed", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: replaceQuery("X-Amz-Expires=60", "X-Amz-Expires=61"), want: ErrBadSignature},
		{name: "path changed", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: func(r *http.Request) { r.URL.Path = "/v1/sessions/s-2" }, want: ErrBadSignature},
		{name: "method changed", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: func(r *http.Request) { r.Method = http.MethodDelete }, want: ErrBadSignature},
		{name: "query added", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: func(r *http.Request) { r.URL.RawQuery += "&x=1" }, want: ErrBadSignature},
		{name: "host changed", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: func(r *http.Request) { r.Host = "evil.example.com" }, want: ErrBadSignature},
		{name: "date changed", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: replaceQuery("X-Amz-Date=20250102T030405Z", "X-Amz-Date=20250102T030406Z"), want: ErrBadSignature},
		{name: "region changed", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: replaceQuery("us-east-1", "eu-west-1"), want: ErrBadSignature},
		{name: "unknown key", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: replaceQuery(demoKey.AccessKeyID, strangerKey.AccessKeyID), want: ErrUnknownKey},
		{name: "signature twice", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Signature=" + strings.Repeat("0", 64) }, want: ErrMalformed},
		{name: "signature changed", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: func(r *http.Request) {
			q := r.URL.Query()
			sig := []byte(q.Get("X-Amz-Signature"))
			sig[0] ^= 1
			if sig[0] > 'f' || (sig[0] > '9' && sig[0] < 'a') {
				sig[0] = '0'
			}
			q.Set("X-Amz-Signature", string(sig))
			r.URL.RawQuery = q.Encode()
		}, want: ErrBadSignature},
		{name: "session token", spec: presignSpec{Path: "/v1/sessions/s-1", SessionToken: "FQoGZXIvYXdzEXAMPLE"}, want: ErrUnknownKey},
		{name: "algorithm", spec: presignSpec{Path: "/v1/sessions/s-1"}, mutate: replaceQuery("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"), want: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := tt.now
			if now.IsZero() {
				now = testNow
			}
			v, err := NewSigV4Verifier(testRegion, []Key{demoKey}, func() time.Time { return now })
			if err != nil {
				t.Fatal(err)
			}
			r, b := presigned(t, tt.spec)
			if tt.mutate != nil {
				tt.mutate(r)
			}
			got, err := v.Verify(r, b)
			checkErrorText(t, err)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v; want success", err)
				}
				if diff := cmp.Diff(demoPrincipal, got); diff != "" {
					t.Errorf("principal (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyPresignedBodyChanged(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	r, _ := presigned(t, presignSpec{Method: http.MethodPost, Path: "/v1/sessions", Body: []byte(`{"a":1}`)})
	if _, err := v.Verify(r, []byte(`{"a":2}`)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify with another body = %v; want ErrBadSignature", err)
	}
}

// TestVerifyUnsignedPayload: UNSIGNED-PAYLOAD in the header form verifies only for a request
// without a body.
func TestVerifyUnsignedPayload(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	sign := func(method string, body []byte) (*http.Request, []byte) {
		u := &url.URL{Scheme: "http", Host: testHost, Path: "/v1/sessions/s-1"}
		req, _ := http.NewRequestWithContext(context.Background(), method, u.String(), bytes.NewReader(body))
		if len(body) == 0 {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
		creds := aws.Credentials{AccessKeyID: demoKey.AccessKeyID, SecretAccessKey: demoKey.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, unsignedPayload, Service, testRegion, testNow); err != nil {
			t.Fatal(err)
		}
		return overTheWire(t, req)
	}
	r, b := sign(http.MethodGet, nil)
	if _, err := v.Verify(r, b); err != nil {
		t.Errorf("GET without body, UNSIGNED-PAYLOAD: %v; want success", err)
	}
	r, b = sign(http.MethodDelete, nil)
	if _, err := v.Verify(r, b); err != nil {
		t.Errorf("DELETE without body, UNSIGNED-PAYLOAD: %v; want success", err)
	}
	r, b = sign(http.MethodPost, []byte(`{"prompt":"x"}`))
	if _, err := v.Verify(r, b); !errors.Is(err, ErrMalformed) {
		t.Errorf("POST with body, UNSIGNED-PAYLOAD: %v; want ErrMalformed", err)
	}
	r, _ = sign(http.MethodGet, nil)
	if _, err := v.Verify(r, []byte("smuggled")); !errors.Is(err, ErrMalformed) {
		t.Errorf("body added to an UNSIGNED-PAYLOAD request: %v; want ErrMalformed", err)
	}
}
