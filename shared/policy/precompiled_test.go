package policy

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"
	cast "github.com/cedar-policy/cedar-go/ast"
	"github.com/google/go-cmp/cmp"
)

// formText is a document with every kind of expression the form carries.
const formText = `
@id("all") @approval("why") @mask("pii")
permit (principal == Agent::"a", action in [Action::"http:GET", Action::"read"], resource is Resource in Target::"t")
when { if context.operator.verified then context.session.actions < 3 else !(context.session.age_s >= -4) }
unless { context.target.name like "x*y\*" || context.target.kind != "sql" && 2 * 3 - 1 + 0 <= 5 }
when { context.intents.containsAll(["a"]) || context.intents.containsAny(["b"]) || context.intents.contains("c") || context.intents.isEmpty() }
when { resource is Resource && resource is Resource in Target::"t" && principal in Agent::"g" && {"k": [true, false], "j": -7}.k.contains(true) }
when { ip("10.0.0.1").isInRange(ip("10.0.0.0/8")) && decimal("1.5").lessThan(decimal("2.0")) && (principal has x || principal.hasTag("t") && principal.getTag("t") == 1) };
@id("f1") forbid (principal is Agent, action == Action::"sql:DROP", resource in Target::"t");
@id("f2") forbid (principal in Agent::"x", action in Action::"write", resource == Resource::"t/1");
@id("f3") forbid (principal, action, resource);
`

// roundTrip encodes s and decodes it back, failing the test on any error.
func roundTrip(t *testing.T, s *Set) {
	t.Helper()
	form, err := s.Precompiled()
	if err != nil {
		t.Fatalf("Precompiled: %v", err)
	}
	list, err := decodeForm(s.key, form)
	if err != nil {
		t.Fatalf("decodeForm: %v", err)
	}
	if len(list) != len(s.all) {
		t.Fatalf("decoded %d policies, want %d", len(list), len(s.all))
	}
	for i, p := range list {
		if want := s.all[i].ast; !reflect.DeepEqual(p, want) {
			t.Fatalf("policy %s: decoded AST differs:\n%s\nwant\n%s", s.all[i].id, cedar.NewPolicyFromAST((*cast.Policy)(p)).MarshalCedar(), s.all[i].policy().MarshalCedar())
		}
	}
}

// TestPrecompiledRoundTrip: the form decodes to exactly the AST cedar-go's parser made, for
// a document with every expression, the benchmark sets and Cedar's own corpus.
func TestPrecompiledRoundTrip(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{formText, benchPolicySet(300)} {
		s, err := Compile("doc.cedar", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, s)
	}
	files, _ := filepath.Glob("../../testdata/cedar-integration/corpus-tests/*.cedar")
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := CompileUnnamed(filepath.Base(f), src)
		if err != nil {
			continue // a corpus file may hold policies cedar-go rejects
		}
		roundTrip(t, s)
	}
}

// TestLoad: Load decides as Compile whichever way it made the set, takes the precompiled
// form only for the exact text and name it was made from, and falls back to the text.
func TestLoad(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range 60 {
		doc := []byte(genPolicySet(rng, 1+rng.IntN(30)))
		ref, err := Compile("main", doc)
		if err != nil {
			t.Fatal(err)
		}
		form, err := ref.Precompiled()
		if err != nil {
			t.Fatal(err)
		}
		cache := &setCache{}
		got, how, err := load(cache, "main", doc, form)
		if err != nil || how != fromForm {
			t.Fatalf("set %d: load = %s, %v; want the precompiled form", i, how, err)
		}
		if again, how, _ := load(cache, "main", doc, nil); again != got || how != fromCache {
			t.Fatalf("set %d: second load = %s; want the cached set", i, how)
		}
		for range 30 {
			r := genRequest(rng)
			if want, have := ref.Evaluate(r), got.Evaluate(r); !cmp.Equal(want, have) {
				t.Fatalf("set %d, request %+v: loaded %+v, compiled %+v", i, r, have, want)
			}
		}
		// Another name, other text, a damaged form: parsed from the text.
		other := append(bytes.Clone(doc), []byte("\n// edited\n")...)
		damaged := bytes.Clone(form)
		damaged[len(damaged)-1] ^= 0xff
		for _, c := range []struct {
			name string
			doc  []byte
			form []byte
		}{{"shadow", doc, form}, {"main", other, form}, {"main", doc, damaged}, {"main", doc, form[:len(form)/2]}} {
			s, how, err := load(nil, c.name, c.doc, c.form)
			if err != nil || how != fromText {
				t.Fatalf("set %d: load(%q, damaged or foreign form) = %s, %v; want the text", i, c.name, how, err)
			}
			if s.Len() != ref.Len() {
				t.Fatalf("set %d: %d policies, want %d", i, s.Len(), ref.Len())
			}
		}
	}
	// An invalid text is rejected as Compile rejects it, form or not.
	if _, _, err := load(nil, "main", []byte(`permit (principal, action, resource);`), nil); err == nil {
		t.Error("a policy without @id loaded")
	}
}

