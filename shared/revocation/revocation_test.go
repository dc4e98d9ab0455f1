package revocation_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/revocation"
)

var killAt = time.Date(2026, 11, 25, 22, 0, 0, 400_000_000, time.UTC)

func TestRevoked(t *testing.T) {
	t.Parallel()
	before, same, after := killAt.Add(-time.Minute).Truncate(time.Second), killAt.Truncate(time.Second), killAt.Add(time.Second).Truncate(time.Second)
	subject := func(iat time.Time) revocation.Subject {
		return revocation.Subject{Agent: "arn:aws:iam::1:user/a", Operator: "ada@example.com", Session: "ses_1", IssuedAt: iat}
	}
	cases := []struct {
		name    string
		kill    revocation.Kill
		subject revocation.Subject
		want    bool
	}{
		{"global, issued before", revocation.Kill{Scope: "global", ID: "*", At: killAt}, subject(before), true},
		{"global, issued in the kill's second", revocation.Kill{Scope: "global", At: killAt}, subject(same), true},
		{"global, issued after", revocation.Kill{Scope: "global", At: killAt}, subject(after), false},
		{"agent, same agent", revocation.Kill{Scope: "agent", ID: "arn:aws:iam::1:user/a", At: killAt}, subject(before), true},
		{"agent, another agent", revocation.Kill{Scope: "agent", ID: "arn:aws:iam::1:user/b", At: killAt}, subject(before), false},
		{"operator, same operator", revocation.Kill{Scope: "operator", ID: "ada@example.com", At: killAt}, subject(before), true},
		{"operator, another", revocation.Kill{Scope: "operator", ID: "grace@example.com", At: killAt}, subject(before), false},
		{"session, same session", revocation.Kill{Scope: "session", ID: "ses_1", At: killAt}, subject(before), true},
		{"session, another", revocation.Kill{Scope: "session", ID: "ses_2", At: killAt}, subject(before), false},
		{"session, issued after", revocation.Kill{Scope: "session", ID: "ses_1", At: killAt}, subject(after), false},
		{"no issue time is refused", revocation.Kill{Scope: "session", ID: "ses_1", At: killAt}, subject(time.Time{}), true},
		{"an empty id never matches a subject without one", revocation.Kill{Scope: "agent", ID: "", At: killAt},
			revocation.Subject{Session: "ses_1", IssuedAt: before}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := revocation.New()
			l.Revoke(tc.kill)
			k, got := l.Revoked(tc.subject)
			if got != tc.want {
				t.Fatalf("Revoked = %v (%+v), want %v", got, k, tc.want)
			}
			if got && k.Scope != tc.kill.Scope {
				t.Fatalf("kill = %+v", k)
			}
		})
	}
}

func TestALaterKillReplacesAnEarlierOne(t *testing.T) {
	t.Parallel()
	l := revocation.New()
	l.Revoke(revocation.Kill{Scope: "session", ID: "s", At: killAt.Add(time.Hour)})
	l.Revoke(revocation.Kill{Scope: "session", ID: "s", At: killAt}) // an older event arriving late
	if _, ok := l.Revoked(revocation.Subject{Session: "s", IssuedAt: killAt.Add(30 * time.Minute)}); !ok {
		t.Fatal("the later kill was replaced by an earlier one")
	}
	if l.Len() != 1 {
		t.Fatalf("Len = %d", l.Len())
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	l := revocation.New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			l.Revoke(revocation.Kill{Scope: "session", ID: fmt.Sprint(i), At: killAt})
		}()
		go func() {
			defer wg.Done()
			l.Revoked(revocation.Subject{Session: fmt.Sprint(i), IssuedAt: killAt})
		}()
	}
	wg.Wait()
	if l.Len() != 8 {
		t.Fatalf("Len = %d", l.Len())
	}
}
