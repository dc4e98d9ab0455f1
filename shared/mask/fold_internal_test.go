package mask

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestFoldRuneSkipsScripts: the ranges foldRune passes over without a lookup (kana, CJK
// ideographs, Hangul) hold no digit and no compatibility form of an ASCII character, so
// skipping them folds nothing less.
func TestFoldRuneSkipsScripts(t *testing.T) {
	t.Parallel()
	var buf [utf8.UTFMax]byte
	for _, rg := range [][2]rune{{0x3040, 0xA000}, {0xAC00, 0xD7A4}} {
		for r := rg[0]; r < rg[1]; r++ {
			d := norm.NFKC.Properties(buf[:utf8.EncodeRune(buf[:], r)]).Decomposition()
			if unicode.IsDigit(r) || len(d) == 1 && d[0] > ' ' && d[0] < 0x7F {
				t.Errorf("%U is a spelling of an ASCII character", r)
			}
		}
	}
}

// TestFoldLeavesOtherScriptsAlone: text in Greek, Cyrillic or Japanese with nothing that
// spells an ASCII value is scanned as it is (no folded copy is made); a lookalike letter
// is folded only in a word that holds ASCII letters or digits, and an ideographic full stop
// only between them.
func TestFoldLeavesOtherScriptsAlone(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"Клиент Иван Петров позвонил, почта на сайте.",
		"Ο πελάτης πλήρωσε με κάρτα.",
		"東京都港区の顧客。電話します。",
	} {
		if out, _, ok := fold([]byte(s), nil, len(s)); ok {
			t.Errorf("fold(%q) = %q, want nothing folded", s, out)
		}
	}
	// What replaced an invalid byte ends a word: "Ζ" before it is a word of Greek alone,
	// however a value after it is spelled (found by FuzzDecoders: "0@0.Ζ\xc10@0.AA" folded
	// the Zeta, "0@0.Ζ\uFFFD[EMAIL]" did not, and a second pass masked an address the first
	// left).
	for _, s := range []string{"0@0.Ζ\uFFFD0@0.AA", "0@0.Ζ\uFFFD[EMAIL]"} {
		if out, _, ok := fold([]byte(s), nil, len(s)); ok {
			t.Errorf("fold(%q) = %q, want nothing folded", s, out)
		}
	}
	for in, want := range map[string]string{
		"GВ82 Петров": "GB82 Петров",
		"АKIA АКІА":   "AKIA АКІА",
		"a。b 文。次":     "a.b 文。次",
		"x１ Ива́н":    "x1 Ива́н",
	} {
		if out, _, ok := fold([]byte(in), nil, len(in)); !ok || string(out) != want {
			t.Errorf("fold(%q) = %q, want %q", in, out, want)
		}
	}
}
