package mask_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/mask"
)

// Labels written with qualifiers or in code: the secret word still labels the value, and a
// trailing word that says the value is about the secret (its length, id, name) does not.
func TestQualifiedAndCodeLabels(t *testing.T) {
	e := mask.New()
	const v = "q8Vr2kLm9pW4xT7bN3cZ"
	for _, tc := range []struct {
		text   string
		masked bool
	}{
		{"password_super_secure = " + v, true},
		{"my_password_secure: '" + v + "'", true},
		{"apikey_myservice: \"" + v + "\"", true},
		{"db_pass_secure := " + v, true},
		{"if (api_key == \"" + v + "\") {", true},
		{"if (api_key === \"" + v + "\") {", true},
		{"if (db_pass != \"" + v + "\") {", true},
		{"if (db_pass !== \"" + v + "\") {", true},
		{"password => \"" + v + "\"", true},
		{"password = @\"" + v + "\";", true},
		{"secret[] = \"" + v + "\";", true},
		{"char password[25] = \"" + v + "\";", true},
		{"if (\"" + v + "\" == password) {", true},
		{"if ('" + v + "' !== my_private_key) {", true},
		{"if (\"" + v + "\" === api_key)", true},
		{"if (\"" + v + "\" == username) {", false},
		{"x = \"" + v + "\" == password_length", false},
		{"password_length = " + v, false},
		{"api_key_id: " + v, false},
		{"secret_name = " + v, false},
		{"password_policy_url: " + v, false},
		{"username_field = " + v, false},
	} {
		out, _ := e.Text([]byte(tc.text))
		if got := !strings.Contains(string(out), v); got != tc.masked {
			t.Errorf("%q -> %q: masked %v, want %v", tc.text, out, got, tc.masked)
		}
	}
}

// TestLabelledValueWithPunctuation: a generated value under a secret label came back in
// clear when it held punctuation outside a token's alphabet ("sq0csp-fxtYcQOiyhH81jG^poM6...",
// "8c0de099:3bbebffe", gitleaks' Square and Sidekiq cases): such a value was judged by its
// entropy only when every byte was a token byte, and as a run of symbols only when a quarter
// of it was. Each of ^ : ! # * @ ? | inside a generated value of letters and digits under a
// label is now read as part of it, in every way the value can be written; code and words
// under a label stay. ('%' is the URL reading's: "sig=...%2F" is decoded there.)
func TestLabelledValueWithPunctuation(t *testing.T) {
	e := mask.New()
	failed := 0
	for _, p := range strings.Split("^:!#*@?|", "") {
		for _, v := range []string{"fxtYcQOiyhH81jG" + p + "poM6Tsr94egbfErUV", "8c0de099" + p + "3bbebffe", "Q7" + p + "x9LmP2" + p + "vB4nR8" + p + "kT"} {
			for _, in := range []string{
				"token = " + v,
				`squareToken = "` + v + `"`,
				`"squareToken" => "` + v + `"`,
				`$squareToken .= "` + v + `";`,
				`{"api_key": "` + v + `"}`,
				"<apiKey>" + v + "</apiKey>",
				"export SQUARE_TOKEN=" + v,
			} {
				out, _ := e.Text([]byte(in))
				if strings.Contains(string(out), v) {
					failed++
					t.Errorf("%q -> %q", in, out)
				}
				if failed > 20 {
					t.Fatal("and more")
				}
			}
		}
	}
	for _, in := range []string{
		`api_key = os.environ["API_KEY"]`,
		`token = request.headers.get("X-Token")`,
		"see: token = https://example.com/docs#tokens;",
		"then: key = Hello:World!;",
		"at: token_expires = 2026-12-07T10:00:00Z",
		"set: key = a:b",
		"ref: key = sha1:abc",
	} {
		if out, sum := e.Text([]byte(in)); sum.Total() != 0 {
			t.Errorf("%q -> %q: changed", in, out)
		}
	}
}

