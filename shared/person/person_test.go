package person

import (
	"errors"
	"testing"
)

func TestSpellingsOfOneName(t *testing.T) {
	t.Parallel()
	d, err := New([]Person{
		{ID: "ada@example.com", Aliases: []string{"ada.lovelace@example.com"}, IAM: []string{"arn:aws:iam::1:user/ada"}, OIDC: []Subject{{"https://login.example.com", "00u1ada"}}},
		{ID: "grace@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ada@example.com", "Ada@example.com", "ADA@EXAMPLE.COM", " ada@example.com ", "ada@example.com\t", "ａｄａ@example.com", "Ada.Lovelace@Example.com", "ada@exam\u200Bple.com"[0:0] + "ada@example.com"} {
		if id, ok := d.ByName(name); !ok || id != "ada@example.com" {
			t.Errorf("ByName(%q) = %q, %v; want ada", name, id, ok)
		}
	}
	for _, name := range []string{"аda@example.com" /* Cyrillic а */, "ada@example.co", "", "grace"} {
		if id, ok := d.ByName(name); ok {
			t.Errorf("ByName(%q) = %q; want nobody", name, id)
		}
	}
	if id, ok := d.ByOIDC("https://login.example.com", "00u1ada"); !ok || id != "ada@example.com" {
		t.Errorf("ByOIDC = %q %v", id, ok)
	}
	if _, ok := d.ByOIDC("https://evil.example.com", "00u1ada"); ok {
		t.Errorf("another issuer's subject resolved")
	}
	if id, ok := d.ByIAM("arn:aws:iam::1:user/ada"); !ok || id != "ada@example.com" {
		t.Errorf("ByIAM = %q %v", id, ok)
	}
}

func TestDirectoryRefusesSharedIdentities(t *testing.T) {
	t.Parallel()
	for name, people := range map[string][]Person{
		"alias":   {{ID: "ada@example.com", Aliases: []string{"boss@example.com"}}, {ID: "grace@example.com", Aliases: []string{"Boss@Example.com"}}},
		"id":      {{ID: "ada@example.com"}, {ID: "grace@example.com", Aliases: []string{"ADA@example.com"}}},
		"iam":     {{ID: "a", IAM: []string{"arn:x"}}, {ID: "b", IAM: []string{"arn:x"}}},
		"oidc":    {{ID: "a", OIDC: []Subject{{"i", "s"}}}, {ID: "b", OIDC: []Subject{{"i", "s"}}}},
		"no id":   {{ID: "  "}},
		"no subj": {{ID: "a", OIDC: []Subject{{"i", ""}}}},
	} {
		if _, err := New(people); !errors.Is(err, ErrDirectory) {
			t.Errorf("%s: New = %v, want ErrDirectory", name, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Ada@Example.com", " a  b ", "ﬁ", "\u212A", "ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("Normalize(%q) = %q is not a fixed point (%q)", s, n, Normalize(n))
		}
	})
}

// FuzzParse: any upload either is refused with ErrDirectory or gives a directory in which
// every id resolves to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"- {id: a@x}\n", "- {id: a, aliases: [b]}\n- {id: b}\n", "[]", "- {id: a, oidc: [{issuer: i, subject: s}]}", "{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrDirectory) {
				t.Fatalf("Parse: %v is not ErrDirectory", err)
			}
			return
		}
		for id := range d.people {
			if got, ok := d.ByName(id); !ok || got != id {
				t.Fatalf("id %q resolves to %q, %v", id, got, ok)
			}
		}
	})
}
