package mask_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/mask"
)

func TestJSON(t *testing.T) {
	t.Parallel()
	plain := mask.New()
	named := mask.New(mask.WithFields("password", "SSN"))
	cases := []struct {
		name string
		eng  *mask.Engine
		in   string
		want string
		sum  mask.Summary
	}{
		{"values in keys are masked", plain, `{"bob@example.com":"bob@example.com","name":1}`, `{"[EMAIL]":"[EMAIL]","name":1}`, mask.Summary{mask.Email: 2}},
		{"escaped value in a key", plain, `{"bob\u0040example.com":1}`, `{"[EMAIL]":1}`, one(mask.Email)},
		{"nested objects and arrays", plain,
			`{"customers":[{"contact":{"emails":["a@x.org","b@y.org"],"note":"none"}},{"id":7}]}`,
			`{"customers":[{"contact":{"emails":["[EMAIL]","[EMAIL]"],"note":"none"}},{"id":7}]}`, mask.Summary{mask.Email: 2}},
		{"card stored as a number", plain, `{"card":4111111111111111}`, `{"card":"[CARD]"}`, one(mask.Card)},
		{"card number under any key", plain, `[4111111111111111, 4111111111111112]`, `["[CARD]", 4111111111111112]`, one(mask.Card)},
		{"ssn number under an ssn key", plain, `{"ssn":123456789,"id":123456789}`, `{"ssn":"[SSN]","id":123456789}`, one(mask.SSN)},
		{"phone number under a phone key", plain, `{"phone":4155550132,"ts":4155550132}`, `{"phone":"[PHONE]","ts":4155550132}`, one(mask.Phone)},
		{"array inherits the key", plain, `{"phones":["4155550132","+14155550133"]}`, `{"phones":["[PHONE]","[PHONE]"]}`, mask.Summary{mask.Phone: 2}},
		{"camelCase labels", plain, `{"homePhone":"4155550132","socialSecurityNumber":"123456789"}`, `{"homePhone":"[PHONE]","socialSecurityNumber":"[SSN]"}`, mask.Summary{mask.Phone: 1, mask.SSN: 1}},
		{"snake_case label", plain, `{"social_security_number":"123 45 6789"}`, `{"social_security_number":"[SSN]"}`, one(mask.SSN)},
		{"escapes kept around a match", plain, `{"note":"line1\nbob@example.com\tx"}`, `{"note":"line1\n[EMAIL]\tx"}`, one(mask.Email)},
		{"escaped at sign", plain, `{"e":"bob\u0040example.com"}`, `{"e":"[EMAIL]"}`, one(mask.Email)},
		{"escaped digit", plain, `{"c":"\u0034111111111111111"}`, `{"c":"[CARD]"}`, one(mask.Card)},
		{"escaped quotes around", plain, `{"e":"\"bob@example.com\""}`, `{"e":"\"[EMAIL]\""}`, one(mask.Email)},
		{"unicode escapes around", plain, `{"n":"\u00e9 4111111111111111 \ud83d\ude00"}`, `{"n":"\u00e9 [CARD] \ud83d\ude00"}`, one(mask.Card)},
		{"raw utf-8 around", plain, `{"n":"électricité: 415-555-0132 ☎"}`, `{"n":"électricité: [PHONE] ☎"}`, one(mask.Phone)},
		{"whitespace kept", plain, "{\n  \"a\" : [ \"bob@example.com\" ,\n 1 ]\n}\n", "{\n  \"a\" : [ \"[EMAIL]\" ,\n 1 ]\n}\n", one(mask.Email)},
		{"top-level string", plain, `"call 415-555-0132"`, `"call [PHONE]"`, one(mask.Phone)},
		{"top-level number", plain, `4111111111111111`, `"[CARD]"`, one(mask.Card)},
		// A number with a sign, a fraction or an exponent is the integer a reader parses when
		// it is one, as a float column serialises (Python writes "4111111111111111.0").
		{"signed and fractional numbers", plain, `{"a":-4111111111111111,"b":4111111111111111.0,"c":4.111111111111111e15,"d":411111111111111100e-2}`, `{"a":"[CARD]","b":"[CARD]","c":"[CARD]","d":"[CARD]"}`, mask.Summary{mask.Card: 4}},
		{"fractions", plain, `{"a":4111111111111111.5,"b":1.5e3,"c":-12.25,"d":4111111111111111e1,"e":0.0}`, `{"a":4111111111111111.5,"b":1.5e3,"c":-12.25,"d":4111111111111111e1,"e":0.0}`, mask.Summary{}},
		{"an SSN that lost its leading zero", plain, `{"ssn":78051120,"SSN":7.805112e7,"id":78051120}`, `{"ssn":"[SSN]","SSN":"[SSN]","id":78051120}`, mask.Summary{mask.SSN: 2}},
		{"literals", plain, `{"a":true,"b":false,"c":null,"d":[]}`, `{"a":true,"b":false,"c":null,"d":[]}`, mask.Summary{}},
		{"dates ids and versions", plain, `{"at":"2024-01-15T10:30:00Z","order":"ORD-2024-000123","v":"1.2.3","zip":"94103-1234"}`,
			`{"at":"2024-01-15T10:30:00Z","order":"ORD-2024-000123","v":"1.2.3","zip":"94103-1234"}`, mask.Summary{}},
		{"named fields", named, `{"password":"hunter2","Password":{"x":[1,"a@b.co"]},"user":{"ssn":null},"note":"a@b.co"}`,
			`{"password":"[REDACTED]","Password":"[REDACTED]","user":{"ssn":"[REDACTED]"},"note":"[EMAIL]"}`, mask.Summary{mask.Field: 3, mask.Email: 1}},
		{"named field with an escaped key", named, `{"pass\u0077ord":12}`, `{"pass\u0077ord":"[REDACTED]"}`, one(mask.Field)},
		{"named field in an array of objects", named, `[{"password":"a"},{"password":"b"}]`, `[{"password":"[REDACTED]"},{"password":"[REDACTED]"}]`, mask.Summary{mask.Field: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, sum, err := tc.eng.JSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("JSON: %v", err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.sum, sum); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if err := sameShape([]byte(tc.in), got, tc.eng == named); err != nil {
				t.Error(err)
			}
			applied, _ := tc.eng.Apply([]byte(tc.in))
			if !bytes.Equal(applied, got) {
				t.Errorf("Apply = %s, JSON = %s", applied, got)
			}
		})
	}
}

