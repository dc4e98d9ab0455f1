package mask

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// corpusPath is the labelled corpus: one JSON object per line, {text, key?, expect: [{detector,
// value}]}, where expect lists every value a detector should find in text (scanned as the
// value of the JSON member key, when key is given) and nothing else.
var corpusPath = filepath.Join("..", "..", "testdata", "masking", "corpus.jsonl")

// minScore is the precision and recall each detector must reach on the corpus.
const minScore = 0.95

type corpusRow struct {
	Text   string `json:"text"`
	Key    string `json:"key"`
	Expect []struct {
		Detector string `json:"detector"`
		Value    string `json:"value"`
	} `json:"expect"`
}

func loadCorpus(t testing.TB) []corpusRow {
	t.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r corpusRow
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s:%d: %v", corpusPath, line, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// detections runs the scanner of a default engine over one text, as the value of key.
func detections(text, key string) map[[2]string]int {
	return detectionsWith(New(), text, key)
}

// detectionsWith is detections by the engine e.
func detectionsWith(e *Engine, text string, key ...string) map[[2]string]int {
	st := e.get(nil)
	defer put(st)
	st.sc.matches = st.sc.matches[:0]
	if len(key) > 0 && key[0] != "" {
		st.sc.setKey([]byte(key[0]))
	}
	st.sc.scanValue([]byte(text))
	found := map[[2]string]int{}
	for _, m := range st.sc.matches {
		found[[2]string{names[m.det], text[m.start:m.end]}]++
	}
	return found
}

func TestCorpusPrecisionRecall(t *testing.T) {
	t.Parallel()
	rows := loadCorpus(t)
	type score struct{ tp, fp, fn, positives int }
	scores := map[string]*score{}
	for _, d := range names[:detField] {
		scores[d] = &score{}
	}
	negatives := 0
	for _, r := range rows {
		want := map[[2]string]int{}
		for _, e := range r.Expect {
			if _, ok := scores[e.Detector]; !ok {
				t.Fatalf("corpus names an unknown detector %q", e.Detector)
			}
			want[[2]string{e.Detector, e.Value}]++
			scores[e.Detector].positives++
		}
		if len(r.Expect) == 0 {
			negatives++
		}
		got := detections(r.Text, r.Key)
		for k, n := range got {
			tp := min(n, want[k])
			scores[k[0]].tp += tp
			if n > tp {
				scores[k[0]].fp += n - tp
				t.Logf("false positive %s %q in %q", k[0], k[1], r.Text)
			}
		}
		for k, n := range want {
			if miss := n - min(n, got[k]); miss > 0 {
				scores[k[0]].fn += miss
				t.Logf("missed %s %q in %q", k[0], k[1], r.Text)
			}
		}
	}
	t.Logf("corpus: %d rows, %d without any value", len(rows), negatives)
	for _, d := range names[:detField] {
		s := scores[d]
		if s.positives == 0 {
			t.Errorf("%s: the corpus has no positive example", d)
			continue
		}
		p := ratio(s.tp, s.tp+s.fp)
		r := ratio(s.tp, s.tp+s.fn)
		f2 := 0.0
		if p+r > 0 {
			f2 = 5 * p * r / (4*p + r)
		}
		t.Logf("%-17s positives=%3d tp=%3d fp=%2d fn=%2d precision=%.3f recall=%.3f F2=%.3f", d, s.positives, s.tp, s.fp, s.fn, p, r, f2)
		if p < minScore || r < minScore {
			t.Errorf("%s: precision %.3f, recall %.3f; want both >= %.2f", d, p, r, minScore)
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
