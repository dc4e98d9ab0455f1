package action

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrNonCanonicalPath means an http action's path or query is spelled in a way Mandate does
// not accept because a target could read it differently from policy (400
// non-canonical-path). Send the canonical spelling the detail names, or a path without the
// refused construct.
var ErrNonCanonicalPath = errors.New("non-canonical path")

// MaxPathBytes bounds an http action's path with its query, as written.
const MaxPathBytes = 8 << 10

// Param is one query parameter, decoded.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Path is the canonical form of an http action's path and query. Segments and parameters
// hold decoded text; Encoded and RawQuery give the bytes the target receives.
type Path struct {
	// Segments are the path's segments, decoded, without the slashes between them; none for "/".
	Segments []string
	// Query are the query parameters, decoded, sorted by name; values of one name keep the
	// order they were written in.
	Query []Param
}

// ParsePath reads an http action's path (with its query) into its canonical form, refusing
// every spelling listed in the package documentation with ErrNonCanonicalPath.
func ParsePath(raw string) (Path, error) {
	if len(raw) > MaxPathBytes {
		return Path{}, nonCanonical("the path is longer than %d bytes", MaxPathBytes)
	}
	if !strings.HasPrefix(raw, "/") {
		return Path{}, nonCanonical("the path must start with /")
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		return Path{}, nonCanonical("the path must not hold a fragment (#)")
	}
	rawPath, rawQuery, _ := strings.Cut(raw, "?")
	var p Path
	if rawPath != "/" {
		for _, seg := range strings.Split(rawPath[1:], "/") {
			s, err := segment(seg)
			if err != nil {
				return Path{}, err
			}
			p.Segments = append(p.Segments, s)
		}
	}
	q, err := query(rawQuery)
	if err != nil {
		return Path{}, err
	}
	p.Query = q
	return p, nil
}

// segment decodes one path segment and checks it against the rules.
func segment(raw string) (string, error) {
	if raw == "" {
		return "", nonCanonical("the path has an empty segment (a doubled or trailing /)")
	}
	s, err := unescape(raw, false)
	if err != nil {
		return "", err
	}
	switch {
	case s == "." || s == "..":
		return "", nonCanonical("the path has a . or .. segment")
	case strings.ContainsRune(s, '/'):
		return "", nonCanonical("the path has an encoded / (%%2F) in a segment")
	case strings.ContainsRune(s, '\\'):
		return "", nonCanonical("the path holds a backslash")
	case strings.ContainsRune(s, ';'):
		return "", nonCanonical("the path holds a ; parameter")
	case strings.ContainsRune(s, '%'):
		return "", nonCanonical("the path holds a %% after decoding (double encoding)")
	}
	return s, checkText(s, "path")
}

// query decodes a raw query into sorted parameters.
func query(raw string) ([]Param, error) {
	var out []Param
	for _, piece := range strings.Split(raw, "&") {
		if piece == "" {
			continue
		}
		rn, rv, _ := strings.Cut(piece, "=")
		name, err := unescape(rn, true)
		if err != nil {
			return nil, err
		}
		value, err := unescape(rv, true)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, nonCanonical("the query has a parameter with no name")
		}
		if err := checkText(name, "query"); err != nil {
			return nil, err
		}
		if err := checkText(value, "query"); err != nil {
			return nil, err
		}
		out = append(out, Param{Name: name, Value: value})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// checkText refuses control characters, invalid UTF-8 and text NFKC would change.
func checkText(s, where string) error {
	if !utf8.ValidString(s) {
		return nonCanonical("the %s is not valid UTF-8", where)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return nonCanonical("the %s holds a control character", where)
		}
	}
	if !norm.NFKC.IsNormalString(s) {
		return nonCanonical("the %s is not in Unicode normal form NFKC (a look-alike spelling)", where)
	}
	return nil
}

// unescape decodes %XX escapes once; form also decodes '+' as a space (the query).
func unescape(s string, form bool) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", nonCanonical("the path has a malformed percent-encoding")
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		case c == '+' && form:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// Encoded is the canonical path: each segment encoded by the one rule, joined by '/'.
func (p Path) Encoded() string {
	if len(p.Segments) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, s := range p.Segments {
		b.WriteByte('/')
		appendEscaped(&b, s, pathSafe)
	}
	return b.String()
}

// RawQuery is the canonical query without the '?': "" when there is none.
func (p Path) RawQuery() string {
	var b strings.Builder
	for i, q := range p.Query {
		if i > 0 {
			b.WriteByte('&')
		}
		appendEscaped(&b, q.Name, querySafe)
		b.WriteByte('=')
		appendEscaped(&b, q.Value, querySafe)
	}
	return b.String()
}

// String is the canonical path with its query: what an action's path becomes.
func (p Path) String() string {
	if q := p.RawQuery(); q != "" {
		return p.Encoded() + "?" + q
	}
	return p.Encoded()
}

// Names are the query's parameter names, each once, sorted.
func (p Path) Names() []string {
	var out []string
	for i, q := range p.Query {
		if i == 0 || q.Name != p.Query[i-1].Name {
			out = append(out, q.Name)
		}
	}
	return out
}

const upperhex = "0123456789ABCDEF"

// The one encoding rule: RFC 3986 unreserved characters stay as they are everywhere; in a
// path segment the sub-delimiters other than ';' and ':' '@' stay too (RFC 3986 pchar);
// every other byte is %XX with upper-case hex.
var pathSafe, querySafe [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		unreserved := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("-._~", b) >= 0
		querySafe[c] = unreserved
		pathSafe[c] = unreserved || strings.IndexByte("!$&'()*+,=:@", b) >= 0
	}
}

func appendEscaped(b *strings.Builder, s string, safe [256]bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if safe[c] {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperhex[c>>4])
		b.WriteByte(upperhex[c&15])
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func nonCanonical(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNonCanonicalPath}, args...)...)
}

// LowerCase is p with every path segment lower-cased (Unicode simple case mapping): the
// canonical path of a target that serves paths case-insensitively. The query is unchanged.
func (p Path) LowerCase() Path {
	out := Path{Segments: make([]string, len(p.Segments)), Query: p.Query}
	for i, s := range p.Segments {
		out.Segments[i] = strings.ToLower(s)
	}
	return out
}
