package mask

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// presidioTypes are the entity types of presidio-research's synthetic data set that name a
// detector of this package.
var presidioTypes = map[string]string{
	"CREDIT_CARD": Card, "PHONE_NUMBER": Phone, "EMAIL_ADDRESS": Email,
	"US_SSN": SSN, "IBAN_CODE": IBAN, "IP_ADDRESS": IP,
}

type presidioSample struct {
	Template int    `json:"template"`
	Text     string `json:"text"`
	Spans    []struct {
		Type       string `json:"type"`
		Value      string `json:"value"`
		Start, End int
	} `json:"spans"`
}

func presidioSamples(t *testing.T) []presidioSample {
	f, err := os.Open(filepath.Join(publicDir, "presidio", "synth.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []presidioSample
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s presidioSample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		for _, sp := range s.Spans {
			if s.Text[sp.Start:sp.End] != sp.Value {
				t.Fatalf("span %q is not at %d:%d of %q", sp.Value, sp.Start, sp.End, s.Text)
			}
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1500 {
		t.Fatalf("%d samples, want 1500", len(out))
	}
	return out
}

// TestPublicPresidioSynthetic measures the detectors on presidio-research's labelled
// synthetic data set (1,500 sentences from 200 templates, filled by Faker in several locales;
// testdata/masking/public/presidio). Nothing here was tuned on it before this measure.
//
//   - recall, per type: a labelled value counts as found when every letter and digit of it
//     lies in a match of its type's detector (a value masked in part leaks the rest);
//   - precision, per detector: a match counts as false when it overlaps no labelled value of
//     its type (a date, a street number, a licence number or a ZIP code it changed);
//   - left alone: the samples holding no value of a claimed type in which nothing matched.
//
// The set labels no dates of birth; the DATE_TIME values of its sentences that state one
// ("She was born on 2/8/1935", "my date of birth. It's 6/24/1991") are the dob detector's.
func TestPublicPresidioSynthetic(t *testing.T) {
	t.Parallel()
	samples := presidioSamples(t)
	e := New()
	recall := map[string]*tally{DOB: {}}
	for _, det := range presidioTypes {
		recall[det] = &tally{}
	}
	matched := map[string]*tally{}
	var clean tally
	shown := map[string]int{}
	show := func(kind string, format string, args ...any) {
		if shown[kind] < 6 {
			shown[kind]++
			t.Logf(format, args...)
		}
	}
	for _, s := range samples {
		ms := matchesOf(e, s.Text)
		claimed := false
		for _, sp := range s.Spans {
			det, ok := presidioTypes[sp.Type]
			if sp.Type == "DATE_TIME" && birthSentence(s.Text) {
				det, ok = DOB, true
			}
			if !ok {
				continue
			}
			claimed = true
			r := recall[det]
			r.positives++
			if covered(s.Text, sp.Start, sp.End, ms, det) {
				r.tp++
			} else {
				r.fn++
				show("miss "+det, "%s missed %q in %q", det, sp.Value, s.Text)
			}
		}
		for _, m := range ms {
			name := names[m.det]
			if matched[name] == nil {
				matched[name] = &tally{}
			}
			hit := false
			for _, sp := range s.Spans {
				t := presidioTypes[sp.Type]
				if sp.Type == "DATE_TIME" && birthSentence(s.Text) {
					t = DOB
				}
				if t == name && m.start < sp.End && sp.Start < m.end {
					hit = true
				}
			}
			if hit {
				matched[name].tp++
			} else {
				matched[name].fp++
				show("false "+name, "%s matched %q in %q", name, s.Text[m.start:m.end], s.Text)
			}
		}
		if !claimed {
			clean.negatives++
			if len(ms) > 0 {
				clean.touched++
			}
		}
	}
	// Phone: 0.913 until verbs of reaching someone other than "call" were read as weak
	// labels ("not answering at 78 651 450", "messages to 699 956 915"). Still missed: "my
	// registered 668 5702", with no phone word, left alone by design (seven digits are as
	// often an id), and "930.167.3943", no NANP number (its exchange starts with 1). No
	// street number after "call a taxi to" is taken for one.
	floors := map[string]float64{Card: 1, Phone: 0.97, Email: 1, SSN: 1, IBAN: 1, IP: 1, DOB: 1}
	for det, r := range recall {
		checkFloor(t, det+" (presidio synthetic)", *r, floor{recall: floors[det]})
	}
	precision := map[string]float64{Card: 1, Phone: 1, Email: 1, SSN: 1, IBAN: 1, IP: 1, DOB: 1}
	for det, m := range matched {
		p := precision[det]
		t.Logf("%-28s matches=%4d false=%3d precision=%.3f", det+" matches", m.tp+m.fp, m.fp, m.precision())
		if m.precision() < p {
			t.Errorf("%s: precision %.3f on presidio synthetic, want >= %.3f", det, m.precision(), p)
		}
	}
	checkFloor(t, "samples without a claimed value", clean, floor{leftAlone: 0.98})
}

// birthSentence reports the data set's sentences that state a date of birth, whose DATE_TIME
// value is one: the dob detector's positives here.
func birthSentence(text string) bool {
	t := strings.ToLower(text)
	return strings.Contains(t, "born on") || strings.Contains(t, "date of birth")
}

// matchesOf scans text as masking does and returns the matches.
func matchesOf(e *Engine, text string) []match {
	st := e.get(nil)
	defer put(st)
	st.sc.matches = st.sc.matches[:0]
	st.sc.scanValue([]byte(text))
	return append([]match(nil), st.sc.matches...)
}

// covered reports whether every letter and digit of text[start:end] is in a match of det.
func covered(text string, start, end int, ms []match, det string) bool {
	for i := start; i < end; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			in := false
			for _, m := range ms {
				if names[m.det] == det && m.start <= i && i+size <= m.end {
					in = true
					break
				}
			}
			if !in {
				return false
			}
		}
		i += size
	}
	return true
}

// TestPresidioSeenCases holds, by class, what the presidio synthetic set showed missed or
// masked in part; each failed before.
func TestPresidioSeenCases(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text string
		want map[[2]string]int
	}{
		// A label alone on the line above the number ("Phone:" in a contact card).
		{"Personal Info:\nPhone:\n60-56-85-91\n", one(Phone, "60-56-85-91")},
		{"Phone:\n467 3395", one(Phone, "467 3395")},
		{"Fax: \r\n  (71) 4233-6306", one(Phone, "(71) 4233-6306")},
		{"Phone:\n\n467 3395", nil},   // a blank line between: no longer the label's line
		{"Total:\n4673395", nil},      // a line ending in ':' that names no phone
		{"Phone\n467 3395", nil},      // a heading without ':'
		{"Phone: 1\nx 467 3395", nil}, // the number does not start its line
		// The kind of line after the number, after a space, a '-' or " (".
		{"416 60 039 office", one(Phone, "416 60 039")},
		{"781 1704 (home)", one(Phone, "781 1704")},
		{"(37) 788-063-Office", one(Phone, "(37) 788-063")},
		{"085 175 7641-Office,3660170548-Fax", map[[2]string]int{{Phone, "085 175 7641"}: 1, {Phone, "3660170548"}: 1}},
		{"2024 office", nil}, // a year
		{"12.50 fax", nil},   // an amount
		{"4673395 officer", nil},
		// A number joined to such a word by '-' is masked whole, not in part.
		{"+447700 208 815-Fax", one(Phone, "+447700 208 815")},
		{"+41 (0)69 979 80 58-Fax", one(Phone, "+41 (0)69 979 80 58")},
		{"ORD-123-ABC", nil},
		// After the word "card", a Luhn-valid number of a card's length whatever its IIN.
		{"redeem points won on credit card 060426070011 transactions", one(Card, "060426070011")},
		{"card 060426070012", nil},    // its check digit is wrong
		{"invoice 060426070011", nil}, // no card word
		// The verb "call" labels a short number only when the number follows it, or pronouns
		// and prepositions stand between; further back it labels only a number of seven
		// digits or more (a street number after "call a taxi to" is no phone).
		{"I'd like to call a taxi to Unit 7349 Box 6067\nDPO AE 99081.", nil},
		{"I'd like to call a taxi to 124 67 Devon Street West", nil},
		{"call a taxi to 6889 ul. Jarzębinowa 5", nil},
		{"CALL ME AT 8999", one(Phone, "8999")},
		{"please call us on 712-345 today", one(Phone, "712-345")},
		{"call our front desk at 5403926876", one(Phone, "5403926876")},
		{"call the warehouse: 07700 063 966", one(Phone, "07700 063 966")},
		// The names of phone lines in signatures and contact pages label a number of seven
		// digits or more right after them; a short number after them is a desk or an
		// extension, and other words between are not a label.
		{"Mobile: 737 219 628\nDesk: 5403926876\n", map[[2]string]int{{Phone, "737 219 628"}: 1, {Phone, "5403926876"}: 1}},
		{"WhatsApp - 699 956 915", one(Phone, "699 956 915")},
		{"SMS: 78 651 450", one(Phone, "78 651 450")},
		{"Landline: 71-33-52-22", one(Phone, "71-33-52-22")},
		{"Desk 4012", nil},
		{"desk: 12345", nil},
		{"Hotline ticket 7349118", nil},
		{"helpdesk 5403926876", nil},
		// Other verbs of reaching someone by phone, with "at", "on" or "to" before the number,
		// label a number of seven digits or more, as "call" further back does.
		{"They're not answering at 78 651 450", one(Phone, "78 651 450")},
		{"stop receiving messages to 699 956 915", one(Phone, "699 956 915")},
		{"text me on 71-33-52-22", one(Phone, "71-33-52-22")},
		{"you can reach us at 374 780 163.", one(Phone, "374 780 163")},
		{"contact me at 99 668472", one(Phone, "99 668472")},
		{"messages to 3 users", nil},
		{"reached 1 000 000 users", nil},
		{"the answer to 4 8 15 16 23 42", nil},
		{"contact on 2024-01-15", nil},
		{"text to 12.50", nil},
		// JCB's 35 range at 16 digits.
		{"What's your credit card? 3522235032377454", one(Card, "3522235032377454")},
		{"ref 3598899323053410", one(Card, "3598899323053410")},
		{"ref 3598899323053411", nil},
	} {
		got := detections(c.text, "")
		want := c.want
		if want == nil {
			want = map[[2]string]int{}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%q: detected %v, want %v", c.text, got, want)
		}
	}
}
