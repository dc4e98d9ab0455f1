package identity

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseAuthorization: the parser never panics, and whatever it accepts is well formed and
// renders back to a header that parses to the same value.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + testSig)
	f.Add("AWS4-HMAC-SHA256 Signature=" + testSig + ",Credential=A/20250102/r/s/aws4_request,SignedHeaders=content-type;host")
	f.Add("AWS4-HMAC-SHA256 Credential=A/2/r/s/aws4_request, SignedHeaders=host, Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if !validAccessKeyID(a.AccessKeyID) || !validScopeDate(a.Date) || !isScopeName(a.Region) || !isScopeName(a.Service) ||
			!isLowerHex(a.Signature, signatureLength) || !slices.IsSorted(a.SignedHeaders) || !a.signs("host") || a.signs("authorization") {
			t.Fatalf("accepted an ill-formed header: %+v", a)
		}
		back, err := parseAuthorization(a.String())
		if err != nil {
			t.Fatalf("rendered header %q does not parse: %v", a.String(), err)
		}
		if diff := cmp.Diff(a, back); diff != "" {
			t.Fatalf("round trip (-parsed +reparsed):\n%s", diff)
		}
	})
}

// FuzzVerify feeds arbitrary method, URI, headers and body to Verify. Invariants: no panic;
// every failure is an ErrUnauthenticated whose text holds no secret and no signature; and a
// success only ever carries a signature the key holder actually produced (the seed's), that is,
// no input forges one.
func FuzzVerify(f *testing.F) {
	v := newTestVerifier(f)
	seed, seedBody := signed(f, signSpec{
		Method: http.MethodPost, Path: "/v1/sessions/s-1/actions", RawQuery: "a=1&b=two",
		Body: []byte(`{"action":{"kind":"http"}}`), Header: http.Header{"Content-Type": {"application/json"}},
	})
	issued := seed.Header.Get("Authorization")
	f.Add(seed.Method, seed.RequestURI, seed.Host, issued, seed.Header.Get("X-Amz-Date"), seed.Header.Get("Content-Type"), seed.Header.Get("Content-Length"), "", seedBody)
	f.Add("GET", "/v1/a%20b?x=%zz", testHost, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250102/us-east-1/execute-api/aws4_request, SignedHeaders=content-length;host;x-amz-date, Signature="+testSig, "20250102T030405Z", "", "0", "UNSIGNED-PAYLOAD", []byte(nil))
	f.Add("PUT", "/%25/%2F/../", "", "", "", "", "", "", []byte("x"))
	f.Fuzz(func(t *testing.T, method, uri, host, authz, amzDate, contentType, contentLength, contentSHA string, body []byte) {
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u, Host: host, Header: http.Header{}, RequestURI: uri}
		for k, val := range map[string]string{
			"Authorization": authz, "X-Amz-Date": amzDate, "Content-Type": contentType,
			"Content-Length": contentLength, "X-Amz-Content-Sha256": contentSHA,
		} {
			if val != "" {
				r.Header.Set(k, val)
			}
		}
		p, err := v.Verify(r, body)
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error %v is not ErrUnauthenticated", err)
			}
			checkErrorText(t, err)
			return
		}
		a, perr := parseAuthorization(authz)
		if perr != nil || !strings.HasSuffix(issued, "Signature="+a.Signature) {
			t.Fatalf("verified a request whose signature was never issued: %q", authz)
		}
		if p != demoPrincipal {
			t.Fatalf("verified as %+v", p)
		}
	})
}

// FuzzVerifyMutation signs a fuzzed request with the AWS SDK signer and checks two properties:
// the request as a server receives it verifies (the verifier canonicalises as the SDK does),
// and after any one change to what was signed, it never verifies.
func FuzzVerifyMutation(f *testing.F) {
	v := newTestVerifier(f)
	f.Add("v1/sessions/s-1", "a=1&b=2", []byte(`{"k":"v"}`), "alice", uint8(0), byte('x'))
	f.Add("v1/a b/é", "q=a+b&q=%2F", []byte(nil), "x  y", uint8(1), byte('%'))
	f.Add("v1/100%", "", []byte("body"), "", uint8(2), byte('/'))
	f.Add("v1/x@y=z", "k=", []byte{0, 1, 2}, "v", uint8(3), byte(0))
	f.Fuzz(func(t *testing.T, path, rawQuery string, body []byte, headerValue string, which uint8, b byte) {
		if _, err := url.ParseQuery(rawQuery); err != nil || strings.ContainsAny(rawQuery, "# ") {
			return // not a request a conforming client sends
		}
		if !validHeaderValue(headerValue) || strings.ContainsAny(path, "?#") {
			return
		}
		u := &url.URL{Scheme: "http", Host: testHost, Path: "/" + path, RawQuery: rawQuery}
		if _, err := url.Parse(u.String()); err != nil {
			return // control characters and the like: no client sends them
		}
		if headerValue == "" {
			headerValue = "v"
		}
		spec := signSpec{
			Method: http.MethodPost, Path: "/" + path, RawQuery: rawQuery, Body: body,
			Header: http.Header{"X-Mandate-Test": {headerValue}},
		}
		r, gotBody := signed(t, spec)
		if _, err := v.Verify(r, gotBody); err != nil {
			t.Fatalf("SDK-signed request does not verify: %v\nURI %q\nAuthorization %q", err, r.RequestURI, r.Header.Get("Authorization"))
		}

		mutation := ""
		switch which % 8 {
		case 0:
			r.Method, mutation = http.MethodPut, "method"
		case 1:
			r.URL.Path, r.URL.RawPath, mutation = r.URL.Path+string([]byte{b}), "", "path"
		case 2:
			q := r.URL.Query()
			q.Add(fmt.Sprintf("m%02x", b), string([]byte{b}))
			r.URL.RawQuery, mutation = q.Encode(), "query"
		case 3:
			gotBody, mutation = append(gotBody, b), "body"
		case 4:
			r.Header.Set("X-Mandate-Test", headerValue+string([]byte{'!' + b%94})) // printable, never a space
			mutation = "signed header"
		case 5:
			// An odd number of seconds within ±127 s: always a change, same day, within MaxSkew.
			r.Header.Set("X-Amz-Date", testNow.Add(time.Duration((int(b)-128)|1)*time.Second).Format(amzDateLayout))
			mutation = "date"
		case 6:
			h := r.Header.Get("Authorization")
			i := len(h) - 1 - int(b)%signatureLength
			c := byte('0')
			if h[i] == '0' {
				c = '1'
			}
			r.Header.Set("Authorization", h[:i]+string(c)+h[i+1:])
			mutation = "signature"
		case 7:
			r.Host, mutation = "x"+r.Host, "host"
		}
		if _, err := v.Verify(r, gotBody); err == nil {
			t.Fatalf("request still verifies after a %s change: %s %q", mutation, r.Method, r.URL.String())
		} else if !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("error %v is not ErrUnauthenticated", err)
		}
	})
}

// validHeaderValue reports whether s survives net/http unchanged as a header value: visible
// ASCII and inner spaces, no leading or trailing space.
func validHeaderValue(s string) bool {
	if s != strings.TrimSpace(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
