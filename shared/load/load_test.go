package load

import (
	"context"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunMeasuresEveryPhase(t *testing.T) {
	t.Parallel()
	var progress strings.Builder
	stats, err := Run(context.Background(), Options{Dir: t.TempDir(), Workers: 2, Requests: 120, Duration: 30 * time.Second, Progress: &syncWriter{w: &progress}})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 3 {
		t.Fatalf("%d phases", len(stats))
	}
	for _, s := range stats {
		if s.Requests != 120 || s.Errors != 0 || s.P50 <= 0 || s.P99 < s.P50 || s.Max < s.P99 {
			t.Errorf("%+v", s)
		}
	}
	if runtime.GOOS == "linux" {
		for _, s := range stats {
			if s.CPU <= 0 || s.Cores() <= 0 {
				t.Errorf("%s: no CPU time measured: %+v", s.Name, s)
			}
		}
	}
	if r := Report(stats); !strings.Contains(r, "adds p50") || !strings.Contains(r, "fsyncs /req") || !strings.Contains(r, "cores)") {
		t.Fatalf("report: %s", r)
	}
	// An allowed read is its decision's one write and its result record; a denial is one
	// write. Sessions opened along the way add a little to both.
	if w := stats[1].Writes; w < 2 || w > 2.5 {
		t.Errorf("allowed read: %.2f writes per request, want 2 and a share of session opens", w)
	}
	if w := stats[2].Writes; w < 1 || w > 1.5 {
		t.Errorf("denied delete: %.2f writes per request, want 1 and a share of session opens", w)
	}
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestProgressIsPrinted(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	w := &syncWriter{w: &out}
	_, err := phase(context.Background(), "slow", Options{Workers: 1, Requests: 3, Duration: 10 * time.Second, Progress: w},
		func(ctx context.Context, _ int) error { time.Sleep(600 * time.Millisecond); return nil })
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !strings.Contains(out.String(), "slow, 1 workers: ") {
		t.Fatalf("progress: %q", out.String())
	}
}

func TestFsyncBaseline(t *testing.T) {
	t.Parallel()
	st, err := Fsync(t.TempDir(), 20)
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests != 20 || st.P50 <= 0 || st.Max < st.P50 {
		t.Fatalf("%+v", st)
	}
}

func TestRunRefusesUnboundedRuns(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{Workers: 0, Requests: 1, Duration: time.Second},
		{Workers: 1, Requests: MaxRequests + 1, Duration: time.Second},
		{Workers: 1, Requests: 1, Duration: time.Hour},
	} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("Run(%+v) accepted", o)
		}
	}
}
