package identity

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewSigV4Verifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		region  string
		keys    []Key
		wantErr []string // substrings, all reported at once
	}{
		{name: "valid", region: testRegion, keys: []Key{demoKey, otherKey}},
		{name: "no keys", region: "eu-west-3"},
		{name: "bad region", region: "US East", keys: []Key{demoKey}, wantErr: []string{"region"}},
		{
			name:    "duplicate key id",
			region:  testRegion,
			keys:    []Key{demoKey, {Agent: "twin", AccessKeyID: demoKey.AccessKeyID, SecretAccessKey: "another-secret"}},
			wantErr: []string{"duplicate access key id"},
		},
		{
			name:    "empty secret",
			region:  testRegion,
			keys:    []Key{{Agent: "a", AccessKeyID: "AKIA1"}},
			wantErr: []string{"empty secret"},
		},
		{
			name:    "bad agent name and key id, all reported",
			region:  testRegion,
			keys:    []Key{{Agent: "a b", AccessKeyID: "AKIA/1", SecretAccessKey: "s3cr3t-value"}},
			wantErr: []string{"agent name", "access key id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewSigV4Verifier(tt.region, tt.keys, nil)
			if len(tt.wantErr) == 0 {
				if err != nil || v == nil {
					t.Fatalf("NewSigV4Verifier = %v, %v; want a verifier", v, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewSigV4Verifier succeeded; want errors %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			checkErrorText(t, err)
			if strings.Contains(err.Error(), "s3cr3t-value") || strings.Contains(err.Error(), "another-secret") {
				t.Errorf("error %q contains a secret", err)
			}
		})
	}
}

func TestVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	jsonBody := []byte(`{"operator":"alice","prompt":"look up customer 42"}`)
	tests := []struct {
		name string
		spec signSpec
		want Principal
	}{
		{name: "GET", spec: signSpec{Path: "/v1/sessions/s-123"}},
		{name: "GET root path", spec: signSpec{Path: "/"}},
		{name: "GET empty path", spec: signSpec{Path: ""}},
		{
			name: "POST JSON body",
			spec: signSpec{Method: http.MethodPost, Path: "/v1/sessions", Body: jsonBody,
				Header: http.Header{"Content-Type": {"application/json"}}},
		},
		{
			name: "POST with X-Amz-Content-Sha256",
			spec: signSpec{Method: http.MethodPost, Path: "/v1/sessions/s-1/actions", Body: jsonBody, ContentSHA256: true},
		},
		{name: "DELETE", spec: signSpec{Method: http.MethodDelete, Path: "/v1/kill/agent/demo-agent"}},
		{name: "query with special characters", spec: signSpec{Path: "/v1/approvals",
			RawQuery: "q=a+b&x=%C3%A9t%C3%A9&slash=a%2Fb&tilde=~x&star=*&plus=%2B&eq=a%3Db&amp=%26"}},
		{name: "query with repeated keys, unsorted", spec: signSpec{Path: "/v1/approvals",
			RawQuery: "z=1&a=3&a=1&a=2&m=&flag"}},
		{name: "query sorted after encoding", spec: signSpec{Path: "/v1/x", RawQuery: "k=a-b&k=a%2Fb&k=a.b"}},
		{name: "path with spaces", spec: signSpec{Path: "/v1/sessions/a b/actions"}},
		{name: "path with unicode", spec: signSpec{Path: "/v1/sessions/café-☃"}},
		{name: "path with reserved characters", spec: signSpec{Path: "/v1/x@y=z:w;v,u+t!s$r'q(p)o*n"}},
		{name: "path with encoded slash", spec: signSpec{Path: "/v1/a/b", RawPath: "/v1/a%2Fb"}},
		{name: "path with literal percent", spec: signSpec{Path: "/v1/100%"}},
		{name: "path with dot segments kept", spec: signSpec{Path: "/v1/./a/../b"}},
		{
			name: "signed custom, repeated and spaced headers",
			spec: signSpec{Path: "/v1/x", Header: http.Header{
				"X-Mandate-Operator": {"alice"},
				"X-Mandate-Multi":    {"one", "two"},
				"X-Mandate-Spaced":   {"a   b    c"},
			}},
		},
		{
			name: "signed headers the SDK usually ignores",
			spec: signSpec{Path: "/v1/x", Header: http.Header{"User-Agent": {"agent/1.0"}}},
		},
		{name: "other key", spec: signSpec{Path: "/v1/x", Key: otherKey}, want: Principal{
			Kind: KindIAM, ID: LocalARN("other-agent"), Name: "other-agent",
			AccessKeyID: otherKey.AccessKeyID, AccountID: LocalAccountID, UserID: "other-agent",
		}},
		{name: "single-encoded path (curl, API Gateway)", spec: signSpec{Path: "/v1/sessions/a b/é", AsIs: true}},
		{name: "single-encoded path with reserved characters", spec: signSpec{Path: "/v1/x@y=z", AsIs: true}},
	}
	v := newTestVerifier(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := tt.want
			if want == (Principal{}) {
				want = demoPrincipal
			}
			r, body := signed(t, tt.spec)
			got, err := v.Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s\nURI: %s", err, r.Header.Get("Authorization"), r.RequestURI)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Verify principal (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifyEscapedOnceForm covers the third canonical URI form: the path escaped once with
// every reserved character escaped, sent unescaped.
func TestVerifyEscapedOnceForm(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	req := signClient(t, signSpec{Path: "/v1/x@y=z", RawPath: "/v1/x%40y%3Dz", AsIs: true})
	req.URL.RawPath = "" // sent as /v1/x@y=z
	r, body := overTheWire(t, req)
	if r.RequestURI != "/v1/x@y=z" {
		t.Fatalf("request URI %q; the test needs the unescaped form on the wire", r.RequestURI)
	}
	if _, err := v.Verify(r, body); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// TestVerifyPathConfusion checks that no canonical form lets a signature made for one path
// authenticate another.
func TestVerifyPathConfusion(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	tests := []struct {
		name     string
		signed   signSpec
		sentPath string // decoded path the request is replayed to
	}{
		// The SDK signs /v1/a b as /v1/a%2520b, which is also /v1/a%20b sent as is.
		{name: "SDK signature replayed to the path of its canonical URI", signed: signSpec{Path: "/v1/a b"}, sentPath: "/v1/a%20b"},
		{name: "SDK signature replayed to the decoded path", signed: signSpec{Path: "/v1/a%20b"}, sentPath: "/v1/a b"},
		{name: "single-encoded signature of a literal percent", signed: signSpec{Path: "/v1/100%", AsIs: true}, sentPath: "/v1/100%"},
		{name: "encoded slash is not a slash", signed: signSpec{Path: "/v1/a/b"}, sentPath: "/v1/a%2Fb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := signClient(t, tt.signed)
			req.URL.Path, req.URL.RawPath = tt.sentPath, ""
			r, body := overTheWire(t, req)
			_, err := v.Verify(r, body)
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify(%s) = %v; want ErrBadSignature", r.RequestURI, err)
			}
		})
	}
}

func TestVerifyMutations(t *testing.T) {
	t.Parallel()
	post := signSpec{
		Method: http.MethodPost, Path: "/v1/sessions/s-1/actions", RawQuery: "a=1&b=2",
		Body:   []byte(`{"action":{"kind":"http","method":"GET","path":"/customers/42"}}`),
		Header: http.Header{"Content-Type": {"application/json"}, "X-Mandate-Operator": {"alice"}},
	}
	withSHA := post
	withSHA.ContentSHA256 = true
	withToken := post
	withToken.SessionToken = "FQoGZXIvYXdzEXAMPLETOKEN"

	setAuth := func(from, to string) func(*http.Request, *[]byte) {
		return func(r *http.Request, _ *[]byte) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), from, to, 1))
		}
	}
	tests := []struct {
		name   string
		spec   signSpec
		mutate func(r *http.Request, body *[]byte)
		want   error // nil: still verifies
	}{
		{name: "unchanged", spec: post, mutate: func(*http.Request, *[]byte) {}},
		{name: "unsigned header added", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Unsigned", "x") }},
		{name: "user agent changed (not signed)", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("User-Agent", "other") }},
		{name: "method", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Method = http.MethodPut }, want: ErrBadSignature},
		{name: "path", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.URL.Path = "/v1/sessions/s-2/actions" }, want: ErrBadSignature},
		{name: "query value", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.URL.RawQuery = "a=1&b=3" }, want: ErrBadSignature},
		{name: "query parameter added", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.URL.RawQuery += "&c=3" }, want: ErrBadSignature},
		{name: "query parameter removed", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.URL.RawQuery = "a=1" }, want: ErrBadSignature},
		{name: "query unparsable", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.URL.RawQuery = "a=%zz" }, want: ErrMalformed},
		{name: "signed header value", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Mandate-Operator", "mallory") }, want: ErrBadSignature},
		{name: "signed header value added", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Add("X-Mandate-Operator", "mallory") }, want: ErrBadSignature},
		{name: "signed header removed", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Del("X-Mandate-Operator") }, want: ErrBadSignature},
		{name: "content type", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("Content-Type", "text/plain") }, want: ErrBadSignature},
		{name: "host", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Host = "evil.example.com" }, want: ErrBadSignature},
		{name: "body", spec: post, mutate: func(_ *http.Request, b *[]byte) { *b = []byte(`{"action":{"kind":"http","method":"DELETE"}}`) }, want: ErrBadSignature},
		{name: "body, same length", spec: post, mutate: func(_ *http.Request, b *[]byte) { c := append([]byte(nil), *b...); c[len(c)-3] = 'X'; *b = c }, want: ErrBadSignature},
		{name: "body with declared hash", spec: withSHA, mutate: func(_ *http.Request, b *[]byte) { *b = []byte(`{}`) }, want: ErrBadSignature},
		{name: "declared hash UNSIGNED-PAYLOAD", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }, want: ErrMalformed},
		{name: "declared hash not hex", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Content-Sha256", "abc") }, want: ErrMalformed},
		{name: "date, one second later", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Date", "20250102T030406Z") }, want: ErrBadSignature},
		{name: "date, other day than scope", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Date", "20250101T235959Z") }, want: ErrMalformed},
		{name: "date missing", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Del("X-Amz-Date") }, want: ErrMalformed},
		{name: "date twice", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Add("X-Amz-Date", "20250102T030405Z") }, want: ErrMalformed},
		{name: "date not canonical", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Date", "2025-01-02T03:04:05Z") }, want: ErrMalformed},
		{name: "key id of another known key", spec: post, mutate: setAuth(demoKey.AccessKeyID, otherKey.AccessKeyID), want: ErrBadSignature},
		{name: "unknown key id", spec: post, mutate: setAuth(demoKey.AccessKeyID, strangerKey.AccessKeyID), want: ErrUnknownKey},
		{name: "region", spec: post, mutate: setAuth("/us-east-1/", "/eu-west-1/"), want: ErrBadSignature},
		{name: "service", spec: post, mutate: setAuth("/execute-api/", "/lambda/"), want: ErrBadSignature},
		{name: "signature", spec: post, mutate: func(r *http.Request, _ *[]byte) {
			h := r.Header.Get("Authorization")
			last := h[len(h)-1]
			flip := byte('0')
			if last == '0' {
				flip = '1'
			}
			r.Header.Set("Authorization", h[:len(h)-1]+string(flip))
		}, want: ErrBadSignature},
		{name: "signed headers list shortened", spec: post, mutate: setAuth(";x-mandate-operator", ""), want: ErrBadSignature},
		{name: "authorization removed", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Del("Authorization") }, want: ErrUnsigned},
		{name: "authorization twice", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }, want: ErrMalformed},
		{name: "query signature beside header", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.URL.RawQuery += "&X-Amz-Signature=00" }, want: ErrMalformed},
		{name: "presigned, incomplete", spec: post, mutate: func(r *http.Request, _ *[]byte) {
			r.Header.Del("Authorization")
			r.URL.RawQuery = "X-Amz-Credential=x&X-Amz-Signature=00"
		}, want: ErrMalformed},
		{name: "unsigned security token added", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Security-Token", "tok") }, want: ErrMalformed},
		{name: "signed session token", spec: withToken, mutate: func(*http.Request, *[]byte) {}, want: ErrUnknownKey},
		{name: "signed header under a non-canonical key", spec: post, mutate: func(r *http.Request, _ *[]byte) {
			r.Header["x-mandate-operator"] = r.Header["X-Mandate-Operator"]
			delete(r.Header, "X-Mandate-Operator")
		}},
		{name: "no host", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Host, r.URL.Host = "", "" }, want: ErrMalformed},
		{name: "method missing", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Method = "" }, want: ErrMalformed},
		{name: "streaming payload", spec: post, mutate: func(r *http.Request, _ *[]byte) {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		}, want: ErrMalformed},
		{name: "declared hash twice", spec: withSHA, mutate: func(r *http.Request, _ *[]byte) { r.Header.Add("X-Amz-Content-Sha256", bodyHash(nil)) }, want: ErrMalformed},
		{name: "signed content-length of 0", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("Content-Length", "0") }, want: ErrMalformed},
		{name: "content-length not decimal", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("Content-Length", "+5") }, want: ErrMalformed},
		{name: "content-length twice", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Add("Content-Length", "5") }, want: ErrMalformed},
		{name: "signed content-length missing", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Del("Content-Length"); r.ContentLength = -1 }, want: ErrBadSignature},
		{name: "content-length changed", spec: post, mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("Content-Length", "5") }, want: ErrBadSignature},
	}
	v := newTestVerifier(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, body := signed(t, tt.spec)
			tt.mutate(r, &body)
			got, err := v.Verify(r, body)
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
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("Verify = %v; want %v (an ErrUnauthenticated)", err, tt.want)
			}
			if got != (Principal{}) {
				t.Errorf("Verify returned principal %+v with an error", got)
			}
		})
	}
}

