package identity

import (
	"sync"
	"time"
)

// Defaults of the failed-authentication limiter.
const (
	// DefaultMaxFailures is how many failed authentications a source may have in one window
	// before its requests are refused without being authenticated.
	DefaultMaxFailures = 20
	// DefaultFailureWindow is the length of that window.
	DefaultFailureWindow = time.Minute
	// maxTrackedSources bounds the limiter's memory.
	maxTrackedSources = 16384
)

// FailureLimiter counts failed authentications per source (an IP address) in fixed windows and
// refuses a source that has reached its limit until its window ends. It bounds its memory: when
// it tracks too many sources it forgets the ones whose window has ended, then the oldest. It is
// safe for concurrent use.
//
// In AWS, API Gateway's authorizers refuse bad signatures and tokens before Mandate runs;
// rate-limiting them per source is AWS WAF's job (a rate-based rule on 401/403 responses).
type FailureLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	sources map[string]*failures
}

type failures struct {
	start time.Time
	count int
}

// NewFailureLimiter returns a limiter allowing max failures per window (the defaults when
// zero); now is the clock (time.Now when nil).
func NewFailureLimiter(max int, window time.Duration, now func() time.Time) *FailureLimiter {
	if max <= 0 {
		max = DefaultMaxFailures
	}
	if window <= 0 {
		window = DefaultFailureWindow
	}
	if now == nil {
		now = time.Now
	}
	return &FailureLimiter{max: max, window: window, now: now, sources: map[string]*failures{}}
}

// Blocked reports whether source has reached its limit, and if so for how long it stays
// blocked.
func (l *FailureLimiter) Blocked(source string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.sources[source]
	if !ok {
		return 0, false
	}
	left := f.start.Add(l.window).Sub(l.now())
	if left <= 0 {
		delete(l.sources, source)
		return 0, false
	}
	return left, f.count >= l.max
}

// Fail counts one failed authentication from source and returns its count in the window.
func (l *FailureLimiter) Fail(source string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.sources[source]
	if !ok || !now.Before(f.start.Add(l.window)) {
		if !ok && len(l.sources) >= maxTrackedSources {
			l.evict(now)
		}
		f = &failures{start: now}
		l.sources[source] = f
	}
	f.count++
	return f.count
}

// evict forgets sources whose window has ended, and if none has, the one whose window
// started first.
func (l *FailureLimiter) evict(now time.Time) {
	var oldest string
	var oldestStart time.Time
	for s, f := range l.sources {
		if !now.Before(f.start.Add(l.window)) {
			delete(l.sources, s)
			continue
		}
		if oldest == "" || f.start.Before(oldestStart) {
			oldest, oldestStart = s, f.start
		}
	}
	if len(l.sources) >= maxTrackedSources && oldest != "" {
		delete(l.sources, oldest)
	}
}