// TestColonValueHoldsAmpersand: a secret after a ':' label came back in part when it held
// '&' or a '<' that opens no tag ("password: hunter2&more" kept "&more", "api_key:
// q8Vr2kLm9pW4&xT7bN3cZ" its tail, "password: s3cr<et99" its tail): the value stopped there,
// as a query's value stops at the next parameter. After ':' a value runs to white space or a
// quote, and to a '<' only when a tag opens there, and a generated key may hold '&'; after
// '=' '&' still ends it ("?password=hunter2&next=/home").
func TestColonValueHoldsAmpersand(t *testing.T) {
	e := mask.New()
	passwords := []string{"hunter2&more", "a&b&c&d&e&f", "s3cr<et99", "s3cr<9et99", "p&amp;ss&lt;word"}
	keys := []string{"q8Vr2kLm9pW4&xT7bN3cZ", "q8Vr2kLm<9pW4xT7bN3cZ", "q8Vr&amp;2kLm9pW4xT7bN3cZ"}
	for _, v := range append(passwords, keys...) {
		forms := []string{"password: %s", "password:%s", "  password: %s", "password: %s\nnext: line", "password: %s <br>"}
		if slices.Contains(keys, v) {
			forms = append(forms, "  api_key: %s", "X-Api-Key: %s", "secret:%s", "token: %s <br>")
		}
		for _, f := range forms {
			in := fmt.Sprintf(f, v)
			out, _ := e.Text([]byte(in))
			after := string(out[bytes.IndexByte(out, ':')+1:]) // past the label
			for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == '&' || r == '<' || r == ';' }) {
				if len(part) >= 3 && strings.Contains(after, part) {
					t.Errorf("%q -> %q: %q is left", in, out, part)
				}
			}
		}
	}
	for _, tc := range [][2]string{
		{"https://x.example/?password=hunter2xyz&next=/home", "https://x.example/?password=[SECRET]&next=/home"},
		{"<td>password: hunter2xyz</td>", "<td>password: [SECRET]</td>"},
		{`msg="password: hunter2xyz" ok`, `msg="password: [SECRET]" ok`},
	} {
		if out, _ := e.Text([]byte(tc[0])); string(out) != tc[1] {
			t.Errorf("%q -> %q, want %q", tc[0], out, tc[1])
		}
	}
}

// labelSpellings writes the words of a label as code and configuration write them.
func labelSpellings(words []string) []string {
	title := func(w string) string { return strings.ToUpper(w[:1]) + w[1:] }
	camel := words[0]
	for _, w := range words[1:] {
		camel += title(w)
	}
	snake := strings.Join(words, "_")
	return []string{snake, strings.ToUpper(snake), camel, strings.Join(words, "-"), strings.Join(words, ".")}
}

