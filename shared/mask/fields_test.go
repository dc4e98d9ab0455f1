package mask_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/mandate-dev/mandate/shared/mask"
)

// fieldSpellings are the ways a field's name can be written that name the same field: in
// any case, with its words joined by '_', '-', '.', a space or a case change, in fullwidth or
// mathematical letters, with a Cyrillic letter drawn as its Latin one, with an invisible
// character or a combining mark inside it. (A letter escaped in JSON is tried apart.)
func fieldSpellings(words []string) map[string]string {
	title := func(w string) string { return strings.ToUpper(w[:1]) + w[1:] }
	join := func(sep string, f func(int, string) string) string {
		out := make([]string, len(words))
		for i, w := range words {
			out[i] = f(i, w)
		}
		return strings.Join(out, sep)
	}
	snake := strings.Join(words, "_")
	fullwidth := strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r + 0xFEE0
		}
		return r
	}, snake)
	return map[string]string{
		"snake":          snake,
		"upper":          strings.ToUpper(snake),
		"camel":          join("", func(i int, w string) string { return map[bool]string{true: w, false: title(w)}[i == 0] }),
		"pascal":         join("", func(_ int, w string) string { return title(w) }),
		"kebab":          strings.Join(words, "-"),
		"train":          join("-", func(_ int, w string) string { return title(w) }),
		"dotted":         strings.Join(words, "."),
		"spaced":         strings.Join(words, " "),
		"joined":         strings.Join(words, ""),
		"fullwidth":      fullwidth,
		"zero width":     snake[:1] + "\u200b" + snake[1:],
		"soft hyphen":    snake[:2] + "\u00ad" + snake[2:],
		"word joiner":    snake + "\u2060",
		"combining mark": snake[:1] + "\u0301" + snake[1:],
		"homoglyph":      homoglyph(snake),
		"bold":           strings.Map(func(r rune) rune { return map[bool]rune{true: r - 'a' + 0x1D41A, false: r}[r >= 'a' && r <= 'z'] }, snake),
		"mixed case":     strings.Map(func(r rune) rune { return map[bool]rune{true: unicode.ToUpper(r), false: r}[r%2 == 0] }, snake),
	}
}

// homoglyph writes the first letter of s that Cyrillic draws alike in Cyrillic.
func homoglyph(s string) string {
	for i, r := range s {
		if c, ok := map[rune]string{'a': "а", 'e': "е", 'o': "о", 'p': "р", 'c': "с", 's': "ѕ", 'i': "і"}[r]; ok {
			return s[:i] + c + s[i+1:]
		}
	}
	return s // none to write
}

// TestFieldNameSpellings: a profile's fields are masked whole whatever they hold, and a field
// came back in clear when its key was spelled otherwise than the profile's list:
// {"dateOfBirth": …} under date_of_birth, {"Pass_Word": "ab"}, {"ｐａｓｓｗｏｒｄ": "ab"},
// {"pass\u200bword": "ab"}. A field's name is compared in one canonical form, its letters and
// digits folded as values are, so every spelling of it names it, in JSON (whole and
// streamed), in NDJSON and in a CSV header; names that only hold a field's ("pinned",
// "passwords", "password2") are not it.
func TestFieldNameSpellings(t *testing.T) {
	t.Parallel()
	fields := [][]string{{"password"}, {"date", "of", "birth"}, {"client", "secret"}, {"pin"}, {"ssn"}}
	var names []string
	for _, f := range fields {
		names = append(names, strings.Join(f, "_"))
	}
	e := mask.New(mask.WithFields(names...))
	const value = "ab" // what no detector reads: only the field masks it
	check := func(t *testing.T, in, want string, f mask.Format) {
		t.Helper()
		got := e.Mask([]byte(in), f)
		if string(got.Body) != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got.Body, want)
		}
		var out bytes.Buffer
		if _, err := e.Stream(strings.NewReader(in), &out, f); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("Stream(%q) = %q, want %q", in, out.String(), want)
		}
	}
	for _, f := range fields {
		for how, key := range fieldSpellings(f) {
			t.Run(strings.Join(f, "_")+"/"+how, func(t *testing.T) {
				t.Parallel()
				k := jsonString(key)
				check(t, `{`+k+`:"`+value+`","note":"`+value+`"}`, `{`+k+`:"[REDACTED]","note":"`+value+`"}`, mask.FormatJSON)
				check(t, `{"a":{`+k+`:[1,{"x":2}]}}`+"\n"+`{`+k+`:7}`+"\n", `{"a":{`+k+`:"[REDACTED]"}}`+"\n"+`{`+k+`:"[REDACTED]"}`+"\n", mask.FormatNDJSON)
				if !strings.ContainsAny(key, " ,") {
					check(t, "id,"+key+",note\n1,"+value+","+value+"\n", "id,"+key+",note\n1,[REDACTED],"+value+"\n", mask.FormatCSV)
				}
			})
		}
		// One letter escaped in JSON is the same key.
		snake := strings.Join(f, "_")
		esc := fmt.Sprintf(`\u%04x`, snake[1]) // the second letter
		in := `{"` + snake[:1] + esc + snake[2:] + `":"` + value + `"}`
		check(t, in, `{"`+snake[:1]+esc+snake[2:]+`":"[REDACTED]"}`, mask.FormatJSON)
	}
	// Names that hold a field's name and are another field.
	for _, key := range []string{"pinned", "spin", "passwords", "password2", "password_hint", "dob_year", "secret_name", "client", "ssns"} {
		in := `{"` + key + `":"` + value + `"}`
		check(t, in, in, mask.FormatJSON)
	}
}

// TestBuiltinProfileFields: every field of every built-in profile is masked in each of its
// spellings, and a card's security code under its other names (cvv2, cvc2, security code)
// is one of them.
func TestBuiltinProfileFields(t *testing.T) {
	t.Parallel()
	profiles, err := mask.ParseProfiles(mask.BuiltinProfiles())
	if err != nil {
		t.Fatal(err)
	}
	c, err := mask.NewCatalog(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		e, err := c.Engine(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(p.Fields, "cvv2") || !slices.Contains(p.Fields, "security_code") {
			t.Errorf("%s: a card's security code is not masked under cvv2 and security_code: %v", p.Name, p.Fields)
		}
		for _, f := range p.Fields {
			for how, key := range fieldSpellings(strings.Split(f, "_")) {
				in := `{` + jsonString(key) + `:"7"}`
				if got := e.Mask([]byte(in), mask.FormatJSON); bytes.Contains(got.Body, []byte(`"7"`)) {
					t.Errorf("%s: field %s spelled %s: %s", p.Name, f, how, got.Body)
				}
			}
		}
	}
}
