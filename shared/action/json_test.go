package action

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
)

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"object", `{"a":1,"b":[1,2,{"c":null}]}`, true},
		{"repeated name", `{"amount":1,"amount":1000}`, false},
		{"repeated name nested", `{"a":{"x":1,"x":2}}`, false},
		{"repeated name in array", `[{"x":1},{"x":1,"x":1}]`, false},
		{"same name in siblings", `[{"x":1},{"x":2}]`, true},
		{"escaped repeated name", `{"amount":1,"\u0061mount":2}`, false},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", false},
		{"two values", `{} {}`, false},
		{"truncated", `{"a":`, false},
		{"too deep", strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1), false},
		{"deep enough", strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := CheckJSON([]byte(c.in))
			if c.ok && err != nil {
				t.Errorf("CheckJSON(%s): %v", c.in, err)
			}
			if !c.ok && !errors.Is(err, ErrJSON) {
				t.Errorf("CheckJSON(%s) = %v, want ErrJSON", c.in, err)
			}
		})
	}
}

// Numbers keep the text they were written with, from the request to the bytes sent.
func TestNumbersKeepTheirText(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"9007199254740993", "-0", "1.0", "1e400", "0.1000000000000000055511151231257827", "123456789012345678901234567890"} {
		raw := `{"n":` + n + `,"list":[` + n + `]}`
		v, err := Decode([]byte(raw))
		if err != nil {
			t.Fatalf("Decode(%s): %v", raw, err)
		}
		a, err := Parse(api.Action{Kind: api.KindHTTP, Target: "t", Method: "POST", Path: "/x", Body: v})
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(a.Body)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"list":[` + n + `],"n":` + n + `}`; string(got) != want {
			t.Errorf("body %s became %s, want %s", raw, got, want)
		}
	}
}

func TestCanonicalJSON(t *testing.T) {
	t.Parallel()
	v, err := Decode([]byte(`{"b":"x\u0000<>&\u2028","a":[true,false,null,1.50],"é":{"z":1,"Z":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := CanonicalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"a\":[true,false,null,1.50],\"b\":\"x\\u0000<>&\u2028\",\"é\":{\"Z\":2,\"z\":1}}"
	if string(got) != want {
		t.Errorf("CanonicalJSON = %s\nwant            %s", got, want)
	}
	if _, err := CanonicalJSON(map[string]any{"n": json.Number("01")}); !errors.Is(err, ErrJSON) {
		t.Errorf("a number that is not JSON: %v", err)
	}
}

// Two actions that differ only in the spelling of their path, query order or number text
// that a target reads alike have one digest; a different number has another.
func TestDigestFollowsTheCanonicalForm(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	digest := func(path, body string) string {
		t.Helper()
		var b any
		if body != "" {
			var err error
			if b, err = Decode([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		a, err := Parse(api.Action{Kind: api.KindHTTP, Target: "crm", Method: "POST", Path: path, Body: b})
		if err != nil {
			t.Fatal(err)
		}
		d, err := a.Digest(key, "action")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := digest("/customers?a=1&b=2", `{"x":9007199254740993,"y":"z"}`)
	if d := digest("/%63ustomers?b=2&a=%31", `{"y":"z","x":9007199254740993}`); d != base {
		t.Errorf("a spelling of the same action has another digest")
	}
	if d := digest("/customers?a=1&b=2", `{"x":9007199254740992,"y":"z"}`); d == base {
		t.Errorf("another number has the same digest")
	}
	if d := digest("/customers?a=1&b=3", `{"x":9007199254740993,"y":"z"}`); d == base {
		t.Errorf("another query has the same digest")
	}
	a, _ := Parse(api.Action{Kind: api.KindHTTP, Target: "crm", Method: "GET", Path: "/c"})
	k1, _ := a.Digest(key, "action")
	k2, _ := a.Digest([]byte("another key of thirty-two bytes!"), "action")
	d1, _ := a.Digest(key, "approval:ses_1")
	if k1 == k2 || k1 == d1 {
		t.Errorf("digests do not depend on the key and domain")
	}
}

func TestParseRefusesFieldsOfOtherKinds(t *testing.T) {
	t.Parallel()
	for _, a := range []api.Action{
		{Kind: api.KindHTTP, Target: "t", Method: "GET", Path: "/x", Statement: "DROP TABLE x"},
		{Kind: api.KindHTTP, Target: "t", Method: "GET", Path: "/x", Params: map[string]any{"a": 1}},
		{Kind: api.KindHTTP, Target: "t", Method: "get", Path: "/x"},
		{Kind: api.KindAWS, Target: "t", Service: "dynamodb", Operation: "GetItem", Resource: "arn:x", Path: "/x"},
		{Kind: api.KindSQL, Target: "t", Statement: "SELECT 1", Path: "/x"},
	} {
		if _, err := Parse(a); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%+v) = %v, want ErrInvalid", a, err)
		}
	}
}

func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `[1,[2,{"b":"c"}]]`, `9007199254740993`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Decode(raw)
		if err != nil {
			if !errors.Is(err, ErrJSON) {
				t.Fatalf("Decode: %v is not ErrJSON", err)
			}
			return
		}
		c, err := CanonicalJSON(v)
		if err != nil {
			t.Fatalf("CanonicalJSON of an accepted document: %v", err)
		}
		// The canonical bytes are accepted again and are a fixed point.
		v2, err := Decode(c)
		if err != nil {
			t.Fatalf("canonical bytes %s refused: %v", c, err)
		}
		c2, err := CanonicalJSON(v2)
		if err != nil || string(c2) != string(c) {
			t.Fatalf("not a fixed point: %s then %s (%v)", c, c2, err)
		}
	})
}
