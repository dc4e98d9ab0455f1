package identity

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testRegion = "us-east-1"
	testHost   = "mandate.example.com"
)

var (
	testNow  = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	demoKey  = Key{Agent: "demo-agent", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	otherKey = Key{Agent: "other-agent", AccessKeyID: "AKIAI44QH8DHBEXAMPLE", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}
	// strangerKey is a well-formed key the verifier does not hold.
	strangerKey = Key{Agent: "stranger", AccessKeyID: "AKIAXXXXXXXXXXXXXXXX", SecretAccessKey: "stranger-secret-stranger-secret-stranger"}
)

// demoPrincipal is the Principal Verify returns for demoKey.
var demoPrincipal = Principal{
	Kind:        KindIAM,
	ID:          "arn:aws:iam::000000000000:user/demo-agent",
	Name:        "demo-agent",
	AccessKeyID: demoKey.AccessKeyID,
	AccountID:   LocalAccountID,
	UserID:      "demo-agent",
}

func newTestVerifier(tb testing.TB) *SigV4Verifier {
	tb.Helper()
	v, err := NewSigV4Verifier(testRegion, []Key{demoKey, otherKey}, func() time.Time { return testNow })
	if err != nil {
		tb.Fatalf("NewSigV4Verifier: %v", err)
	}
	return v
}

// signSpec describes a request an agent signs with the AWS SDK v2 signer.
type signSpec struct {
	Method   string
	Host     string // default testHost
	Path     string // decoded path
	RawPath  string // optional escaped form of Path
	RawQuery string
	Body     []byte
	Header   http.Header
	// Optional overrides; zero values mean demoKey, testNow, testRegion, Service.
	Key          Key
	At           time.Time
	Region       string
	Service      string
	SessionToken string
	// ContentSHA256 makes the client send X-Amz-Content-Sha256 (and so sign it).
	ContentSHA256 bool
	// AsIs signs the escaped path as the canonical URI (single encoding, like curl).
	AsIs bool
}

func bodyHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signClient builds and signs the client's request.
func signClient(tb testing.TB, s signSpec) *http.Request {
	tb.Helper()
	if s.Method == "" {
		s.Method = http.MethodGet
	}
	if s.Key == (Key{}) {
		s.Key = demoKey
	}
	if s.At.IsZero() {
		s.At = testNow
	}
	if s.Region == "" {
		s.Region = testRegion
	}
	if s.Service == "" {
		s.Service = Service
	}
	if s.Host == "" {
		s.Host = testHost
	}
	u := &url.URL{Scheme: "http", Host: s.Host, Path: s.Path, RawPath: s.RawPath, RawQuery: s.RawQuery}
	req, err := http.NewRequestWithContext(context.Background(), s.Method, u.String(), bytes.NewReader(s.Body))
	if err != nil {
		tb.Fatalf("NewRequest: %v", err)
	}
	if len(s.Body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, vs := range s.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if s.ContentSHA256 {
		req.Header.Set("X-Amz-Content-Sha256", bodyHash(s.Body))
	}
	creds := aws.Credentials{AccessKeyID: s.Key.AccessKeyID, SecretAccessKey: s.Key.SecretAccessKey, SessionToken: s.SessionToken}
	err = v4.NewSigner().SignHTTP(context.Background(), creds, req, bodyHash(s.Body), s.Service, s.Region, s.At,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s.AsIs })
	if err != nil {
		tb.Fatalf("SignHTTP: %v", err)
	}
	return req
}

// overTheWire serialises the client's request and parses it back as net/http's server does,
// returning the server-side request and its body.
func overTheWire(tb testing.TB, req *http.Request) (*http.Request, []byte) {
	tb.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		tb.Fatalf("write request: %v", err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		tb.Fatalf("read request: %v\n%s", err, buf.String())
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return r, body
}

// signed is signClient then overTheWire.
func signed(tb testing.TB, s signSpec) (*http.Request, []byte) {
	tb.Helper()
	return overTheWire(tb, signClient(tb, s))
}

var hexRun = regexp.MustCompile(`[0-9a-f]{64}`)

// checkErrorText fails when an error's text holds a secret or any 64-hex-digit run (an
// expected signature or a derived key would be one).
func checkErrorText(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, k := range []Key{demoKey, otherKey, strangerKey} {
		if strings.Contains(msg, k.SecretAccessKey) {
			tb.Errorf("error text %q contains a secret", msg)
		}
	}
	if hexRun.MatchString(msg) {
		tb.Errorf("error text %q contains a 64-hex-digit value", msg)
	}
}
