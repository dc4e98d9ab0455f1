package mask_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

var testKey = bytes.Repeat([]byte{0x5a}, 32)

func TestModes(t *testing.T) {
	t.Parallel()
	partial := mask.New(mask.WithMode(mask.ModePartial, mask.Detectors()...))
	runText(t, partial, []textCase{
		{"card", "card 4111 1111 1111 1111", "card [CARD ****1111]", one(mask.Card)},
		{"phone", "call (415) 555-0132", "call [PHONE ****0132]", one(mask.Phone)},
		{"phone keeps the number's digits, not the extension's", "call 415-555-0132 ext. 77", "call [PHONE ****0132]", one(mask.Phone)},
		{"ssn", "123-45-6789", "[SSN ****6789]", one(mask.SSN)},
		{"email keeps the domain", "bob@example.com", "[EMAIL ***@example.com]", one(mask.Email)},
		{"ipv4 keeps two octets", "from 10.20.30.40", "from [IP 10.20.*.*]", one(mask.IP)},
		{"ipv6 is redacted", "from fe80::1:2", "from [IP]", one(mask.IP)},
		{"dob keeps the year", "DOB: 1990-04-12", "DOB: [DOB 1990]", one(mask.DOB)},
		{"secrets are redacted", "password=hunter2!x", "password=[SECRET]", one(mask.Secret)},
	})
	noKey := mask.New(mask.WithMode(mask.ModeToken, mask.Email))
	runText(t, noKey, []textCase{{"token without a key redacts", "bob@example.com", "[EMAIL]", one(mask.Email)}})
}

func TestTokensAreKeyedAndDeterministic(t *testing.T) {
	t.Parallel()
	e := mask.New(mask.WithMode(mask.ModeToken, mask.Email, mask.Card), mask.WithKey(testKey))
	m := e.Mask([]byte(`{"a":"bob@example.com","b":"bob@example.com","c":"carol@example.com","d":4111111111111111}`), mask.FormatJSON)
	toks := map[string]string{}
	for _, tk := range m.Tokens {
		toks[tk.Value] = tk.Token
		if !strings.HasPrefix(tk.Token, "tok_"+tk.Detector+"_") || len(tk.Token) != len("tok_"+tk.Detector+"_")+20 {
			t.Fatalf("token %q", tk.Token)
		}
		if !bytes.Contains(m.Body, []byte(tk.Token)) {
			t.Fatalf("token %q not in the output %s", tk.Token, m.Body)
		}
	}
	if len(m.Tokens) != 4 || len(toks) != 3 || toks["bob@example.com"] == toks["carol@example.com"] {
		t.Fatalf("tokens %v", m.Tokens)
	}
	if bytes.Contains(m.Body, []byte("example.com")) || bytes.Contains(m.Body, []byte("4111")) {
		t.Fatalf("a value survived: %s", m.Body)
	}
	other := mask.New(mask.WithMode(mask.ModeToken, mask.Email), mask.WithKey(bytes.Repeat([]byte{1}, 32)))
	if o := other.Mask([]byte("bob@example.com"), mask.FormatText); o.Tokens[0].Token == toks["bob@example.com"] {
		t.Fatal("another deployment key gave the same token")
	}
	again := e.Mask(m.Body, mask.FormatJSON)
	if again.Summary.Total() != 0 {
		t.Fatalf("tokens were masked again: %v", again.Summary)
	}
}