// TestCredentialLabelWords: credentials came back in clear under the names services give
// them: SMTP_PASS=…, {"pw": …}, db_pw, userPass, a card's security code under cvv2 or
// "security code", a PIN, a one-time or recovery code, a password's hash. Each is read in
// every spelling and every place a label stands (a JSON key, "label: value", "label=value",
// a quoted value, an XML element); labels that only hold such a word, and codes that are
// no credential (zip, country, status and error codes), are left alone.
func TestCredentialLabelWords(t *testing.T) {
	t.Parallel()
	e := mask.New()
	places := []struct {
		name   string
		format mask.Format
		write  func(label, value string) string
	}{
		{"json", mask.FormatJSON, func(l, v string) string { return `{"` + l + `":"` + v + `"}` }},
		{"colon", mask.FormatText, func(l, v string) string { return l + ": " + v + "\n" }},
		{"equals", mask.FormatText, func(l, v string) string { return "export " + l + "=" + v + "\n" }},
		{"quoted", mask.FormatText, func(l, v string) string { return l + ` = "` + v + `";` }},
		{"xml", mask.FormatText, func(l, v string) string { return "<" + l + ">" + v + "</" + l + ">" }},
	}
	masked := []struct {
		words []string
		value string
	}{
		{[]string{"smtp", "pass"}, "Tr0ub4dor3"},
		{[]string{"user", "pass"}, "hunter22"},
		{[]string{"pw"}, "hunter22"},
		{[]string{"db", "pw"}, "Tr0ub4dor3"},
		{[]string{"admin", "pw"}, "s3cret"},
		{[]string{"cvv2"}, "123"},
		{[]string{"cvc2"}, "123"},
		{[]string{"card", "cvv"}, "1234"},
		{[]string{"cvv"}, "123"},
		{[]string{"cvc"}, "123"},
		{[]string{"csc"}, "123"},
		{[]string{"security", "code"}, "123"},
		{[]string{"card", "security", "code"}, "4321"},
		{[]string{"pin"}, "4821"},
		{[]string{"card", "pin"}, "4821"},
		{[]string{"pin", "code"}, "482193"},
		{[]string{"passcode"}, "482193"},
		{[]string{"otp"}, "482193"},
		{[]string{"totp"}, "482193"},
		{[]string{"otp", "code"}, "482193"},
		{[]string{"mfa", "code"}, "482193"},
		{[]string{"verification", "code"}, "482193"},
		{[]string{"one", "time", "code"}, "482193"},
		{[]string{"recovery", "code"}, "k3j9-x8w2"},
		{[]string{"backup", "codes"}, "k3j9-x8w2"},
		{[]string{"auth", "code"}, "SplxlOBeZQQYbYS6WxSbIA"},
		{[]string{"password", "hash"}, "$2b$12$KIXQJ9Hk8vQ3Yx1Lh5OeUe"},
		{[]string{"password", "digest"}, "5f4dcc3b5aa765d61d8327deb882cf99"},
		{[]string{"hashed", "password"}, "5f4dcc3b5aa765d61d8327deb882cf99"},
	}
	for _, m := range masked {
		for _, label := range labelSpellings(m.words) {
			for _, p := range places {
				in := p.write(label, m.value)
				got := e.Mask([]byte(in), p.format)
				if bytes.Contains(got.Body, []byte(m.value)) {
					t.Errorf("%s: %q -> %q", p.name, in, got.Body)
				}
				var out bytes.Buffer
				if _, err := e.Stream(strings.NewReader(in), &out, p.format); err != nil || out.String() != string(got.Body) {
					t.Errorf("%s: %q streamed -> %q, %v; masked whole -> %q", p.name, in, out.String(), err, got.Body)
				}
			}
		}
	}
	left := []struct {
		words []string
		value string
	}{
		{[]string{"zip", "code"}, "94103"},
		{[]string{"postcode"}, "94103"},
		{[]string{"country", "code"}, "4412"},
		{[]string{"status", "code"}, "200"},
		{[]string{"error", "code"}, "E1234"},
		{[]string{"promo", "code"}, "SPRING2024"},
		{[]string{"code"}, "4821"},
		{[]string{"bypass"}, "Tr0ub4dor3"},
		{[]string{"compass"}, "Tr0ub4dor3"},
		{[]string{"pinned"}, "4821"},
		{[]string{"spin"}, "4821"},
		{[]string{"pin"}, "13"},
		{[]string{"cvv"}, "12"},
		{[]string{"otp", "enabled"}, "1234"},
		{[]string{"password", "hash", "algorithm"}, "bcrypt"},
		{[]string{"pw", "length"}, "12345"},
		{[]string{"cid"}, "image001"},
		{[]string{"content", "cid"}, "4821"},
	}
	for _, l := range left {
		for _, label := range labelSpellings(l.words) {
			for _, p := range places {
				in := p.write(label, l.value)
				if got := e.Mask([]byte(in), p.format); !bytes.Equal(got.Body, []byte(in)) {
					t.Errorf("%s: %q -> %q", p.name, in, got.Body)
				}
			}
		}
	}
}

// TestPasswordsThatStartLikeReferences: a value starting with '$', '{', '<', '%' or '[' was
// taken for a reference to a secret and left in clear whatever followed: "$uperS3cret!", a
// crypt hash ("$2b$12$…"), an LDAP one ("{SSHA}…"). A reference is now its whole shape (a
// variable, a substitution, a template's field, a format verb, a redaction).
func TestPasswordsThatStartLikeReferences(t *testing.T) {
	t.Parallel()
	maskedAs(t, mask.New(), mask.FormatText, [][2]string{
		{"password: $uperS3cret!", "password: [SECRET]"},
		{"password: {x}9kLm2", "password: [SECRET]"},
		{"password: <3kittens", "password: [SECRET]"},
		{"password: %zQ8!kLm", "password: [SECRET]"},
		{"password: [2]xY9kLm", "password: [SECRET]"},
		{"password_hash: $2b$12$KIXQJ9Hk8vQ3Yx1Lh5OeUeWq8Z5r3tN1m0pQ2sVb4cD6eF7gH8iJ0", "password_hash: [SECRET]"},
		{"userPassword: {SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g5XE5t", "userPassword: [SECRET]"},
		// References stay.
		{"password: ${DB_PASSWORD}", "password: ${DB_PASSWORD}"},
		{"password: $DB_PASSWORD", "password: $DB_PASSWORD"},
		{"password: $(cat /run/secrets/db)", "password: $(cat /run/secrets/db)"},
		{`password = "%s"`, `password = "%s"`},
		{`password = "%(pw)s"`, `password = "%(pw)s"`},
		{"password: %DB_PASS%", "password: %DB_PASS%"},
		{"password: <your-password>", "password: <your-password>"},
		{"password: {{ .Password }}", "password: {{ .Password }}"},
		{"password: [SECRET]", "password: [SECRET]"},
		{"password: ********", "password: ********"},
		{"password: ****1234", "password: ****1234"},
		{"password: *Tr0ub4dor3", "password: [SECRET]"},
	})
}