// TestLoadCacheBound keeps the warm cache to its bound, newest first.
func TestLoadCacheBound(t *testing.T) {
	t.Parallel()
	c := &setCache{}
	var first *Set
	for i := range loadedSetsKept + 2 {
		s, how, err := load(c, "main", fmt.Appendf(nil, `@id("p%d") permit (principal, action, resource);`, i), nil)
		if err != nil || how != fromText {
			t.Fatal(how, err)
		}
		if i == 0 {
			first = s
		}
	}
	if len(c.sets) != loadedSetsKept {
		t.Errorf("%d sets kept, want %d", len(c.sets), loadedSetsKept)
	}
	if s, how, _ := load(c, "main", []byte(`@id("p0") permit (principal, action, resource);`), nil); how != fromText || s == first {
		t.Errorf("the oldest set was kept: %s", how)
	}
}

// FuzzPrecompiled: decoding any bytes after a valid header never panics, and a form that
// decodes yields policies cedar-go can evaluate.
func FuzzPrecompiled(f *testing.F) {
	s, err := Compile("f", []byte(formText))
	if err != nil {
		f.Fatal(err)
	}
	form, err := s.Precompiled()
	if err != nil {
		f.Fatal(err)
	}
	hdr := len(formMagic) + len(s.key)
	f.Add(form[hdr : len(form)-sha256.Size])
	f.Add([]byte{1, 0, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, body []byte) {
		// A valid header and checksum around any body: the decoder itself is under test.
		in := append(bytes.Clone(form[:hdr]), body...)
		sum := sha256.Sum256(in)
		in = append(in, sum[:]...)
		list, err := decodeForm(s.key, in)
		if err != nil {
			return
		}
		set, err := build("f", list, nil, false)
		if err != nil {
			return
		}
		_ = set.Evaluate(benchRequest())
	})
}

// BenchmarkLoad measures loading 1,000 policies: parsing the text (Compile), from the
// precompiled form (Load, cold; then with a first decision of every action, which compiles
// the policies those reach), and again in the same process (Load, warm).
func BenchmarkLoad(b *testing.B) {
	doc := []byte(benchPolicySet(1000))
	ref, err := Compile("main", doc)
	if err != nil {
		b.Fatal(err)
	}
	form, err := ref.Precompiled()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			if _, how, err := load(nil, "main", doc, nil); err != nil || how != fromText {
				b.Fatal(how, err)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("precompiled", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			if _, how, err := load(nil, "main", doc, form); err != nil || how != fromForm {
				b.Fatal(how, err)
			}
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(len(form)), "form-bytes")
		b.ReportMetric(float64(len(doc)), "text-bytes")
	})
	// A set loaded from its form compiles each policy on the first request that reaches it:
	// this is the load and a first decision of every action of the vocabulary.
	b.Run("precompiled-then-every-action", func(b *testing.B) {
		reqs := percentileRequests(100)
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			s, how, err := load(nil, "main", doc, form)
			if err != nil || how != fromForm {
				b.Fatal(how, err)
			}
			for _, r := range reqs {
				_ = s.Evaluate(r)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("warm", func(b *testing.B) {
		c := &setCache{}
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := load(c, "main", doc, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU reports the process CPU time per iteration since start (garbage collection on
// other threads included).
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64((cpuTime()-start).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
}
