package mask_test

import (
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
