package archive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

var t0 = time.Date(2026, 11, 25, 23, 59, 58, 0, time.UTC)

// chain returns n sealed records of one session, a second apart from start.
func chain(t testing.TB, session string, n int, start time.Time) []archive.Line {
	t.Helper()
	var out []archive.Line
	prev := ""
	for i := 1; i <= n; i++ {
		r := audit.Record{Version: audit.Version, Session: session, Seq: uint64(i), PrevHash: prev, Type: audit.TypeDecision, Time: start.Add(time.Duration(i) * time.Second)}
		body, err := audit.Seal(&r)
		if err != nil {
			t.Fatal(err)
		}
		l, err := archive.ParseLine(body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
		prev = r.Hash
	}
	return out
}

// archived returns every line in the bucket's audit objects, in name order.
func archived(t *testing.T, b archive.Bucket) (keys []string, bodies []string) {
	t.Helper()
	ctx := context.Background()
	keys, err := b.List(ctx, archive.AuditPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		obj, err := b.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		_, lines, err := archive.Decode(obj)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			bodies = append(bodies, string(l))
		}
	}
	return keys, bodies
}

func bodiesOf(lines []archive.Line) []string {
	var out []string
	for _, l := range lines {
		out = append(out, string(l.Body))
	}
	return out
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	lines := chain(t, "ses_a", 3, t0)
	obj, err := archive.Encode(lines)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := archive.Encode(lines)
	if !bytes.Equal(obj, again) {
		t.Fatal("equal lines encoded to different bytes")
	}
	_, got, err := archive.Decode(obj)
	if err != nil {
		t.Fatal(err)
	}
	var gotS []string
	for _, l := range got {
		gotS = append(gotS, string(l))
	}
	if diff := cmp.Diff(bodiesOf(lines), gotS); diff != "" {
		t.Fatal(diff)
	}
	if _, _, err := archive.Decode(obj[:len(obj)-6]); !errors.Is(err, archive.ErrTruncated) {
		t.Fatalf("cut object: %v, want ErrTruncated", err)
	}
	if _, _, err := archive.Decode([]byte("{}\n")); !errors.Is(err, archive.ErrMalformed) {
		t.Fatalf("plain text: %v, want ErrMalformed", err)
	}
}

func TestObjectKeyLayout(t *testing.T) {
	t.Parallel()
	l := chain(t, "ses_a", 1, t0)[0]
	k := archive.ObjectKey(l)
	want := "audit/dt=2026-11-25/235959.000000000-" + l.Hash[:32] + ".json.gz"
	if k != want || !archive.IsObjectKey(k) {
		t.Fatalf("key %q, want %q", k, want)
	}
	for _, bad := range []string{"audit/dt=2026-11-25/../x.json.gz", "audit/x.json.gz", "checkpoints/1.json"} {
		if archive.IsObjectKey(bad) {
			t.Errorf("IsObjectKey(%q) = true", bad)
		}
	}
}

