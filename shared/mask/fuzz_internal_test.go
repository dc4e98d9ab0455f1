package mask

import (
	"bytes"
	"testing"
)

// FuzzText checks that every value the scanner detects in a text is gone from the output:
// each of its occurrences that was detected is removed, and no redaction can recreate one.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"contact bob@example.com or 415-555-0132, card 4111-1111-1111-1111, SSN: 123456789",
		"a@b.com a@b.com0 415-555-0132 x415-555-0132",
		"+1 415 555 0132 4111 1111 1111 1111 12/25 (020) 7946 0958",
		"ssn 123 45 6789, phone: 14155550132",
	} {
		f.Add(s)
	}
	e := New()
	f.Fuzz(func(t *testing.T, text string) {
		out, sum := e.Text([]byte(text))
		found := detections(text, "")
		total := 0
		for k, n := range found {
			total += n
			v := []byte(k[1])
			if in, left := overlapping([]byte(text), v), overlapping(out, v); left > in-n {
				t.Fatalf("%s %q detected %d times, %d of %d occurrences left: %q -> %q", k[0], v, n, left, in, text, out)
			}
		}
		if total != sum.Total() {
			t.Fatalf("scanner found %d values, summary says %v", total, sum)
		}
	})
}

// overlapping counts the occurrences of v in s, overlapping ones included.
func overlapping(s, v []byte) int {
	n := 0
	for i := 0; i+len(v) <= len(s); i++ {
		if bytes.Equal(s[i:i+len(v)], v) {
			n++
		}
	}
	return n
}
