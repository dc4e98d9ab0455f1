package mask_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/mask"
)

// planted are values of each detector in the formats the detectors promise to find.
var planted = map[string][]string{
	mask.Email: {"bob@example.com", "first.last+tag@mail.example.co.uk", "A_B-c%d@x-y.io", "zoe.okafor99@example.de"},
	mask.Card: {"4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "3782 822463 10005",
		"6011111111111117", "3530111333300000", "2223003122003222", "4222222222222"},
	mask.SSN: {"123-45-6789", "078-05-1120", "219-09-9999", "665-99-0001"},
	mask.Phone: {"(415) 555-0132", "415-555-0132", "415.555.0132", "415 555 0132", "1-415-555-0132", "+14155550132",
		"+1 (415) 555-0132", "+44 20 7946 0958", "020 7946 0958", "(415)555-0132", "+49 30 1234567"},
}

// fillers are words and numbers that are not sensitive and sit around planted values.
var fillers = []string{"order", "shipped", "ORD-2024-000123", "2024-01-15T10:30:00Z", "v1.2.3", "10.0.19041.1",
	"é", "☎", "quote\"d", "back\\slash", "tab\there", "new\nline", "<b>&amp;</b>", "42", "3.14", "94103-1234",
	"550e8400-e29b-41d4-a716-446655440000", "1700000000000"}

// separators join a planted value to its neighbours; each ends any number or address.
var separators = []string{", ", "; ", "\n", " (", ") ", ": ", "\"", " <", "> ", "\t"}

type planter struct {
	r    *rand.Rand
	vals []string // every value planted in the current document
}

func (p *planter) pick(list []string) string { return list[p.r.IntN(len(list))] }

func (p *planter) text() string {
	var b strings.Builder
	for range 1 + p.r.IntN(5) {
		b.WriteString(p.pick(fillers))
		if p.r.IntN(2) == 0 {
			detectors := []string{mask.Email, mask.Card, mask.SSN, mask.Phone}
			v := p.pick(planted[detectors[p.r.IntN(len(detectors))]])
			p.vals = append(p.vals, v)
			b.WriteString(p.pick(separators))
			b.WriteString(v)
		}
		b.WriteString(p.pick(separators))
	}
	return b.String()
}

func (p *planter) value(depth int) any {
	switch n := p.r.IntN(10); {
	case depth < 4 && n < 2:
		m := map[string]any{}
		for range p.r.IntN(5) {
			if k := p.key(); m[k] == nil {
				m[k] = p.value(depth + 1)
			}
		}
		return m
	case depth < 4 && n < 4:
		a := make([]any, p.r.IntN(4))
		for i := range a {
			a[i] = p.value(depth + 1)
		}
		return a
	case n < 8:
		return p.text()
	case n < 9:
		v := p.pick([]string{"4111111111111111", "378282246310005", "6011111111111117"})
		p.vals = append(p.vals, v)
		return json.Number(v)
	default:
		return []any{true, nil, 17, -4.5}[p.r.IntN(4)]
	}
}

// key returns an object key; some keys are values, which must be masked as values are.
func (p *planter) key() string {
	return p.pick([]string{"id", "name", "email", "notes", "contact", "bob@example.com", "4111111111111111",
		"415-555-0132", "created_at", "items", "é\"k"})
}

// TestPlantedValuesNeverSurvive builds random JSON documents with sensitive values planted in
// strings and numbers, masks them, and checks that no planted value is left in any value, that
// the keys are unchanged but for the values they hold, and that the output is the same document apart from masked values.
func TestPlantedValuesNeverSurvive(t *testing.T) {
	t.Parallel()
	e := mask.New()
	for seed := range uint64(500) {
		p := &planter{r: rand.New(rand.NewPCG(seed, 7))}
		doc := map[string]any{"customers": p.value(0), "note": p.text()}
		in, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		out, sum := e.Apply(in)
		if err := sameShape(in, out, false); err != nil {
			t.Fatalf("seed %d: %v\nin:  %s\nout: %s", seed, err, in, out)
		}
		var got any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		values := strings.Join(stringValues(got, nil), "\x00")
		for _, v := range p.vals {
			if strings.Contains(values, v) {
				t.Fatalf("seed %d: planted %q survived\nin:  %s\nout: %s", seed, v, in, out)
			}
		}
		if len(p.vals) > 0 && sum.Total() < len(p.vals) {
			t.Fatalf("seed %d: %d values planted, summary %v", seed, len(p.vals), sum)
		}
		again, sum2 := e.Apply(out)
		if !bytes.Equal(again, out) || sum2.Total() != 0 {
			t.Fatalf("seed %d: masking the output again changed it: %v", seed, sum2)
		}
	}
}

// stringValues lists every string value (not key) and number of a decoded document.
func stringValues(v any, acc []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			acc = stringValues(x, acc)
		}
	case []any:
		for _, x := range v {
			acc = stringValues(x, acc)
		}
	case string:
		acc = append(acc, v)
	case float64:
		acc = append(acc, fmt.Sprintf("%.0f", v))
	}
	return acc
}
