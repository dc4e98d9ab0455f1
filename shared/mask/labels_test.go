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