func TestFormatPreservingIsNotDetectedAgain(t *testing.T) {
	t.Parallel()
	e := mask.New(mask.WithMode(mask.ModeFormat, mask.Detectors()...), mask.WithKey(testKey))
	for _, v := range append(append(append([]string{}, planted[mask.Card]...), planted[mask.SSN]...), append(planted[mask.Phone], planted[mask.Email]...)...) {
		m := e.Mask([]byte(v), mask.FormatText)
		if m.Summary.Total() != 1 {
			t.Fatalf("%q: %v", v, m.Summary)
		}
		out := string(m.Body)
		if out == v || strings.HasPrefix(out, "[") {
			t.Fatalf("%q -> %q: not format preserving", v, out)
		}
		if !strings.Contains(v, "@") && len(out) != len(v) {
			t.Fatalf("%q -> %q: the length changed", v, out)
		}
		if again := mask.New().Mask(m.Body, mask.FormatText); again.Summary.Total() != 0 {
			t.Fatalf("%q -> %q is detected again: %v", v, out, again.Summary)
		}
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	e := mask.New(mask.WithFields("password"))
	in := "name,ssn,dob,password,notes\r\nBob,123456789,1990-04-12,\"p,w\"\"x\",\"call 415-555-0132, ok\"\r\nAda,,,,\n"
	m := e.Mask([]byte(in), mask.FormatCSV)
	want := "name,ssn,dob,password,notes\r\nBob,[SSN],[DOB],\"[REDACTED]\",\"call [PHONE], ok\"\r\nAda,,,,\n"
	if diff := cmp.Diff(want, string(m.Body)); diff != "" || m.Format != mask.FormatCSV {
		t.Fatalf("CSV (-want +got):\n%s", diff)
	}
	bad := e.Mask([]byte("a,b\n\"open,bob@example.com\n"), mask.FormatCSV)
	if bad.Format != mask.FormatText || bytes.Contains(bad.Body, []byte("bob@")) {
		t.Fatalf("invalid CSV: %s as %v", bad.Body, bad.Format)
	}
}

func TestEmbeddedJSON(t *testing.T) {
	t.Parallel()
	in := `{"payload":"{\"user\":{\"email\":\"bob@example.com\",\"password\":\"hunter2!x\"},\"deep\":\"{\\\"ssn\\\":\\\"123-45-6789\\\"}\"}","plain":"{not json} bob@example.com"}`
	out, sum, err := mask.New().JSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"payload":"{\"user\":{\"email\":\"[EMAIL]\",\"password\":\"[SECRET]\"},\"deep\":\"{\\\"ssn\\\":\\\"[SSN]\\\"}\"}","plain":"{not json} [EMAIL]"}`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(mask.Summary{mask.Email: 2, mask.Secret: 1, mask.SSN: 1}, sum); diff != "" {
		t.Fatalf("summary (-want +got):\n%s", diff)
	}
}

func TestLargeInputIsCappedAndMarked(t *testing.T) {
	t.Parallel()
	e := mask.New(mask.WithMaxBytes(64))
	in := []byte(`{"a":"bob@example.com","b":"x"}` + "\n" + strings.Repeat("carol@example.com ", 10))
	m := e.Mask(in, mask.FormatAuto)
	if !m.Truncated || !bytes.HasSuffix(m.Body, []byte(mask.TruncatedMarker)) || bytes.Contains(m.Body, []byte("@example.com")) {
		t.Fatalf("capped output %q, truncated %v", m.Body, m.Truncated)
	}
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	c, err := mask.NewCatalog([]byte("profiles:\n- {name: support, modes: {email: token, ip: off}, fields: [notes], requests: mask}\n"), testKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"default", "format", "partial", "strict", "support", "tokenize"}, c.Names()); diff != "" {
		t.Fatal(diff)
	}
	e, err := c.Engine("support")
	if err != nil {
		t.Fatal(err)
	}
	m := e.Mask([]byte(`{"e":"bob@example.com","ip":"10.0.0.1","notes":{"x":1}}`), mask.FormatJSON)
	if !bytes.Contains(m.Body, []byte(`"e":"tok_email_`)) || !bytes.Contains(m.Body, []byte(`"ip":"10.0.0.1"`)) || !bytes.Contains(m.Body, []byte(`"notes":"[REDACTED]"`)) {
		t.Fatalf("support profile: %s", m.Body)
	}
	if c.Requests("support") != mask.RequestMask || c.Requests("default") != mask.RequestRefuse || c.Requests("nope") != mask.RequestRefuse {
		t.Fatal("request actions")
	}
	if _, err := c.Engine("nope"); !errors.Is(err, mask.ErrUnknownProfile) {
		t.Fatalf("unknown profile: %v", err)
	}
	_, err = mask.NewCatalog([]byte("profiles:\n- {name: Bad, modes: {emial: token, card: shred}, requests: maybe, max_bytes: -1, fields: ['__']}\n- {name: x}\n- {name: x}\n"), nil)
	for _, want := range []string{`"Bad"`, `unknown detector "emial"`, `unknown mode "shred"`, `"maybe"`, "max_bytes", "defined twice", `"__" has no letter or digit`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("invalid document: %v; want it to mention %s", err, want)
		}
	}
	if _, err := mask.NewCatalog([]byte("profiles:\n- {name: a, colour: red}\n"), nil); err == nil {
		t.Error("an unknown field was accepted")
	}
}

