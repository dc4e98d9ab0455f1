package identity

import (
	"fmt"
	"testing"
	"time"
)

func TestFailureLimiter(t *testing.T) {
	t.Parallel()
	c := &clock{t: testNow}
	l := NewFailureLimiter(3, time.Minute, c.now)
	for i := range 3 {
		if _, blocked := l.Blocked("10.0.0.1"); blocked {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("10.0.0.1")
	}
	left, blocked := l.Blocked("10.0.0.1")
	if !blocked || left != time.Minute {
		t.Fatalf("after 3 failures: blocked %v for %s; want blocked for 1m", blocked, left)
	}
	if _, blocked := l.Blocked("10.0.0.2"); blocked {
		t.Fatal("another source is blocked")
	}
	c.add(time.Minute)
	if _, blocked := l.Blocked("10.0.0.1"); blocked {
		t.Fatal("still blocked after the window")
	}
	if n := l.Fail("10.0.0.1"); n != 1 {
		t.Fatalf("count in a new window = %d; want 1", n)
	}
}

func TestFailureLimiterBoundsMemory(t *testing.T) {
	t.Parallel()
	c := &clock{t: testNow}
	l := NewFailureLimiter(1, time.Minute, c.now)
	for i := range maxTrackedSources + 100 {
		l.Fail(fmt.Sprintf("s%d", i))
	}
	if n := len(l.sources); n > maxTrackedSources {
		t.Fatalf("tracks %d sources; want at most %d", n, maxTrackedSources)
	}
	if _, blocked := l.Blocked(fmt.Sprintf("s%d", maxTrackedSources+99)); !blocked {
		t.Fatal("the latest source was forgotten")
	}
}