func TestVerifyNoRequest(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	for _, r := range []*http.Request{nil, {Method: http.MethodGet}} {
		if _, err := v.Verify(r, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%v) = %v; want ErrMalformed", r, err)
		}
	}
}

func TestVerifySkew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		offset  time.Duration // signing time minus server time
		wantErr error
	}{
		{name: "now", offset: 0},
		{name: "exactly MaxSkew in the past", offset: -MaxSkew},
		{name: "exactly MaxSkew in the future", offset: MaxSkew},
		{name: "MaxSkew+1s in the past", offset: -MaxSkew - time.Second, wantErr: ErrExpired},
		{name: "MaxSkew+1s in the future", offset: MaxSkew + time.Second, wantErr: ErrExpired},
		{name: "a day old", offset: -24 * time.Hour, wantErr: ErrExpired},
	}
	v := newTestVerifier(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, body := signed(t, signSpec{Path: "/v1/x", At: testNow.Add(tt.offset)})
			_, err := v.Verify(r, body)
			checkErrorText(t, err)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Verify: %v; want success", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

// TestVerifyOverHTTP verifies SDK-signed requests received by a real net/http server.
func TestVerifyOverHTTP(t *testing.T) {
	t.Parallel()
	v, err := NewSigV4Verifier(testRegion, []Key{demoKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := newVerifyingServer(t, v)
	for _, s := range []signSpec{
		{Method: http.MethodPost, Path: "/v1/sessions", Body: []byte(`{"prompt":"hi"}`), Header: http.Header{"Content-Type": {"application/json"}}},
		{Path: "/v1/sessions/a b/é", RawQuery: "x=1&x=0&y=a%20b"},
	} {
		s.At = time.Now()
		s.Host = strings.TrimPrefix(srv.URL, "http://")
		req := signClient(t, s)
		status, text := do(t, req)
		if status != http.StatusOK || text != demoPrincipal.ID {
			t.Errorf("%s %s: %d %q; want 200 %q", s.Method, s.Path, status, text, demoPrincipal.ID)
		}
	}
}
