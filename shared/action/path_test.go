package action

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Each class of spelling: every member is either refused or becomes the canonical twin.
func TestParsePathSpellings(t *testing.T) {
	t.Parallel()
	type want struct {
		path, query string // canonical; refused when both are "-"
	}
	refused := want{"-", "-"}
	cases := []struct {
		class string
		in    []string
		want  want
	}{
		{"plain", []string{"/admin/users"}, want{"/admin/users", ""}},
		{"encoded unreserved", []string{"/%61dmin/users", "/adm%69n/users", "/%61%64%6D%69%6E/%75sers", "/%61%64%6d%69%6e/users"}, want{"/admin/users", ""}},
		{"empty query", []string{"/admin/users?", "/admin/users?&", "/admin/users?&&"}, want{"/admin/users", ""}},
		{"doubled slash", []string{"//admin/users", "/admin//users", "/admin/users/", "/admin///users"}, refused},
		{"encoded slash", []string{"/admin%2fusers", "/admin%2Fusers", "/%2fadmin/users", "/admin%252fusers"}, refused},
		{"backslash", []string{"/admin\\users", "/admin%5cusers", "/admin%5Cusers", "/x/..%5cadmin/users"}, refused},
		{"dot segments", []string{"/x/../admin/users", "/./admin/users", "/x/%2e%2e/admin/users", "/x/%2E%2E/admin/users", "/x/.%2e/admin/users", "/admin/users/.", "/admin/users/.."}, refused},
		{"path parameters", []string{"/admin;x=1/users", "/admin/users;jsessionid=1", "/admin%3b/users", "/admin%3B/users"}, refused},
		{"double encoding", []string{"/%2561dmin/users", "/admin%2525/users", "/%25"}, refused},
		{"NUL and controls", []string{"/admin%00/users", "/admin\x00/users", "/admin%0a/users", "/admin%0D/users", "/admin%7f/users", "/admin\t/users", "/admin%c2%85/users"}, refused},
		{"fragment", []string{"/admin/users#x", "/admin/users?a=1#x"}, refused},
		{"malformed escapes", []string{"/admin%/users", "/admin%zz/users", "/admin%4/users", "/admin/users?a=%g1"}, refused},
		{"invalid UTF-8", []string{"/admin%ff/users", "/admin%c0%af/users", "/admin/users?a=%ff"}, refused},
		{"look-alikes NFKC", []string{"/ａdmin/users", "/%EF%BD%81dmin/users", "/admin/user\u017f", "/\u212Aelvin", "/admin/users?role=ａdmin"}, refused},
		{"not rooted", []string{"admin/users", "", "?a=1", "http://evil/admin"}, refused},
		{"sorted query", []string{"/customers?page=1&limit=5", "/customers?limit=5&page=1", "/customers?limit=%35&page=%31", "/customers?&limit=5&&page=1&"}, want{"/customers", "limit=5&page=1"}},
		{"query spaces and plus", []string{"/s?q=a+b", "/s?q=a%20b", "/s?q=a%20b"}, want{"/s", "q=a%20b"}},
		{"query literal plus", []string{"/s?q=a%2Bb", "/s?q=a%2bb"}, want{"/s", "q=a%2Bb"}},
		{"query no value", []string{"/s?flag", "/s?flag="}, want{"/s", "flag="}},
		{"query repeated names keep order", []string{"/s?a=2&b=1&a=1", "/s?b=1&a=2&a=1"}, want{"/s", "a=2&a=1&b=1"}},
		{"query semicolon is a value", []string{"/s?a=1;b=2", "/s?a=1%3Bb=2", "/s?a=1%3bb%3D2"}, want{"/s", "a=1%3Bb%3D2"}},
		{"query nameless", []string{"/s?=1"}, refused},
		{"sub-delimiters stay", []string{"/a:b@c!$&'()*+,=", "/a%3Ab%40c%21%24%26%27%28%29%2A%2B%2C%3D"}, want{"/a:b@c!$&'()*+,=", ""}},
		{"unsafe bytes are encoded", []string{"/a b/<x>", "/a%20b/%3Cx%3E", "/a%20b/%3cx%3e"}, want{"/a%20b/%3Cx%3E", ""}},
		{"UTF-8 is encoded", []string{"/caf%C3%A9", "/café", "/caf%c3%a9"}, want{"/caf%C3%A9", ""}},
		{"root", []string{"/", "/?"}, want{"/", ""}},
	}
	for _, c := range cases {
		t.Run(c.class, func(t *testing.T) {
			t.Parallel()
			for _, in := range c.in {
				p, err := ParsePath(in)
				if c.want == refused {
					if !errors.Is(err, ErrNonCanonicalPath) {
						t.Errorf("ParsePath(%q) = %q, %v; want ErrNonCanonicalPath", in, p.String(), err)
					}
					continue
				}
				if err != nil {
					t.Errorf("ParsePath(%q): %v", in, err)
					continue
				}
				if got := (want{p.Encoded(), p.RawQuery()}); got != c.want {
					t.Errorf("ParsePath(%q) = %+v, want %+v", in, got, c.want)
				}
				again, err := ParsePath(p.String())
				if err != nil || again.String() != p.String() {
					t.Errorf("canonical form %q is not a fixed point: %q, %v", p.String(), again.String(), err)
				}
			}
		})
	}
}

func TestParsePathQueryParams(t *testing.T) {
	t.Parallel()
	p, err := ParsePath("/customers?page=1&Page=2&q=a+b%26c&page=0")
	if err != nil {
		t.Fatal(err)
	}
	want := []Param{{"Page", "2"}, {"page", "1"}, {"page", "0"}, {"q", "a b&c"}}
	if diff := cmp.Diff(want, p.Query); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Page", "page", "q"}, p.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if p.RawQuery() != "Page=2&page=1&page=0&q=a%20b%26c" {
		t.Errorf("RawQuery = %q", p.RawQuery())
	}
}

func TestParsePathBounds(t *testing.T) {
	t.Parallel()
	if _, err := ParsePath("/" + strings.Repeat("a", MaxPathBytes)); !errors.Is(err, ErrNonCanonicalPath) {
		t.Errorf("an over-long path: %v", err)
	}
	if _, err := ParsePath("/" + strings.Repeat("a", 100)); err != nil {
		t.Errorf("a long path: %v", err)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/admin/users", "/%61dmin", "/a//b", "/a?b=c&d", "/x/%2e%2e/y", "/caf%C3%A9?q=a+b", "/a;b", "/%25"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePath(in)
		if err != nil {
			if !errors.Is(err, ErrNonCanonicalPath) {
				t.Fatalf("ParsePath(%q): error %v is not ErrNonCanonicalPath", in, err)
			}
			return
		}
		// The canonical form is a fixed point and holds nothing a target could read twice ways.
		s := p.String()
		again, err := ParsePath(s)
		if err != nil || again.String() != s {
			t.Fatalf("ParsePath(%q) = %q, not a fixed point: %q, %v", in, s, again.String(), err)
		}
		enc := p.Encoded()
		if strings.Contains(enc, "//") || strings.ContainsAny(enc, "\\;#?\x00") || strings.Contains(strings.ToLower(enc), "%2f") {
			t.Fatalf("ParsePath(%q): canonical path %q holds a refused construct", in, enc)
		}
		for _, seg := range p.Segments {
			if seg == "." || seg == ".." || seg == "" {
				t.Fatalf("ParsePath(%q): segment %q", in, seg)
			}
		}
	})
}
