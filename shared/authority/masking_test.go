package authority_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// echoTarget answers every request with a customer record and the query it received, and
// remembers the raw queries, so a test sees what went out on egress.
type echoTarget struct {
	mu      sync.Mutex
	queries []string
}

func (e *echoTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.queries = append(e.queries, r.URL.Query().Get("email"))
	e.mu.Unlock()
	shape, ok := shapes[r.URL.Query().Get("shape")]
	if !ok {
		shape, ok = compressedShapes[r.URL.Query().Get("shape")]
	}
	if enc, ok := encodedShapes[r.URL.Query().Get("shape")]; ok { // a body in an HTTP encoding
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Encoding", enc[0])
		_, _ = w.Write([]byte(enc[1]))
		return
	}
	if ok { // a record in another shape
		w.Header().Set("Content-Type", shape[0])
		_, _ = w.Write([]byte(shape[1]))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	body := map[string]any{
		"id": 42, "email": "grace.hopper@example.org", "card": "4111 1111 1111 1111",
		"looked_up": r.URL.Query().Get("email"),
	}
	if r.URL.Query().Get("echo") == "headers" { // a target that echoes its request, credential and all
		body["authorization"] = r.Header.Get("Authorization")
		body["note"] = "called with " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	_ = json.NewEncoder(w).Encode(body)
}

// newMaskingFixture is an authority whose target uses the tokenize profile, with a
// deployment key, so tokens are minted and kept in the store-backed vault.
func newMaskingFixture(t *testing.T, profile string) (*authority.Authority, *echoTarget) {
	t.Helper()
	return newMaskingFixtureWith(t, profile, nil)
}

// newMaskingFixtureWith is newMaskingFixture with a catalog of profiles (nil: the built-in ones).
func newMaskingFixtureWith(t *testing.T, profile string, catalog *mask.Catalog) (*authority.Authority, *echoTarget) {
	t.Helper()
	return newMaskingFixtureTarget(t, profile, catalog, "")
}

// newMaskingFixtureTarget is newMaskingFixtureWith with more fields of the target (YAML
// flow mapping entries, each starting with ", ").
func newMaskingFixtureTarget(t *testing.T, profile string, catalog *mask.Catalog, extra string) (*authority.Authority, *echoTarget) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := os.WriteFile(filepath.Join(dir, "crm.key"), bytes.Repeat([]byte("k"), 32), 0o600); err != nil {
		t.Fatal(err)
	}
	echo := &echoTarget{}
	srv := httptest.NewServer(echo)
	t.Cleanup(srv.Close)
	pol, err := os.ReadFile("../local/defaults/policies.cedar")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := os.ReadFile("../local/defaults/intents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tgt := []byte("targets:\n- {name: customers, kind: http, base_url: '" + srv.URL + "', secret_ref: 'file:crm.key', mask_profile: " + profile + extra + "}\n")
	for kind, body := range map[string][]byte{store.KindPolicies: pol, store.KindIntents: cat, store.KindTargets: tgt} {
		if err := db.PutDocument(ctx, store.Document{Kind: kind, Name: authority.DocumentName, Version: 1, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	auth, err := authority.New(ctx, authority.Config{
		Store: db, Broker: broker.New(broker.NewFileSecrets(dir), time.Now),
		Executor: execute.NewHTTP(nil), Masker: mask.New(), MaskKey: bytes.Repeat([]byte{7}, 32), Log: quiet, Masking: catalog,
	})
	if err != nil {
		t.Fatal(err)
	}
	return auth, echo
}

func openSession(t *testing.T, auth *authority.Authority) string {
	t.Helper()
	s, err := auth.OpenSession(context.Background(), agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	return s.SessionID
}

func get(path string) api.ActionRequest {
	return api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: path}}
}

// TestTokensAreDetokenizedOnEgress: the agent sees a keyed token in place of an email, acts
// with the token, and the target receives the email; the response masks it to the same
// token. Another session cannot use the token.
func TestTokensAreDetokenizedOnEgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	auth, echo := newMaskingFixture(t, "tokenize")
	sid := openSession(t, auth)
	res, err := auth.Act(ctx, agent("demo-agent"), sid, get("/customers/42"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(res.Result)
	if bytes.Contains(body, []byte("grace.hopper")) || bytes.Contains(body, []byte("4111 1111 1111 1111")) {
		t.Fatalf("unmasked value in the result: %s", body)
	}
	var rec struct{ Email, Card string }
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec.Email, "tok_email_") || rec.Card != "[CARD ****1111]" {
		t.Fatalf("email %q, card %q; want a token and the last four digits", rec.Email, rec.Card)
	}
	if res.Masking[mask.Email] != 1 || res.Masking[mask.Card] != 1 {
		t.Fatalf("masking summary %v", res.Masking)
	}

	res, err = auth.Act(ctx, agent("demo-agent"), sid, get("/customers/lookup?email="+rec.Email))
	if err != nil {
		t.Fatalf("acting with a token: %v", err)
	}
	echo.mu.Lock()
	got := echo.queries[len(echo.queries)-1]
	echo.mu.Unlock()
	if got != "grace.hopper@example.org" {
		t.Fatalf("the target received %q; want the detokenized email", got)
	}
	body, _ = json.Marshal(res.Result)
	var again struct {
		LookedUp string `json:"looked_up"`
	}
	_ = json.Unmarshal(body, &again)
	if again.LookedUp != rec.Email {
		t.Fatalf("the echoed email came back as %q; want the same token %q", again.LookedUp, rec.Email)
	}

	other := openSession(t, auth)
	_, err = auth.Act(ctx, agent("demo-agent"), other, get("/customers/lookup?email="+rec.Email))
	var e *authority.Error
	if !errors.As(err, &e) || e.Kind != authority.ErrInvalid || e.Record == nil ||
		len(e.Reasons) != 1 || e.Reasons[0] != "unknown-token:email" {
		t.Fatalf("a token from another session = %v; want a recorded ErrInvalid naming the detector", err)
	}
}

// TestSecretsInRequestsAreRefused: an action carrying a credential is refused before policy
// runs, with a recorded refusal naming the detector and never the value.
func TestSecretsInRequestsAreRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	auth, echo := newMaskingFixture(t, "default")
	sid := openSession(t, auth)
	key := "AKIA" + "IOSFODNN7EXAMPL2"
	for _, tc := range []struct {
		name   string
		req    api.ActionRequest
		reason string
	}{
		{"access key in the path", get("/customers/42?k=" + key), "request-secret:aws_access_key_id"},
		{"password in the body", api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET",
			Path: "/customers/42", Body: map[string]any{"note": "x", "password": "Tr0ub4dor&3"}}}, "request-secret:secret"},
	} {
		_, err := auth.Act(ctx, agent("demo-agent"), sid, tc.req)
		var e *authority.Error
		if !errors.As(err, &e) || e.Kind != authority.ErrInvalid || e.Record == nil || len(e.Reasons) != 1 || e.Reasons[0] != tc.reason {
			t.Fatalf("%s: %v; want a recorded ErrInvalid with reason %s", tc.name, err, tc.reason)
		}
		if strings.Contains(e.Error(), key) || strings.Contains(e.Error(), "Tr0ub4dor") {
			t.Fatalf("%s: the error holds the secret: %v", tc.name, e)
		}
	}
	echo.mu.Lock()
	defer echo.mu.Unlock()
	if len(echo.queries) != 0 {
		t.Fatalf("the target was called %d times", len(echo.queries))
	}
}

// TestSecretsInRequestsAreMaskedWhenTheProfileSaysSo: with requests: mask, an action carrying
// a credential still runs, but the target receives the credential masked, never the value.
func TestSecretsInRequestsAreMaskedWhenTheProfileSaysSo(t *testing.T) {
	t.Parallel()
	catalog, err := mask.NewCatalog([]byte("profiles:\n  - {name: scrub, default_mode: redact, requests: mask}\n"), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	auth, echo := newMaskingFixtureWith(t, "scrub", catalog)
	sid := openSession(t, auth)
	key := "AKIA" + "IOSFODNN7EXAMPL2"
	res, err := auth.Act(context.Background(), agent("demo-agent"), sid, get("/customers/42?email="+key))
	if err != nil {
		t.Fatalf("Act = %v, want the action to run with the secret masked", err)
	}
	echo.mu.Lock()
	defer echo.mu.Unlock()
	if len(echo.queries) != 1 || echo.queries[0] == "" || strings.Contains(echo.queries[0], key) {
		t.Fatalf("the target received %q", echo.queries)
	}
	if raw, _ := json.Marshal(res); strings.Contains(string(raw), key) {
		t.Fatalf("the response holds the secret: %s", raw)
	}
}

// TestDetokenizedValuesEchoedBackAreMasked: a value a token was replaced with on egress is
// masked when the target echoes it, even where no detector would find it (here the email
// detector is off and the value was tokenized as a named field).
func TestDetokenizedValuesEchoedBackAreMasked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	catalog, err := mask.NewCatalog([]byte("profiles:\n  - {name: fieldtok, modes: {field: token, email: off}, fields: [email]}\n"), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	auth, echo := newMaskingFixtureWith(t, "fieldtok", catalog)
	sid := openSession(t, auth)
	res, err := auth.Act(ctx, agent("demo-agent"), sid, get("/customers/42"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(res.Result)
	var rec struct{ Email string }
	if err := json.Unmarshal(body, &rec); err != nil || !strings.HasPrefix(rec.Email, "tok_field_") {
		t.Fatalf("email %q (%v); want a field token", rec.Email, err)
	}
	res, err = auth.Act(ctx, agent("demo-agent"), sid, get("/customers/lookup?email="+rec.Email))
	if err != nil {
		t.Fatalf("acting with a token: %v", err)
	}
	echo.mu.Lock()
	got := echo.queries[len(echo.queries)-1]
	echo.mu.Unlock()
	if got != "grace.hopper@example.org" {
		t.Fatalf("the target received %q; want the detokenized value", got)
	}
	body, _ = json.Marshal(res.Result)
	if bytes.Contains(body, []byte("grace.hopper")) {
		t.Fatalf("the detokenized value came back in clear: %s", body)
	}
	if res.Masking[mask.Known] != 1 {
		t.Fatalf("masking summary %v; want one known value", res.Masking)
	}
	// The result record says where each value was, never the value.
	chain, err := auth.Audit(ctx, agent("demo-agent"), sid)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := json.Marshal(chain.Records[len(chain.Records)-1])
	if !bytes.Contains(last, []byte(`"mask_findings":[`)) || !bytes.Contains(last, []byte(`{"detector":"known","path":"/looked_up"}`)) ||
		bytes.Contains(last, []byte("grace.hopper")) {
		t.Fatalf("the result record: %s", last)
	}
}

// TestResponseCutInsideAValue: a response the executor cut at the target's size limit in the
// middle of a card number returns no part of it, and the result says it was truncated.
func TestResponseCutInsideAValue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The echo target writes {"card":"4111 1111 1111 1111",...}: 20 bytes end inside it.
	auth, _ := newMaskingFixtureTarget(t, "default", nil, ", max_response_bytes: 20")
	sid := openSession(t, auth)
	res, err := auth.Act(ctx, agent("demo-agent"), sid, get("/customers/42"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(res.Result)
	if bytes.Contains(body, []byte("4111")) || !bytes.Contains(body, []byte("TRUNCATED")) {
		t.Fatalf("a cut card came back, or the cut is not marked: %s", body)
	}
}

// TestInjectedCredentialIsMaskedInTheAnswer: a target that echoes the request gives back the
// credential the broker injected; the agent never sees it, whole or as the bare value.
func TestInjectedCredentialIsMaskedInTheAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	auth, _ := newMaskingFixture(t, "default")
	sid := openSession(t, auth)
	res, err := auth.Act(ctx, agent("demo-agent"), sid, get("/customers/42?echo=headers"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res.Result)
	if strings.Contains(string(raw), "kkkkkkkk") || !strings.Contains(string(raw), "authorization") {
		t.Fatalf("the injected credential came back: %s", raw)
	}
	if res.Masking["known"] == 0 {
		t.Fatalf("masking summary %v does not count the credential", res.Masking)
	}
}

// shapes are bodies a target may answer with, by name: a content type and a body that
// holds a customer's values in a shape other than plain JSON.
var shapes = map[string][2]string{
	"csv-octet": {"application/octet-stream", "id,ssn,dob,password\n42,078051120,19800101,hunter2hunter2\n"},
	"csv-json":  {"application/json", `{"file":"id;ssn;dob\n42;078051120;19800101\n"}`},
	"escaped":   {"text/plain", `card 4111 1111 1111 111\u0031, mail grace.hopper%40example.org4111 1111 1111 1111`},
	"hexlist":   {"text/plain", "dump 34 31 31 31 31 31 31 31 31 31 31 31 31 31 31 31"},
	"wrapped": {"application/json", `{"b64":"` + func() string {
		b := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 50) + " card 4111111111111111 mail grace.hopper@example.org"))
		return b[:76] + `\n` + b[76:]
	}() + `"}`},
	"spelled":   {"text/plain", "mail grace [dot] hopper AT example DOT org, grace.hopper@example . org"},
	"indented":  {"text/plain", "card: 4111\n      1111\n      1111\n      1111\n"},
	"languages": {"text/plain", "tarjeta cuatro uno uno uno uno uno uno uno uno uno uno uno uno uno uno uno"},
	"track":     {"text/plain", "swipe %B4111111111111111^HOPPER/GRACE^2812101?"},
	"glued":     {"text/plain", "card_4111111111111111 grace.hopper@example.org-4111111111111111"},
	"link":      {"text/html", "https://x.example/unsubscribe/Z3JhY2UuaG9wcGVyQGV4YW1wbGUub3Jn/confirm"},
	"header":    {"message/rfc822", "Subject: =?UTF-8?Q?grace.hopper=40example.org?="},
	"xhtml":     {"application/xhtml+xml", "<p>grace.hopper<!-- x -->@example.org <b>4111</b> 1111 1111 1111</p>"},
	"wrap":      {"text/plain", "Your card 3782 822463\n10005 was charged"},
	"lines":     {"text/plain", "378282\n246310005\n4111 1111 1111\n1111"},
	"amount":    {"text/plain", "refund $4111111111111111 to @4111111111111111, fee USD5555555555554444"},
	"cdata":     {"application/xml", "<r><![CDATA[grace.hopper]]><![CDATA[@example.org]]></r>"},
	"host":      {"text/plain", "GET http://3232235777/admin and http://0xC0A80101/"},
	"zip-json":  {"application/json", `{"report":"` + base64.StdEncoding.EncodeToString(zipped("customers.csv", "id,card\n42,4111111111111111\n")) + `"}`},
	"zlib":      {"application/octet-stream", string(zlibbed("id,card\n42,4111111111111111\n"))},
}

// compressedShapes are the shapes whose record is compressed (checked by
// TestCompressedResponsesAreMasked, which decodes what comes back), and one in a format the
// masker cannot read (xz, made with Python's lzma module from "id,card\n42,4111111111111111\n").
var compressedShapes = map[string][2]string{
	"xz": {"application/x-xz", func() string {
		b, _ := base64.StdEncoding.DecodeString("/Td6WFoAAATm1rRGAgAhARYAAAB0L+Wj4AAbABRdADSZAYTRvwZsAl8kSghvAwnceoAAACU218foWMKoAAEwHJffwesftvN9AQAAAAAEWVo=")
		return string(b)
	}()},
}

// encodedShapes are records served with a Content-Encoding (name, body): deflate (a zlib
// stream) the masker reads; brotli it cannot (no byte announces it: these bytes stand for a
// brotli stream), nor two encodings, nor raw DEFLATE under deflate's name (no byte announces
// it either).
var encodedShapes = map[string][2]string{
	"deflate": {"deflate", string(zlibbed("id,card\n42,4111111111111111\n"))},
	"br":      {"br", "\x1b\x1b\x00\xf8\xa5\x40\xc2\xe7\x98\x41\x11\x11"},
	"two":     {"deflate, br", "\x1b\x1b\x00\xf8\xa5"},
	"deflate-raw": {"deflate", func() string { // raw DEFLATE, as some servers send for deflate
		var b bytes.Buffer
		fw, _ := flate.NewWriter(&b, flate.BestCompression)
		fw.Write([]byte("id,card\n42,4111111111111111\n"))
		fw.Close()
		return b.String()
	}()},
}

func zipped(name, content string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create(name)
	w.Write([]byte(content))
	zw.Close()
	return b.Bytes()
}

func zlibbed(content string) []byte {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write([]byte(content))
	zw.Close()
	return b.Bytes()
}

// TestCompressedResponsesAreMasked: through the whole pipeline, a record a target serves as
// a zip archive in base64 in a JSON field, as a zlib stream, or with Content-Encoding
// deflate comes back masked (the zip still a zip, the zlib stream as its text); one
// compressed with xz, or with a Content-Encoding the masker cannot read, is withheld.
func TestCompressedResponsesAreMasked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	auth, _ := newMaskingFixture(t, "default")
	sid := openSession(t, auth)
	act := func(name string) api.ActionResponse {
		t.Helper()
		res, err := auth.Act(ctx, agent("demo-agent"), sid, get("/customers/42?shape="+name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	res := act("zip-json")
	var body struct{ Report []byte }
	raw, _ := json.Marshal(res.Result)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("zip-json: %v: %s", err, raw)
	}
	zr, err := zip.NewReader(bytes.NewReader(body.Report), int64(len(body.Report)))
	if err != nil || len(zr.File) != 1 {
		t.Fatalf("zip-json: no zip came back: %v", err)
	}
	r, _ := zr.File[0].Open()
	got, _ := io.ReadAll(r)
	if string(got) != "id,card\n42,[CARD]\n" || res.Masking["card"] != 1 {
		t.Errorf("zip-json: entry %q, masking %v", got, res.Masking)
	}
	res = act("zlib")
	if res.Result != "id,card\n42,[CARD]\n" || res.Masking["card"] != 1 {
		t.Errorf("zlib: %#v %v", res.Result, res.Masking)
	}
	res = act("xz")
	if s, _ := res.Result.(string); !strings.HasPrefix(s, mask.WithheldMarker) || res.Masking[mask.Withheld] != 1 {
		t.Errorf("xz: %#v %v", res.Result, res.Masking)
	}
	// Served with a Content-Encoding: deflate is read; anything the masker cannot read
	// by its bytes is withheld, whatever the bytes look like.
	res = act("deflate")
	if res.Result != "id,card\n42,[CARD]\n" || res.Masking["card"] != 1 {
		t.Errorf("deflate: %#v %v", res.Result, res.Masking)
	}
	for _, name := range []string{"br", "two", "deflate-raw"} {
		res = act(name)
		if s, _ := res.Result.(string); !strings.HasPrefix(s, mask.WithheldMarker) || res.Masking[mask.Withheld] != 1 {
			t.Errorf("%s: %#v %v", name, res.Result, res.Masking)
		}
	}
}

// TestEveryShapeATargetServesIsMasked: through the whole pipeline, a record a target
// serves as CSV under another content type, with escapes, as a list of hex bytes, as
// wrapped base64 in JSON, spelled out (in English or another language), on indented or
// wrapped lines, as a magnetic stripe's track, glued to a label or an address, base64 in a
// link's path, a mail header's encoded word, XHTML split by markup or XML by CDATA sections,
// after an amount's '$', or as a URL's host in another spelling comes back with its values
// masked and counted.
func TestEveryShapeATargetServesIsMasked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	auth, _ := newMaskingFixture(t, "default")
	sid := openSession(t, auth)
	for name, shape := range shapes {
		res, err := auth.Act(ctx, agent("demo-agent"), sid, get("/customers/42?shape="+name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw, _ := json.Marshal(res.Result)
		total := 0
		for _, n := range res.Masking {
			total += n
		}
		if total == 0 || bytes.Equal(raw, []byte(shape[1])) {
			t.Errorf("%s: nothing masked: %s (%v)", name, raw, res.Masking)
		}
		for _, leak := range []string{"078051120", "hunter2", "4111 1111 1111", "31 31 31 31", "grace", "MTExMTExMTEx", "      1111\\n",
			"uno uno", "4111111111111111", "5555555555554444", "Z3JhY2U", "822463", "246310005", "3232235777", "C0A80101"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("%s: %q came back: %s", name, leak, raw)
			}
		}
	}
}