// TestAllowedSecrets: a profile's allow_secrets leaves the secret values its patterns match in
// clear, wherever they are (text, a JSON value under a secret key, CSV), and nothing else:
// not another secret, not personal data, not a value Mandate put into the action.
func TestAllowedSecrets(t *testing.T) {
	t.Parallel()
	c, err := mask.NewCatalog([]byte("profiles:\n- {name: fixtures, fields: [pin], allow_secrets: ['(?i)fake', '^test-only-[0-9]+$']}\n"), testKey)
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Engine("fixtures")
	if err != nil {
		t.Fatal(err)
	}
	runText(t, e, []textCase{
		{"allowed password", `password = "somefakekey"`, `password = "somefakekey"`, nil},
		{"allowed in any case", `api_key: MyFAKEkey123xyz`, `api_key: MyFAKEkey123xyz`, nil},
		{"allowed whole value", `secret=test-only-42`, `secret=test-only-42`, nil},
		{"pattern anchored", `password=test-only-42x`, `password=[SECRET]`, one(mask.Secret)},
		{"other secret", `password = "hunter2!x"`, `password = "[SECRET]"`, one(mask.Secret)},
		{"allowed shaped token", shaped("gh"+"p_", "fake"+strings.Repeat("0", 32)), shaped("gh"+"p_", "fake"+strings.Repeat("0", 32)), nil},
		{"shaped token", ghToken, `[GITHUB_TOKEN]`, one(mask.GitHubToken)},
		{"email never allowed", `fake.person@example.com`, `[EMAIL]`, one(mask.Email)},
	})
	m := e.Mask([]byte(`{"db":{"password":"fakepass1","pin":"fake"},"token":"x9FakeQ2m7ZpL4vR8sT1"}`), mask.FormatJSON)
	if want := `{"db":{"password":"fakepass1","pin":"[REDACTED]"},"token":"x9FakeQ2m7ZpL4vR8sT1"}`; string(m.Body) != want {
		t.Errorf("JSON: %s, want %s (a named field is masked whole whatever it holds)", m.Body, want)
	}
	k := e.MaskKnown([]byte(`echo: fake-injected-value`), mask.FormatText, []string{"fake-injected-value"})
	if strings.Contains(string(k.Body), "fake-injected-value") {
		t.Errorf("a known value came back under an allow pattern: %s", k.Body)
	}
	for _, bad := range []string{"''", "'.*'", "'x|'", "'(('"} {
		if _, err := mask.NewCatalog([]byte("profiles:\n- {name: a, allow_secrets: ["+bad+"]}\n"), nil); err == nil || !strings.Contains(err.Error(), "allow_secrets") {
			t.Errorf("allow_secrets %s: %v", bad, err)
		}
	}
}

// TestVaults runs the same checks on the memory vault and the store-backed one.
func TestVaults(t *testing.T) {
	t.Parallel()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	claims, err := mask.NewClaimsVault(db, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mask.NewClaimsVault(db, []byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
	for name, v := range map[string]mask.Vault{"memory": mask.NewMemoryVault(nil), "claims": claims} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := mask.New(mask.WithMode(mask.ModeToken, mask.Email), mask.WithKey(testKey))
			m := e.Mask([]byte("write to bob+1@example.com"), mask.FormatText)
			tok := m.Tokens[0].Token
			if _, ok, err := v.Get(ctx, "ses_a", tok); ok || err != nil {
				t.Fatalf("before Put: %v %v", ok, err)
			}
			exp := time.Now().Add(time.Hour)
			if err := v.Put(ctx, "ses_a", m.Tokens, exp); err != nil {
				t.Fatal(err)
			}
			if err := v.Put(ctx, "ses_a", m.Tokens, exp); err != nil {
				t.Fatalf("Put again: %v", err)
			}
			if got, ok, err := v.Get(ctx, "ses_a", tok); !ok || err != nil || got != "bob+1@example.com" {
				t.Fatalf("Get = %q %v %v", got, ok, err)
			}
			if _, ok, _ := v.Get(ctx, "ses_b", tok); ok {
				t.Fatal("another session opened the token")
			}
			lookup := func(ctx context.Context, tk string) (string, bool, error) { return v.Get(ctx, "ses_a", tk) }
			out, n, err := mask.Detokenize(ctx, "/search?q="+tok+"&x=tok_email_notatokenatall", lookup, url.QueryEscape)
			if err != nil || n != 1 || out != "/search?q=bob%2B1%40example.com&x=tok_email_notatokenatall" {
				t.Fatalf("Detokenize = %q %d %v", out, n, err)
			}
			forged := "tok_email_" + strings.Repeat("a", 20)
			_, _, err = mask.Detokenize(ctx, "x "+forged, lookup, nil)
			var te *mask.TokenError
			if !errors.Is(err, mask.ErrUnknownToken) || !errors.As(err, &te) || te.Detector != mask.Email || strings.Contains(err.Error(), "aaaa") {
				t.Fatalf("forged token: %v", err)
			}
			if err := v.Put(ctx, "ses_c", m.Tokens, time.Now().Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := v.Get(ctx, "ses_c", tok); ok {
				t.Fatal("an expired entry opened")
			}
		})
	}
}

