package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/store"
)

// An allowed action reads its session before the decision and again inside the decision's
// transaction, to count the action, and each read decoded the session's JSON: a tenth of the
// process's CPU at 16 workers, part of it inside the serial commit. sessionCache keeps each
// session decoded beside the bytes it was decoded from. An entry is used only when the stored
// bytes equal its bytes, so it is a pure function of what is stored: a stale entry is missed,
// never returned.

// sessionCacheMax bounds the entries; past it, an arbitrary one makes room.
const sessionCacheMax = 4096

type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
}

type cachedSession struct {
	raw []byte        // the stored bytes, copied
	v   store.Session // what they decode to; never handed out, only copies of it
}

// decode returns the session raw (the stored value under id) decodes to.
func (c *sessionCache) decode(id string, raw []byte) (store.Session, error) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && bytes.Equal(e.raw, raw) {
		return cloneSession(e.v), nil
	}
	var v store.Session
	if err := json.Unmarshal(raw, &v); err != nil {
		return store.Session{}, fmt.Errorf("decode %q: %w", id, err)
	}
	c.add(id, bytes.Clone(raw), cloneSession(v))
	return v, nil
}

// add keeps v as what raw decodes to. The caller owns neither any more.
func (c *sessionCache) add(id string, raw []byte, v store.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedSession{}
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= sessionCacheMax {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = cachedSession{raw: raw, v: v}
}

// cloneSession copies v with nothing shared: a caller may change what it is given.
// TestCloneSessionSharesNothing fails when Session gains a field this does not copy.
func cloneSession(v store.Session) store.Session {
	v.ByFamily = maps.Clone(v.ByFamily)
	if v.PurposeFlag != nil {
		f := *v.PurposeFlag
		v.PurposeFlag = &f
	}
	if v.Intents != nil {
		in := make([]api.Intent, len(v.Intents))
		for i, x := range v.Intents {
			x.Evidence = slices.Clone(x.Evidence)
			in[i] = x
		}
		v.Intents = in
	}
	return v
}

// getSession reads the session id in b: ok is false when there is none.
func (s *Store) getSession(b interface{ Get([]byte) []byte }, id string) (v store.Session, ok bool, err error) {
	raw := b.Get([]byte(id))
	if raw == nil {
		return store.Session{}, false, nil
	}
	v, err = s.sessions.decode(id, raw)
	return v, err == nil, err
}

// putCounted stores cur, a session as getSession read it with only its counters and version
// changed, and keeps it decoded: encoding/json decodes what it encoded from such a session
// to the same session (its strings valid UTF-8 and its times without a monotonic reading, as
// decoded), the counters' family names checked here.
func (s *Store) putCounted(b wbucket, cur store.Session) error {
	raw, err := json.Marshal(cur)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := b.Put([]byte(cur.ID), raw); err != nil {
		return err
	}
	for k := range cur.ByFamily {
		if !utf8.ValidString(k) {
			return nil // would decode to another name: read back when next asked for
		}
	}
	s.sessions.add(cur.ID, raw, cloneSession(cur))
	return nil
}