func TestParseLineRefusesWhatIsNotARecord(t *testing.T) {
	t.Parallel()
	for name, b := range map[string]string{
		"empty":      ``,
		"newline":    "{\"session\":\"s\"}\n",
		"no session": `{"seq":1,"hash":"` + string(bytes.Repeat([]byte("a"), 64)) + `","time":"2026-01-01T00:00:00Z"}`,
		"short hash": `{"session":"s","seq":1,"hash":"ab","time":"2026-01-01T00:00:00Z"}`,
		"not json":   `session=s`,
	} {
		if _, err := archive.ParseLine([]byte(b)); !errors.Is(err, archive.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func TestShipSplitsByDayAndIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := archive.Dir{Root: t.TempDir()}
	sh := archive.NewShipper(b, time.Hour, time.Now)
	lines := chain(t, "ses_a", 4, t0) // 23:59:59, then three records on the 26th
	if n, err := sh.Ship(ctx, lines); n != 4 || err != nil {
		t.Fatalf("ship: %d, %v", n, err)
	}
	keys, bodies := archived(t, b)
	if len(keys) != 2 || !bytes.Contains([]byte(keys[0]), []byte("dt=2026-11-25/")) || !bytes.Contains([]byte(keys[1]), []byte("dt=2026-11-26/")) || len(bodies) != 4 {
		t.Fatalf("keys %v, %d records", keys, len(bodies))
	}
	// The same batch again, and a batch that overlaps it and goes on: nothing is duplicated.
	more := chain(t, "ses_a", 6, t0)
	for _, batch := range [][]archive.Line{lines, more, more[1:]} {
		if n, err := sh.Ship(ctx, batch); n != len(batch) || err != nil {
			t.Fatalf("reship: %d, %v", n, err)
		}
	}
	keys, bodies = archived(t, b)
	if diff := cmp.Diff(bodiesOf(more), bodies); diff != "" {
		t.Fatalf("archive after retries (-want +got):\n%s\nkeys %v", diff, keys)
	}
}

func TestShipRefusesDifferentRecordsUnderATakenName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := archive.Dir{Root: t.TempDir()}
	sh := archive.NewShipper(b, time.Hour, time.Now)
	lines := chain(t, "ses_a", 3, t0.Add(-time.Hour))
	if _, err := sh.Ship(ctx, lines); err != nil {
		t.Fatal(err)
	}
	forged := slices.Clone(lines)
	forged[1] = chain(t, "ses_b", 2, t0.Add(-time.Hour))[1]
	n, err := sh.Ship(ctx, forged)
	if n != 0 || !errors.Is(err, archive.ErrConflict) {
		t.Fatalf("ship over different records: %d, %v", n, err)
	}
	if _, bodies := archived(t, b); !slices.Equal(bodies, bodiesOf(lines)) {
		t.Fatal("the archive changed")
	}
}

// flaky fails every Create after the first ok ones, as a crash mid-batch would.
type flaky struct {
	archive.Bucket
	ok    atomic.Int64
	calls atomic.Int64
}

func (f *flaky) Create(ctx context.Context, key string, body []byte, until time.Time) error {
	if f.calls.Add(1) > f.ok.Load() {
		return fmt.Errorf("injected: %w", store.ErrUnavailable)
	}
	return f.Bucket.Create(ctx, key, body, until)
}

func TestCrashMidBatchThenRetryLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Three sessions' records over three days: three objects per batch.
	var lines []archive.Line
	for d := range 3 {
		lines = append(lines, chain(t, fmt.Sprintf("ses_%d", d), 5, t0.Add(time.Duration(d)*24*time.Hour))...)
	}
	slices.SortStableFunc(lines, func(a, b archive.Line) int { return a.Time.Compare(b.Time) })
	for crashAfter := range 4 {
		t.Run(fmt.Sprint(crashAfter), func(t *testing.T) {
			t.Parallel()
			f := &flaky{Bucket: archive.Dir{Root: t.TempDir()}}
			f.ok.Store(int64(crashAfter))
			sh := archive.NewShipper(f, time.Hour, time.Now)
			n, err := sh.Ship(ctx, lines)
			if crashAfter < 4 && err == nil {
				t.Fatalf("no failure reported after %d objects", crashAfter)
			}
			// What was reported durable is in the archive; the retry starts there.
			if _, bodies := archived(t, f.Bucket); len(bodies) < n {
				t.Fatalf("reported %d durable, archive holds %d", n, len(bodies))
			}
			f.ok.Store(1 << 30)
			if m, err := sh.Ship(ctx, lines[n:]); err != nil || m != len(lines)-n {
				t.Fatalf("retry: %d, %v", m, err)
			}
			// A whole-batch redelivery (the function timed out after writing) changes nothing.
			if _, err := sh.Ship(ctx, lines); err != nil {
				t.Fatal(err)
			}
			_, bodies := archived(t, f.Bucket)
			got := slices.Clone(bodies)
			slices.Sort(got)
			want := bodiesOf(lines)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("archive (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDirCreateIsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := archive.Dir{Root: t.TempDir()}
	if err := b.Create(ctx, "checkpoints/a.json", []byte("1"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Create(ctx, "checkpoints/a.json", []byte("2"), time.Time{}); !errors.Is(err, archive.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if got, _ := b.Get(ctx, "checkpoints/a.json"); string(got) != "1" {
		t.Fatalf("content %q", got)
	}
	for _, bad := range []string{"../x", "/etc/passwd", "a//b", "a/./b", ""} {
		if err := b.Create(ctx, bad, nil, time.Time{}); err == nil {
			t.Errorf("created %q", bad)
		}
	}
	if _, err := b.Get(ctx, "checkpoints/none.json"); !errors.Is(err, archive.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
}

func TestTailShipsNewRecordsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := audit.NewChain(st, time.Now)
	b := archive.Dir{Root: filepath.Join(dir, "archive")}
	sh := archive.NewShipper(b, time.Hour, time.Now)
	tail, err := archive.NewTail(ctx, st, sh)
	if err != nil {
		t.Fatal(err)
	}
	appendN := func(session string, n int) {
		for range n {
			if _, err := c.Append(ctx, audit.Record{Session: session, Type: audit.TypeDecision}); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN("ses_a", 3)
	appendN("ses_b", 2)
	if n, err := tail.Flush(ctx); n != 5 || err != nil {
		t.Fatalf("flush: %d, %v", n, err)
	}
	if n, err := tail.Flush(ctx); n != 0 || err != nil {
		t.Fatalf("second flush: %d, %v", n, err)
	}
	appendN("ses_a", 1)
	// A new Tail (a restart) resumes after what the archive holds.
	tail, err = archive.NewTail(ctx, st, sh)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tail.Flush(ctx); n != 1 || err != nil {
		t.Fatalf("flush after restart: %d, %v", n, err)
	}
	if _, bodies := archived(t, b); len(bodies) != 6 {
		t.Fatalf("%d records archived, want 6", len(bodies))
	}
}

func FuzzDecode(f *testing.F) {
	lines := chain(f, "ses_f", 2, t0)
	obj, _ := archive.Encode(lines)
	f.Add(obj)
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		content, got, err := archive.Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to the same content.
		var ls []archive.Line
		for _, l := range got {
			if bytes.ContainsAny(l, "\r\n") {
				t.Fatalf("line with a break: %q", l)
			}
			ls = append(ls, archive.Line{Body: l})
		}
		re, err := archive.Encode(ls)
		if err != nil {
			if bytes.Contains(content, []byte("\r")) {
				return
			}
			t.Fatal(err)
		}
		c2, _, err := archive.Decode(re)
		if err != nil || !bytes.Equal(c2, content) {
			t.Fatalf("round trip changed the content: %v", err)
		}
	})
}

// countingStore counts the chains read from a bolt store; hiding hides its ChainHeads.
type countingStore struct {
	*bolt.Store
	reads atomic.Int64
}

func (s *countingStore) Records(ctx context.Context, id string, from uint64, limit int) ([]store.Record, error) {
	s.reads.Add(1)
	return s.Store.Records(ctx, id, from, limit)
}

type hiding struct{ store.Audit }

// TestTailReadsOnlyGrownChains: a flush reads the chains that grew since the last one, not
// every chain the store ever held; a store without chain heads is read whole and ships the
// same records.
func TestTailReadsOnlyGrownChains(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	bs, err := bolt.Open(filepath.Join(dir, "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	st := &countingStore{Store: bs}
	c := audit.NewChain(bs, time.Now)
	appendTo := func(session string) {
		if _, err := c.Append(ctx, audit.Record{Session: session, Type: audit.TypeDecision}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		appendTo(fmt.Sprintf("ses_%02d", i))
	}
	heads, err := bs.ChainHeads(ctx)
	if err != nil || len(heads) != 50 || heads["ses_07"] != 1 {
		t.Fatalf("heads %v, %v", heads, err)
	}
	tail, err := archive.NewTail(ctx, st, archive.NewShipper(archive.Dir{Root: filepath.Join(dir, "a")}, time.Hour, time.Now))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tail.Flush(ctx); n != 50 || err != nil {
		t.Fatalf("flush: %d, %v", n, err)
	}
	st.reads.Store(0)
	appendTo("ses_07")
	appendTo("ses_07")
	appendTo("ses_31")
	if n, err := tail.Flush(ctx); n != 3 || err != nil {
		t.Fatalf("flush of the grown: %d, %v", n, err)
	}
	if r := st.reads.Load(); r != 2 {
		t.Errorf("%d chains read, want the 2 that grew", r)
	}
	if heads, _ := bs.ChainHeads(ctx); heads["ses_07"] != 3 {
		t.Errorf("head of ses_07 = %d, want 3", heads["ses_07"])
	}

	whole, err := archive.NewTail(ctx, hiding{bs}, archive.NewShipper(archive.Dir{Root: filepath.Join(dir, "b")}, time.Hour, time.Now))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := whole.Flush(ctx); n != 53 || err != nil {
		t.Fatalf("flush without heads: %d, %v", n, err)
	}
}
