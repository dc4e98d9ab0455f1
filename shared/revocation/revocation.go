package revocation

import (
	"sync"
	"time"
)

// Scopes of a kill, as the authority names them.
const (
	ScopeGlobal   = "global"
	ScopeAgent    = "agent"
	ScopeOperator = "operator"
	ScopeSession  = "session"
)

// Kill is one published kill: credentials of its scope and id issued before At are refused.
type Kill struct {
	Scope string
	ID    string
	At    time.Time
}

// Subject is what a credential says about itself: who it was minted for and when.
type Subject struct {
	Agent    string
	Operator string
	Session  string
	// IssuedAt is the credential's issue time; zero when it carries none.
	IssuedAt time.Time
}

// List is a revocation list. It is safe for concurrent use.
type List struct {
	mu    sync.RWMutex
	kills map[key]time.Time // the latest kill of each scope and id
}

type key struct{ scope, id string }

// New returns an empty list.
func New() *List { return &List{kills: map[key]time.Time{}} }

// Revoke publishes k. A later kill of the same scope and id replaces an earlier one (it
// revokes everything the earlier one did, and more).
func (l *List) Revoke(k Kill) {
	if k.Scope == ScopeGlobal {
		k.ID = ""
	}
	at := ceilSecond(k.At)
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.kills[key{k.Scope, k.ID}]; !ok || at.After(prev) {
		l.kills[key{k.Scope, k.ID}] = at
	}
}

// Revoked reports whether a kill covers s and was issued after it; it returns that kill.
func (l *List) Revoked(s Subject) (Kill, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, k := range []key{{ScopeGlobal, ""}, {ScopeAgent, s.Agent}, {ScopeOperator, s.Operator}, {ScopeSession, s.Session}} {
		if k.scope != ScopeGlobal && k.id == "" {
			continue
		}
		at, ok := l.kills[k]
		if ok && s.IssuedAt.Before(at) {
			return Kill{Scope: k.scope, ID: k.id, At: at}, true
		}
	}
	return Kill{}, false
}

// Len is how many kills the list holds.
func (l *List) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.kills)
}

// ceilSecond is the whole second after t's: credential issue times are whole seconds, so a
// credential issued in the kill's second is treated as issued before it.
func ceilSecond(t time.Time) time.Time {
	return t.Truncate(time.Second).Add(time.Second)
}
