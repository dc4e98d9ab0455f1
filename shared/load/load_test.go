package load

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunMeasuresEveryPhase(t *testing.T) {
	t.Parallel()
	stats, err := Run(context.Background(), Options{Dir: t.TempDir(), Workers: 2, Requests: 120, Duration: 30 * time.Second})
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
	if r := Report(stats); !strings.Contains(r, "adds p50") {
		t.Fatalf("report: %s", r)
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
