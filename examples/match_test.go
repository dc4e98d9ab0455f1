package examples_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// How the README shows an answer: `# -> 201 {...}` (a status code, when the command prints
// one, then JSON) or `# -> text`. In JSON, `...` stands for what varies: `{...}` any object,
// `"x...` a string starting with x, `, ...` more members or elements, `:...` any value. The
// answer must hold every member shown, with the values shown; arrays hold each element shown.
// In text, the pieces between `...` appear in that order, spaces and tabs compared as one.

var (
	status      = regexp.MustCompile(`^(\d{3}) `)
	anyObject   = regexp.MustCompile(`\{\s*\.\.\.\s*\}`)
	anyArray    = regexp.MustCompile(`\[\s*\.\.\.\s*\]`)
	anyValue    = regexp.MustCompile(`:\s*\.\.\.`)
	moreMembers = regexp.MustCompile(`,\s*\.\.\.`)
	spaces      = regexp.MustCompile(`[ \t]+`)
)

func matches(exp, out string) error {
	if m := status.FindStringSubmatch(exp); m != nil {
		if !strings.HasPrefix(out, m[1]+" ") {
			return fmt.Errorf("want status %s first", m[1])
		}
		exp, out = exp[len(m[0]):], out[len(m[0]):]
	}
	js := anyObject.ReplaceAllString(exp, "null")
	js = anyArray.ReplaceAllString(js, "null")
	js = anyValue.ReplaceAllString(js, ":null")
	js = moreMembers.ReplaceAllString(js, "")
	var want any
	if strings.HasPrefix(strings.TrimSpace(exp), "{") {
		if err := json.Unmarshal([]byte(js), &want); err != nil {
			return fmt.Errorf("the README's answer is not JSON with ...: %v (%s)", err, js)
		}
		var last error = fmt.Errorf("no JSON in the answer")
		for _, raw := range jsonValues(out) {
			var got any
			if err := json.Unmarshal(raw, &got); err != nil {
				continue
			}
			if last = subset("", want, got); last == nil {
				return nil
			}
		}
		return last
	}
	text := spaces.ReplaceAllString(out, " ")
	at := 0
	for _, piece := range strings.Split(spaces.ReplaceAllString(exp, " "), "...") {
		for _, line := range strings.Split(piece, "\n") {
			line = strings.TrimSpace(line)
			i := strings.Index(text[at:], line)
			if i < 0 {
				return fmt.Errorf("%q is not in the answer (after byte %d)", line, at)
			}
			at += i + len(line)
		}
	}
	return nil
}

// jsonValues splits output into its JSON values (one, or one per line).
func jsonValues(out string) []json.RawMessage {
	var vals []json.RawMessage
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return vals
		}
		vals = append(vals, v)
	}
}

func subset(path string, want, got any) error {
	switch w := want.(type) {
	case nil:
		return nil
	case string:
		g, ok := got.(string)
		if prefix, cut := strings.CutSuffix(w, "..."); cut && ok && strings.HasPrefix(g, prefix) {
			return nil
		}
		if !ok || g != w {
			return fmt.Errorf("%s: %v, README shows %q", path, got, w)
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %v, README shows an object", path, got)
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s.%s: missing", path, k)
			}
			if err := subset(path+"."+k, v, gv); err != nil {
				return err
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Errorf("%s: %v, README shows an array", path, got)
		}
		for i, v := range w {
			var found bool
			for _, gv := range g {
				if subset("", v, gv) == nil {
					found = true
					break
				}
			}
			if !found {
				return fmt.Errorf("%s[%d]: no element like %v", path, i, v)
			}
		}
	default:
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(got)
		if !bytes.Equal(wj, gj) {
			return fmt.Errorf("%s: %s, README shows %s", path, gj, wj)
		}
	}
	return nil
}

// TestMatches: the matcher can fail, and reads the README's notation as documented above.
func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		exp, out string
		ok       bool
	}{
		{`{"verdict":"allow","record":{"seq":3,...}}`, `{"verdict":"allow","record":{"seq":3,"hash":"ab"},"x":1}`, true},
		{`{"verdict":"allow","record":{"seq":3,...}}`, `{"verdict":"allow","record":{"seq":2,"hash":"ab"}}`, false},
		{`{"verdict":"allow"}`, `{"verdict":"deny"}`, false},
		{`{"session_id":"ses_...","expires_at":...}`, `{"session_id":"ses_abc","expires_at":"2026"}`, true},
		{`{"session_id":"ses_...","expires_at":...}`, `{"session_id":"ses_abc"}`, false},
		{`{"session_id":"ses_..."}`, `{"session_id":"sez_abc"}`, false},
		{`{"intents":[{"name":"a",...}],...}`, `{"intents":[{"name":"b"},{"name":"a","score":1}]}`, true},
		{`{"intents":[{"name":"a",...}],...}`, `{"intents":[{"name":"b"}]}`, false},
		{`{"c":{"d":{...},"e":"..."}}`, `{"c":{"d":{"x":1},"e":"t"}}`, true},
		{`201 {"a":1}`, `201 {"a":1}`, true},
		{`201 {"a":1}`, `403 {"a":1}`, false},
		{`{"n":...,"type":"decision"}`, "{\"n\":1,\"type\":\"kill\"}\n{\"n\":2,\"type\":\"decision\"}", true},
		{"intact: ... chains, ... records in the store", "intact: 3 chains, 26 records in the store", true},
		{"intact: ... chains, ... records in the store", "broken: 3 chains", false},
		{"operator\tdecision\n   ada@example.com\tallow\t...", "operator\tdecision\tactions\nada@example.com\tallow\t2", true},
		{"operator\tdecision\n   ada@example.com\tallow\t...", "operator\tdecision\tactions\nada@example.com\tdeny\t2", false},
	} {
		if err := matches(tc.exp, tc.out); (err == nil) != tc.ok {
			t.Errorf("matches(%q, %q) = %v, want ok=%v", tc.exp, tc.out, err, tc.ok)
		}
	}
}