func TestClaimsVaultSealsValues(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := mask.NewClaimsVault(db, testKey)
	if err := v.Put(context.Background(), "ses_a", []mask.Token{{Token: "tok_email_" + strings.Repeat("b", 20), Detector: mask.Email, Value: "bob@example.com"}}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("bob@example.com")) {
		t.Fatal("the store holds the value in the clear")
	}
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// TestTokensOfValuesReadAgainHoldTheValues: a value found only by a second reading of a
// string (across tags with the values found as written masked) is tokenized from its own
// text, whatever the readings after it build in the buffers it was read from.
func TestTokensOfValuesReadAgainHoldTheValues(t *testing.T) {
	t.Parallel()
	e := mask.New(mask.WithMode(mask.ModeToken, mask.Detectors()...), mask.WithKey(testKey))
	for _, in := range []string{
		"ssn 123-45-6789<b>4111</b>111111111111",
		`ssn 123-45-6789<b>4111</b>111111111111 and \u0041 \x1b[1m5555\x1b[0m 5555 5555 4444`,
		"ssn 123456789<card>4111</card>111111111111 \\t done",
		// A card in an escape sequence's parameters, read by the first reading, beside an
		// address the scan found as written, which starts the second.
		"bob@example.com \x1b[4111;1111;1111;1111m x",
		// Values across tags that escapes spell, read with the escapes decoded.
		"ssn 123456789&lt;b&gt;4111&lt;/b&gt;111111111111",
		`card 4111 \u003cb\u003e1111\u003c/b\u003e 1111 1111 ok`,
	} {
		m := e.Mask([]byte(in), mask.FormatText)
		cards := 0
		for _, tk := range m.Tokens {
			if tk.Detector != mask.Card {
				continue
			}
			cards++
			if v := strings.NewReplacer(" ", "", ";", "", "\x1b[1m", "", "\x1b[0m", "").Replace(tk.Value); v != "4111111111111111" && v != "5555555555554444" {
				t.Errorf("%q: a card token holds %q", in, tk.Value)
			}
		}
		if cards == 0 || bytes.Contains(m.Body, []byte("4111")) {
			t.Errorf("%q: %s, %d card tokens", in, m.Body, cards)
		}
	}
}

// TestTokenInAnEncodedWordStaysWhole: a token written back into a percent-encoded word that
// escaped one of its letters elsewhere is written plain, so detokenizing finds it.
func TestTokenInAnEncodedWordStaysWhole(t *testing.T) {
	t.Parallel()
	e := mask.New(mask.WithMode(mask.ModeToken, mask.Email), mask.WithKey(testKey))
	m := e.Mask([]byte("see https://x.test/a?t=%74%6F%6B&email=bob%40example.com ok"), mask.FormatText)
	if len(m.Tokens) != 1 || !bytes.Contains(m.Body, []byte(m.Tokens[0].Token)) {
		t.Fatalf("%s: the token %v is not whole in it", m.Body, m.Tokens)
	}
	// 'k' the word only ever wrote escaped; 't' and 'o' it also wrote plain.
	if !bytes.Contains(m.Body, []byte("t=to%6B&")) {
		t.Errorf("%s: the word's 'k' was not written escaped", m.Body)
	}
}
