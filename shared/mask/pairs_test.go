package mask_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/mask"
)

// TestNameValuePairs: a secret whose name is a sibling's value came back in clear, as
// Kubernetes' and ECS's environment lists, CloudFormation's parameters, Azure's app settings
// and .NET's and Spring's configuration write it: {"name":"DB_PASSWORD","value":"…"},
// "- name: DB_PASSWORD\n  value: …", <add key="DbPassword" value="…"/>. The value of such a
// pair is judged under the name it is given, in JSON (whole and streamed), in YAML written as
// text and in a tag's attributes; a pair whose name is no credential's is left.
func TestNameValuePairs(t *testing.T) {
	t.Parallel()
	const pw = "Tr0ub4dor3"
	e := mask.New()
	masked := []string{
		`{"env":[{"name":"DB_PASSWORD","value":"` + pw + `"}]}`,
		`{"env":[{"name":"DB_PASSWORD","valueFrom":null},{"name":"SMTP_PASS","value":"` + pw + `"}]}`,
		`{"Name":"API_KEY","Value":"q8Vr2kLm9pW4xT7bN3cZ` + pw + `"}`,
		`{"ParameterKey":"DbPassword","ParameterValue":"` + pw + `"}`,
		`{"key":"password","value":"` + pw + `"}`,
		`[{"Key":"SMTP_PASS","Value":"` + pw + `"}]`,
		`{"name":"db_pin","value":4821}`,
		`{"name":"DB_PASSWORD","type":"String","value":"` + pw + `"}`,
		"env:\n- name: DB_PASSWORD\n  value: " + pw + "\n- name: X\n  value: y\n",
		"env:\n  - name: DB_PASSWORD\n    value: \"" + pw + "\"\n",
		`<add key="DbPassword" value="` + pw + `"/>`,
		`<property name="password" value="` + pw + `"/>`,
		`<input type="password" name="pw" value="` + pw + `">`,
		`<param name="api_key" value="q8Vr2kLm9pW4xT7bN3cZ` + pw + `" />`,
	}
	for _, in := range masked {
		got := e.Mask([]byte(in), mask.FormatAuto)
		if strings.Contains(string(got.Body), pw) {
			t.Errorf("%q -> %q", in, got.Body)
		}
		var out bytes.Buffer
		if _, err := e.Stream(strings.NewReader(in), &out, mask.FormatAuto); err != nil || out.String() != string(got.Body) {
			t.Errorf("%q streamed -> %q, %v; masked whole -> %q", in, out.String(), err, got.Body)
		}
	}
	left := []string{
		`{"env":[{"name":"LOG_LEVEL","value":"Tr0ub4dor3"}]}`,
		`{"name":"DB_PASSWORD","value":"${DB_PASSWORD}"}`,
		`{"name":"DB_PASSWORD_FILE","value":"/run/secrets/db"}`,
		`{"name":"ada","value":"Tr0ub4dor3","password":null}`,
		"- name: LOG_LEVEL\n  value: debug\n",
		`<add key="Theme" value="Tr0ub4dor3"/>`,
		`<input type="text" name="user" value="Tr0ub4dor3">`,
		// A form's CSRF token (Rails names it authenticity_token) is a handle, no credential.
		`<input type="hidden" name="authenticity_token" value="7SWa-Fo1_hsC6oovfBsJFLGPUl2EhkSWPbJhWANwgaJWBDl1vxd9VNqXTNAefsJqzIRYaZEfYZLffa31rw8zJA" />`,
	}
	for _, in := range left {
		if got := e.Mask([]byte(in), mask.FormatAuto); string(got.Body) != in {
			t.Errorf("%q -> %q", in, got.Body)
		}
	}
}