// redactions are the strings a masked value may contain.
var redactions = []string{"[EMAIL]", "[CARD]", "[SSN]", "[PHONE]", "[IP]", "[IBAN]", "[DOB]", "[SECRET]", "[JWT]", "[REDACTED]", "tok_"}

// sameShape checks, with encoding/json, that out is valid JSON with the same keys in the same
// order as in, and equal to in except for values that became strings holding a redaction.
// Keys inside a value replaced whole (a named field) are not compared when named is set.
func sameShape(in, out []byte, named bool) error {
	if !json.Valid(out) {
		return fmt.Errorf("output is not valid JSON: %s", out)
	}
	kin := keys(in)
	for i, k := range kin {
		kin[i] = maskedKey(k)
	}
	if kout := keys(out); !named && !cmp.Equal(kin, kout) {
		return fmt.Errorf("keys changed (-in +out):\n%s", cmp.Diff(kin, kout))
	}
	var a, b any
	for _, x := range []struct {
		src []byte
		v   *any
	}{{in, &a}, {out, &b}} {
		d := json.NewDecoder(bytes.NewReader(x.src))
		d.UseNumber()
		if err := d.Decode(x.v); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
	}
	return equalButMasked("$", a, b)
}

func equalButMasked(path string, a, b any) error {
	if s, ok := b.(string); ok && !cmp.Equal(a, b) {
		for _, r := range redactions {
			if strings.Contains(s, r) {
				if s == "[REDACTED]" {
					return nil // a named field: any value may become the redaction
				}
				if _, isString := a.(string); isString {
					return nil
				}
				if _, isNumber := a.(json.Number); isNumber && s == r {
					return nil
				}
			}
		}
		return fmt.Errorf("%s: %v became %q", path, a, s)
	}
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(bm) != len(a) {
			return fmt.Errorf("%s: object became %T", path, b)
		}
		for k, v := range a {
			if err := equalButMasked(path+"."+k, v, bm[maskedKey(k)]); err != nil {
				return err
			}
		}
	case []any:
		bs, ok := b.([]any)
		if !ok || len(bs) != len(a) {
			return fmt.Errorf("%s: array became %T", path, b)
		}
		for i := range a {
			if err := equalButMasked(fmt.Sprintf("%s[%d]", path, i), a[i], bs[i]); err != nil {
				return err
			}
		}
	default:
		if !cmp.Equal(a, b) {
			return fmt.Errorf("%s: %v became %v", path, a, b)
		}
	}
	return nil
}

// maskedKey is what a key becomes: keys change only where they hold a value a detector
// finds, as text does.
func maskedKey(k string) string {
	if len(k) < 6 {
		return k
	}
	out, _ := mask.New().Text([]byte(k))
	return string(out)
}

// keys lists the object keys of a JSON document in document order.
func keys(doc []byte) []string {
	type frame struct{ obj, wantKey bool }
	d := json.NewDecoder(bytes.NewReader(doc))
	var out []string
	var stack []frame
	afterValue := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				out = append(out, k)
				stack[n-1].wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{obj: true, wantKey: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			afterValue()
		default:
			afterValue()
		}
	}
}

func TestKeysHelper(t *testing.T) {
	t.Parallel()
	got := keys([]byte(`{"a":{"b":1},"c":[{"d":"x"},2],"e":"f"}`))
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, got); diff != "" {
		t.Fatalf("keys (-want +got):\n%s", diff)
	}
}
