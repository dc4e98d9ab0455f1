package intent

import (
	"strings"
	"testing"
)

// BenchmarkClassify measures classification of the demo prompt and of a prompt at the API's
// body limit against the demo catalog.
func BenchmarkClassify(b *testing.B) {
	c := loadDemo(b)
	for _, bc := range []struct{ name, prompt string }{
		{"demo", "look up the contact details of customer 42 to answer their ticket"},
		{"1MiB", strings.Repeat("look up the contact details of customer 42, then count the tickets. ", 1<<20/69)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.prompt)))
			b.ReportAllocs()
			for b.Loop() {
				_ = c.Classify(bc.prompt)
			}
		})
	}
}
