package archive

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestValidJSONAgreesWithEncodingJSON: the line reader's validity check is json.Valid's, on
// every kind of value, every escape, numbers at their edges, white space, and nesting at
// encoding/json's depth limit and one past it.
func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	cases := []string{
		``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `01`, `-`, `1.`, `.1`, `1e`, `1e+`, `1E-2`, `-1.5e300`, `1.0e01`,
		`true`, `tru`, `truex`, `false`, `null`, `nul`, `"a\"b"`, `"\u00e9"`, `"\u00g9"`, `"\u12"`, `"\x"`, `"\/"`,
		"\"tab\there\"", "\"\xff\xfe\"", `"unterminated`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":1 "b":2}`, `{1:2}`,
		`[1 2]`, ` {"a" : [ 1 , { "b" : null } ] } `, "{\"a\":1}\n", "\t[]\r\n", `{} {}`, `[]]`, `[[]`, `{"a":{"b":{}}}`,
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
		strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth),
		strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1),
	}
	for _, c := range cases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%.60q) = %v, json.Valid says %v", c, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\u00e9",true,false,null,{}]}`, `[`, `"\`, `-01`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}