// TestXMLElementNames: an element whose name holds '_', '.' or a namespace prefix was no
// element, so the secret it held came back in clear: <db_password>, <smtp.pass>, SOAP's
// <wsse:Password>.
func TestXMLElementNames(t *testing.T) {
	t.Parallel()
	maskedAs(t, mask.New(), mask.FormatText, [][2]string{
		{"<db_password>Tr0ub4dor3</db_password>", "<db_password>[SECRET]</db_password>"},
		{"<smtp.pass>Tr0ub4dor3</smtp.pass>", "<smtp.pass>[SECRET]</smtp.pass>"},
		{"<_secret>q8Vr2kLm9pW4xT7bN3cZ</_secret>", "<_secret>[SECRET]</_secret>"},
		{`<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">Tr0ub4dor3</wsse:Password>`,
			`<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">[SECRET]</wsse:Password>`},
		{"<ns2:apiKey>q8Vr2kLm9pW4xT7bN3cZ</ns2:apiKey>", "<ns2:apiKey>[SECRET]</ns2:apiKey>"},
		// An address in brackets is no element, and a usage line's brackets hold no URL's
		// credentials.
		{"<john_doe@example.com>", "<[EMAIL]>"},
		{"curl -u <user:password> https://test.com/endpoint", "curl -u <user:password> https://test.com/endpoint"},
	})
}

// TestEscapedStopInAValue: a password holding a byte that ends a value, percent-encoded in a
// query ("password=Tr0ub4dor%263", '&' escaped), lost its tail to the decoded reading, which
// ended the value at the decoded '&' and wrote the rest back in clear ("…[SECRET]%263").
// Such a value is not left to that reading: nothing of it comes back.
func TestEscapedStopInAValue(t *testing.T) {
	t.Parallel()
	e := mask.New()
	for _, c := range []struct{ in, value string }{
		{"https://x.example/login?user=ada&password=Tr0ub4dor%263", "%263"},
		{"grant_type=password&username=ada&password=S3cr%26t%21&client_id=x", "t%21"},
		{"https://x.example/?e=ada%40example.com&password=p%26ss3&x=1", "ss3"},
		{"https://x.example/?token=abc%3Bdef12345678901234&x=1", "def1234"},
		{"https://x.example/?password=Tr0ub4dor%20x9&x=1", "x9"},
	} {
		got := e.Mask([]byte(c.in), mask.FormatText)
		if strings.Contains(string(got.Body), c.value) || got.Summary.Total() == 0 {
			t.Errorf("%q -> %q", c.in, got.Body)
		}
	}
	// A value whose escapes end nothing is masked in place, the query around it kept.
	maskedAs(t, e, mask.FormatText, [][2]string{
		{"https://x.example/?password=p%40ss%23w0rd%21&x=1", "https://x.example/?password=[SECRET]&x=1"},
		{"https://x.example/?password=Zf3D0LX%2Fabc&x=1", "https://x.example/?password=[SECRET]&x=1"},
	})
}

// TestJWTShapes: a JWT came back in clear when its signature was written with base64's '='
// padding ("…RG0==", as some libraries write it). A token whose header decodes to no JSON
// is left, as detect-secrets labels it (gitleaks labels one such a JWT: the two disagree,
// and a server takes no such token).
func TestJWTShapes(t *testing.T) {
	t.Parallel()
	const (
		header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
		claims = "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0"
		sig    = "a_5icKBDo-8EjUlrfvz2k2k-FYaindQ0DEYNrlsnRG0"
		bad    = "eyJhbGciOieeeiIsInR5cCI6IkpXVCJ9"
	)
	maskedAs(t, mask.New(), mask.FormatText, [][2]string{
		{header + "." + claims + "." + sig + "==", "[JWT]"},
		{header + "." + claims + "." + sig + "=", "[JWT]"},
		{"token: " + header + "." + claims + "." + sig + "==\nok", "token: [JWT]\nok"},
		{"Authorization: Bearer " + header + "." + claims + "." + sig + "==", "Authorization: Bearer [JWT]"},
		// Not tokens: a header alone, a header that is no JSON, base64 after the signature.
		{header, header},
		{bad + "." + claims + "." + sig, bad + "." + claims + "." + sig},
		{header + "." + claims + "." + sig + "==abc", header + "." + claims + "." + sig + "==abc"},
	})
}
