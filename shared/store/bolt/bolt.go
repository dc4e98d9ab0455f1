package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/mandate-dev/mandate/shared/store"
)

// DefaultOpenTimeout is how long Open waits for another process to release the file lock.
const DefaultOpenTimeout = 2 * time.Second

// FileMode is the permission of a newly created store file: owner only, since it holds
// masked prompts and the audit chain.
const FileMode = 0o600

// itemOverhead is what a stored item costs beyond its string and byte fields (attribute
// names, numbers, times), matching the allowance DynamoDB's item size counts.
const itemOverhead = 256

// Bucket names.
var (
	bucketSessions  = []byte("sessions")
	bucketControls  = []byte("controls")
	bucketApprovals = []byte("approvals")
	bucketClaims    = []byte("claims")
	bucketAudit     = []byte("audit")
	documentBuckets = map[string][]byte{
		store.KindPolicies: []byte(store.KindPolicies),
		store.KindIntents:  []byte(store.KindIntents),
		store.KindTargets:  []byte(store.KindTargets),
	}
)

// Store is store.Store over one bbolt file. It is safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	path string
	now  func() time.Time // the clock claim expiry is judged by
	// lock is the open lock file (FILE-lock) while this store holds it.
	lock *os.File
	// jmu is held by every read-write transaction and by the start and end of a new base,
	// so the journal's order is the order of commits.
	jmu sync.Mutex
	// j is the journal (journal.go); nil for a read-only store or one opened unjournaled.
	j *journal
	// rotateMu guards rotating (a new base is being written), closed (Close began: no new
	// base starts) and rotateErr (the last failure to write a base; nil once one succeeds).
	// closing stops a base being written; rotation waits for it.
	rotateMu         sync.Mutex
	rotating, closed bool
	rotateErr        error
	closing          atomic.Bool
	rotation         sync.WaitGroup
	// journalLimit is the journal size past which a new base is written; afterBaseRename,
	// when set (tests), runs between rotate's two renames.
	journalLimit    int64
	afterBaseRename func()
	// group commits chain appends and session updates in groups (group.go).
	group committer
	// writes is how batch commits: writesGroup except in benchmarks that compare.
	writes int
	// written counts successful writes, commits the transactions that made them durable.
	written, commits, fsyncs atomic.Uint64
	// deferred counts, per session, records queued by AppendRecordLater and not yet
	// committed or failed: a read of that session's chain waits for them.
	deferredMu sync.Mutex
	deferred   map[string]int
	// sweepFrom is the claim key the next SweepClaims reads from (nil: the first).
	sweepMu   sync.Mutex
	sweepFrom []byte
	// sessions keeps sessions decoded beside their stored bytes (sessions.go).
	sessions sessionCache
	// ops is the buffer a write transaction logs its changes in, kept for the next (under
	// jmu) unless it grew past maxKeptOps.
	ops []byte
}

// maxKeptOps bounds the journal buffer kept between transactions.
const maxKeptOps = 1 << 20

// Stats counts what a store has made durable since it was opened.
type Stats struct {
	// Writes is how many write calls succeeded; each was on disk when it returned.
	Writes uint64
	// Commits is how many read-write transactions were committed. Under group commit one
	// commit holds the writes of several callers.
	Commits uint64
	// Fsyncs is how many fsyncs those commits waited for: one per journaled commit that
	// changed something, two per commit bbolt synced itself (before the first base, or
	// unjournaled).
	Fsyncs uint64
}

// Stats returns the counts of writes and commits so far.
func (s *Store) Stats() Stats {
	return Stats{Writes: s.written.Load(), Commits: s.commits.Load(), Fsyncs: s.fsyncs.Load()}
}

// How Store.batch commits.
const (
	writesGroup = iota // committer: group commit without a timer
	writesSolo         // one transaction per write
)

func newStore(db *bbolt.DB, path string) *Store {
	s := &Store{db: db, path: path, now: time.Now, journalLimit: journalLimit}
	s.group = committer{update: s.write, commits: &s.commits}
	return s
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.DeferredAudit = (*Store)(nil)
)

// Open opens or creates the store file at path and its buckets, for this process alone: it
// returns ErrInUse if another process holds the file after DefaultOpenTimeout. A store an
// unclean stop left behind is first brought up to date from its journal (journal.go). The
// caller MUST Close it.
func Open(path string) (*Store, error) {
	return open(path, true)
}

func open(path string, journaled bool) (_ *Store, err error) {
	lock, err := lockWriter(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	if err := recoverJournal(path); err != nil {
		return nil, fmt.Errorf("bolt: open %s: recover: %w", path, err)
	}
	db, err := bbolt.Open(path, FileMode, &bbolt.Options{Timeout: DefaultOpenTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrInUse, path)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		names := [][]byte{bucketSessions, bucketControls, bucketApprovals, bucketClaims, bucketAudit}
		for _, b := range documentBuckets {
			names = append(names, b)
		}
		for _, name := range names {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	var j *journal
	if err == nil && journaled {
		// Until the first base is on disk bbolt fsyncs every commit as well, so the store
		// file stays whole and this journal replays onto it.
		if j, err = createJournal(path+journalSuffix, nil); err == nil {
			if err = syncDir(path); err != nil {
				j.f.Close()
			}
		}
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	s := newStore(db, path)
	s.lock, s.j = lock, j
	if j != nil {
		s.startRotation()
	}
	return s, nil
}

// lockWriter takes the store's lock for a writer (FILE-lock), waiting DefaultOpenTimeout;
// ErrInUse if another process holds it.
func lockWriter(path string) (*os.File, error) {
	lock, err := lockFile(path+lockSuffix, true, DefaultOpenTimeout)
	switch {
	case errors.Is(err, ErrInUse):
		return nil, fmt.Errorf("%w: %s", ErrInUse, path)
	case err != nil:
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	return lock, nil
}

// Close commits the deferred writes and releases the file. A store whose journal is healthy
// fsyncs its file and removes its journal and base, so the next Open has nothing to replay.
func (s *Store) Close() error {
	s.group.sync()
	s.stopRotation()
	var err error
	if s.j != nil {
		err = s.closeJournal()
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if s.lock != nil {
		s.lock.Close()
	}
	if err != nil {
		return fmt.Errorf("bolt: close: %w", err)
	}
	return nil
}

// closeJournal ends a journaled store cleanly: the store file fsynced, then the journal and
// the base removed, so the next Open has nothing to replay. A journal that failed stays for
// the next Open to replay.
func (s *Store) closeJournal() error {
	s.jmu.Lock()
	defer s.jmu.Unlock()
	cerr := s.j.f.Close()
	if s.j.err != nil {
		return nil
	}
	if err := s.db.Sync(); err != nil {
		return err
	}
	if cerr != nil {
		return cerr
	}
	if err := os.Remove(s.path + journalSuffix); err != nil {
		return err
	}
	if err := syncDir(s.path); err != nil {
		return err
	}
	if err := os.Remove(s.path + baseSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// write runs fn in a read-write transaction and, when it changed something, appends its
// changes to the journal and fsyncs it before bbolt commits (journal.go). It is the only way
// the store writes.
func (s *Store) write(fn func(*wtx) error) error {
	s.jmu.Lock()
	defer s.jmu.Unlock()
	j := s.j
	if j != nil && j.err != nil {
		return j.err
	}
	journaled := false
	err := s.db.Update(func(tx *bbolt.Tx) error {
		w := &wtx{tx: tx, ops: s.ops[:0]}
		defer func() {
			if cap(w.ops) <= maxKeptOps {
				s.ops = w.ops[:0]
			}
		}()
		if err := fn(w); err != nil {
			return err
		}
		if j == nil || len(w.ops) == 0 {
			return nil
		}
		if err := j.append(w.ops); err != nil {
			return err
		}
		journaled = true
		return nil
	})
	switch {
	case err != nil && journaled:
		// The journal holds a transaction bbolt did not commit.
		j.fail(err)
	case err != nil:
	case !s.db.NoSync:
		s.fsyncs.Add(2)
		if journaled {
			s.fsyncs.Add(1)
		}
	case journaled:
		s.fsyncs.Add(1)
	}
	// A journal past its limit starts a new base; before the first base is on disk this
	// also tries again one that failed (RotateErr), so the journal cannot grow for good.
	if journaled && err == nil && j.size > s.journalLimit {
		s.startRotation()
	}
	return err
}

// update runs fn in a read-write transaction of its own unless ctx is already done.
func (s *Store) update(ctx context.Context, fn func(*wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.write(fn); err != nil {
		return err
	}
	s.written.Add(1)
	s.commits.Add(1)
	return nil
}

// batch runs fn in a read-write transaction that may be shared with concurrent writes (group
// commit: one fsync for the group) unless ctx is already done, and returns once it is on disk.
// fn may run more than once, each time in a new transaction whose earlier effects were
// rolled back (a write of the group failed, or fn failed and runs again alone), so fn must
// read everything it decides on inside the transaction and never change what it captured.
func (s *Store) batch(ctx context.Context, fn func(*wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	switch s.writes {
	case writesSolo:
		err = s.write(fn)
		if err == nil {
			s.commits.Add(1)
		}
	default:
		err = s.group.do(fn)
	}
	if err == nil {
		s.written.Add(1)
	}
	return err
}

// view runs fn in a read-only transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// size is the item size store.MaxItemBytes limits: the bytes of its string and byte fields
// plus a fixed allowance for names and numbers.
func size(fields ...[]byte) int {
	n := itemOverhead
	for _, f := range fields {
		n += len(f)
	}
	return n
}

func tooLarge(what string, n int) error {
	return fmt.Errorf("bolt: %s is %d bytes, limit %d: %w", what, n, store.MaxItemBytes, store.ErrTooLarge)
}

func put(b wbucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return b.Put(key, data)
}

func get(b interface{ Get([]byte) []byte }, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// u64 is the big-endian key of a version or sequence number.
func u64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, n)
}

// --- sessions ---

func sessionSize(v store.Session) int {
	fields := [][]byte{[]byte(v.ID), []byte(v.Agent), []byte(v.AgentKind), []byte(v.Operator), []byte(v.PromptMasked), []byte(v.PromptHash), []byte(v.Purpose), []byte(v.Status)}
	for _, in := range v.Intents {
		fields = append(fields, []byte(in.Name), make([]byte, 16))
		for _, e := range in.Evidence {
			fields = append(fields, []byte(e))
		}
	}
	for k := range v.ByFamily {
		fields = append(fields, []byte(k), make([]byte, 8))
	}
	return size(fields...)
}

// CreateSession stores a new session; store.ErrExists if the id is taken.
func (s *Store) CreateSession(ctx context.Context, v store.Session) error {
	if v.ID == "" {
		return errors.New("bolt: create session: empty id")
	}
	if n := sessionSize(v); n > store.MaxItemBytes {
		return tooLarge("session "+v.ID, n)
	}
	return s.update(ctx, func(tx *wtx) error {
		b := tx.Bucket(bucketSessions)
		if b.Get([]byte(v.ID)) != nil {
			return fmt.Errorf("bolt: create session %q: %w", v.ID, store.ErrExists)
		}
		return put(b, []byte(v.ID), v)
	})
}

// GetSession returns the session; store.ErrNotFound if there is none.
func (s *Store) GetSession(ctx context.Context, id string) (store.Session, error) {
	var v store.Session
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var ok bool
		var err error
		v, ok, err = s.getSession(tx.Bucket(bucketSessions), id)
		if err == nil && !ok {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.Session{}, fmt.Errorf("bolt: get session %q: %w", id, err)
	}
	return v, nil
}

// UpdateSession replaces the session if the stored Version equals v.Version, storing
// v.Version+1; store.ErrConflict if it does not, store.ErrNotFound if there is none.
func (s *Store) UpdateSession(ctx context.Context, v store.Session) error {
	if n := sessionSize(v); n > store.MaxItemBytes {
		return tooLarge("session "+v.ID, n)
	}
	next := v
	next.Version++
	err := s.batch(ctx, func(tx *wtx) error {
		b := tx.Bucket(bucketSessions)
		cur, ok, err := s.getSession(b, v.ID)
		switch {
		case err != nil:
			return err
		case !ok:
			return store.ErrNotFound
		case cur.Version != v.Version:
			return fmt.Errorf("%w: stored version %d, update from %d", store.ErrConflict, cur.Version, v.Version)
		}
		return put(b, []byte(v.ID), next)
	})
	if err != nil {
		return fmt.Errorf("bolt: update session %q: %w", v.ID, err)
	}
	return nil
}

// --- controls ---

func validScope(scope string) bool {
	switch scope {
	case store.ScopeGlobal, store.ScopeAgent, store.ScopeOperator, store.ScopeSession:
		return true
	}
	return false
}

func controlKey(scope, id string) []byte {
	return []byte(scope + "#" + id)
}

// PutControl creates or replaces a kill switch.
func (s *Store) PutControl(ctx context.Context, c store.Control) error {
	if !validScope(c.Scope) || c.ID == "" {
		return fmt.Errorf("bolt: put control: invalid key %q#%q", c.Scope, c.ID)
	}
	if n := size([]byte(c.Scope), []byte(c.ID), []byte(c.Reason), []byte(c.By)); n > store.MaxItemBytes {
		return tooLarge("control", n)
	}
	return s.update(ctx, func(tx *wtx) error {
		return put(tx.Bucket(bucketControls), controlKey(c.Scope, c.ID), c)
	})
}

// DeleteControl lifts a kill switch; store.ErrNotFound if none was set.
func (s *Store) DeleteControl(ctx context.Context, scope, id string) error {
	err := s.update(ctx, func(tx *wtx) error {
		b := tx.Bucket(bucketControls)
		k := controlKey(scope, id)
		if b.Get(k) == nil {
			return store.ErrNotFound
		}
		return b.Delete(k)
	})
	if err != nil {
		return fmt.Errorf("bolt: delete control %q#%q: %w", scope, id, err)
	}
	return nil
}

// FindControls returns those of keys that are set, each once, in the order of keys.
func (s *Store) FindControls(ctx context.Context, keys []store.ControlKey) ([]store.Control, error) {
	var out []store.Control
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketControls)
		seen := map[store.ControlKey]bool{}
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			var c store.Control
			ok, err := get(b, controlKey(k.Scope, k.ID), &c)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: find controls: %w", err)
	}
	return out, nil
}

// ListControls returns every set kill switch, ordered by scope and id.
func (s *Store) ListControls(ctx context.Context) ([]store.Control, error) {
	var out []store.Control
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketControls).ForEach(func(k, v []byte) error {
			var c store.Control
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: list controls: %w", err)
	}
	return out, nil
}

// --- approvals ---

func approvalSize(a store.Approval) int {
	fields := [][]byte{[]byte(a.ID), []byte(a.SessionID), []byte(a.Digest), []byte(a.Status), []byte(a.Agent), []byte(a.Operator), a.Action, []byte(a.DecidedBy)}
	for _, r := range a.Reasons {
		fields = append(fields, []byte(r))
	}
	return size(fields...)
}

// CreateApproval stores a new approval; store.ErrExists if the id is taken.
func (s *Store) CreateApproval(ctx context.Context, a store.Approval) error {
	if a.ID == "" {
		return errors.New("bolt: create approval: empty id")
	}
	if n := approvalSize(a); n > store.MaxItemBytes {
		return tooLarge("approval "+a.ID, n)
	}
	return s.update(ctx, func(tx *wtx) error {
		b := tx.Bucket(bucketApprovals)
		if b.Get([]byte(a.ID)) != nil {
			return fmt.Errorf("bolt: create approval %q: %w", a.ID, store.ErrExists)
		}
		return put(b, []byte(a.ID), a)
	})
}

// GetApproval returns the approval; store.ErrNotFound if there is none.
func (s *Store) GetApproval(ctx context.Context, id string) (store.Approval, error) {
	var a store.Approval
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		ok, err := get(tx.Bucket(bucketApprovals), []byte(id), &a)
		if err == nil && !ok {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.Approval{}, fmt.Errorf("bolt: get approval %q: %w", id, err)
	}
	return a, nil
}

// ListApprovals returns approvals with the given status ("" for all), ordered by id.
func (s *Store) ListApprovals(ctx context.Context, status string) ([]store.Approval, error) {
	var out []store.Approval
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketApprovals).ForEach(func(k, v []byte) error {
			var a store.Approval
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			if status == "" || a.Status == status {
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: list approvals: %w", err)
	}
	return out, nil
}

// modifyApproval applies change to the stored approval in one transaction; change returns
// an error (store.ErrConflict) to leave it as it is.
func (s *Store) modifyApproval(ctx context.Context, id string, change func(a *store.Approval) error) error {
	return s.update(ctx, func(tx *wtx) error {
		b := tx.Bucket(bucketApprovals)
		var a store.Approval
		ok, err := get(b, []byte(id), &a)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		if err := change(&a); err != nil {
			return err
		}
		return put(b, []byte(id), a)
	})
}

// DecideApproval moves a pending approval to approved or denied; store.ErrConflict if it is
// not pending or not the approval the decider read, store.ErrNotFound if there is none.
func (s *Store) DecideApproval(ctx context.Context, read store.Approval, status, by string, at time.Time) error {
	id := read.ID
	if status != store.ApprovalApproved && status != store.ApprovalDenied {
		return fmt.Errorf("bolt: decide approval %q: invalid decision %q", id, status)
	}
	err := s.modifyApproval(ctx, id, func(a *store.Approval) error {
		switch {
		case a.Status != store.ApprovalPending:
			return fmt.Errorf("%w: approval is %s", store.ErrConflict, a.Status)
		case a.Digest != read.Digest || a.SessionID != read.SessionID || !a.ExpiresAt.Equal(read.ExpiresAt):
			return fmt.Errorf("%w: approval changed since it was read", store.ErrConflict)
		}
		a.Status, a.DecidedBy, a.DecidedAt = status, by, at
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: decide approval %q: %w", id, err)
	}
	return nil
}

// ConsumeApproval moves an approved, unexpired approval with the given digest to consumed,
// once; store.ErrConflict otherwise, store.ErrNotFound if there is none.
func (s *Store) ConsumeApproval(ctx context.Context, id, digest string, now time.Time) error {
	err := s.modifyApproval(ctx, id, func(a *store.Approval) error {
		switch {
		case a.Status != store.ApprovalApproved:
			return fmt.Errorf("%w: approval is %s", store.ErrConflict, a.Status)
		case a.Digest != digest:
			return fmt.Errorf("%w: approval is for another action", store.ErrConflict)
		case !a.ExpiresAt.After(now):
			return fmt.Errorf("%w: approval expired", store.ErrConflict)
		}
		a.Status = store.ApprovalConsumed
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: consume approval %q: %w", id, err)
	}
	return nil
}

// --- documents ---

func documentBucket(kind string) ([]byte, error) {
	b, ok := documentBuckets[kind]
	if !ok {
		return nil, fmt.Errorf("unknown document kind %q", kind)
	}
	return b, nil
}

// PutDocument stores a new version; store.ErrExists if that version is taken.
func (s *Store) PutDocument(ctx context.Context, d store.Document) error {
	bucket, err := documentBucket(d.Kind)
	if err != nil {
		return fmt.Errorf("bolt: put document: %w", err)
	}
	if d.Name == "" || d.Version < 1 {
		return fmt.Errorf("bolt: put document %s %q v%d: name must be set and version at least 1", d.Kind, d.Name, d.Version)
	}
	if n := size([]byte(d.Kind), []byte(d.Name), d.Body, []byte(d.CreatedBy)); n > store.MaxItemBytes {
		return tooLarge(fmt.Sprintf("document %s %q v%d", d.Kind, d.Name, d.Version), n)
	}
	err = s.update(ctx, func(tx *wtx) error {
		b, err := tx.Bucket(bucket).CreateBucketIfNotExists([]byte(d.Name))
		if err != nil {
			return err
		}
		k := u64(uint64(d.Version))
		if b.Get(k) != nil {
			return store.ErrExists
		}
		return put(b, k, d)
	})
	if err != nil {
		return fmt.Errorf("bolt: put document %s %q v%d: %w", d.Kind, d.Name, d.Version, err)
	}
	return nil
}

// GetDocument returns one version; store.ErrNotFound if there is none.
func (s *Store) GetDocument(ctx context.Context, kind, name string, version int64) (store.Document, error) {
	bucket, err := documentBucket(kind)
	if err != nil {
		return store.Document{}, fmt.Errorf("bolt: get document: %w", err)
	}
	var d store.Document
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket).Bucket([]byte(name))
		if b == nil || version < 1 {
			return store.ErrNotFound
		}
		ok, err := get(b, u64(uint64(version)), &d)
		if err == nil && !ok {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.Document{}, fmt.Errorf("bolt: get document %s %q v%d: %w", kind, name, version, err)
	}
	return d, nil
}

// LatestDocument returns the highest version; store.ErrNotFound if there is none.
func (s *Store) LatestDocument(ctx context.Context, kind, name string) (store.Document, error) {
	bucket, err := documentBucket(kind)
	if err != nil {
		return store.Document{}, fmt.Errorf("bolt: latest document: %w", err)
	}
	var d store.Document
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket).Bucket([]byte(name))
		if b == nil {
			return store.ErrNotFound
		}
		k, v := b.Cursor().Last()
		if k == nil {
			return store.ErrNotFound
		}
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		return nil
	})
	if err != nil {
		return store.Document{}, fmt.Errorf("bolt: latest document %s %q: %w", kind, name, err)
	}
	return d, nil
}

// --- claims ---

// ClaimKey takes c.Key once. If the key is held and unexpired it returns the existing claim
// and store.ErrExists; an expired claim is replaced.
func (s *Store) ClaimKey(ctx context.Context, c store.Claim) (store.Claim, error) {
	if err := checkClaim(c); err != nil {
		return store.Claim{}, err
	}
	var held store.Claim
	err := s.update(ctx, func(tx *wtx) error {
		var err error
		held, err = s.claimIn(tx, c)
		return err
	})
	if errors.Is(err, store.ErrExists) {
		return held, fmt.Errorf("bolt: claim %q: %w", c.Key, err)
	}
	if err != nil {
		return store.Claim{}, fmt.Errorf("bolt: claim %q: %w", c.Key, err)
	}
	return c, nil
}

// checkClaim refuses a claim that is malformed or too large.
func checkClaim(c store.Claim) error {
	if c.Key == "" {
		return errors.New("bolt: claim: empty key")
	}
	if n := size([]byte(c.Key), []byte(c.Digest), c.Result); n > store.MaxItemBytes {
		return tooLarge("claim", n)
	}
	return nil
}

// claimIn takes c.Key in tx; store.ErrExists, with the claim that holds it, if it is held
// and unexpired.
func (s *Store) claimIn(tx *wtx, c store.Claim) (store.Claim, error) {
	b := tx.Bucket(bucketClaims)
	var held store.Claim
	ok, err := get(b, []byte(c.Key), &held)
	if err != nil {
		return store.Claim{}, err
	}
	if ok && held.ExpiresAt.After(s.now()) {
		return held, store.ErrExists
	}
	return store.Claim{}, put(b, []byte(c.Key), c)
}

// SweepClaims deletes expired claims. It reads at most budget claims, from where the last
// sweep stopped and wrapping at the end, so a sweep's cost is bounded however many claims the
// file holds; it returns how many it deleted. An expired claim answers as none (ClaimKey
// replaces it, HeldClaim reports it missing), so deleting it changes no answer; unswept, the
// claim of every signed request stayed in the file for good (DynamoDB's TTL removes them
// there). Reading writes nothing: a sweep that finds nothing expired commits nothing, and its
// deletions are not counted in Stats' Writes.
func (s *Store) SweepClaims(ctx context.Context, budget int) (int, error) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	now := s.now()
	var expired [][]byte
	var next []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketClaims).Cursor()
		k, v := c.Seek(s.sweepFrom)
		for n := 0; k != nil && n < budget; n++ {
			if claimExpired(v, now) {
				expired = append(expired, slices.Clone(k))
			}
			k, v = c.Next()
		}
		next = slices.Clone(k) // nil at the end: the next sweep starts over
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bolt: sweep claims: %w", err)
	}
	s.sweepFrom = next
	if len(expired) == 0 {
		return 0, nil
	}
	deleted := 0
	err = s.group.do(func(tx *wtx) error {
		deleted = 0
		b := tx.Bucket(bucketClaims)
		for _, k := range expired {
			// Taken again since it was read: a fresh claim stays.
			if v := b.Get(k); v != nil && claimExpired(v, now) {
				if err := b.Delete(k); err != nil {
					return err
				}
				deleted++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bolt: sweep claims: %w", err)
	}
	return deleted, nil
}

// claimExpired reports whether the stored claim v expired at or before now; a value that does
// not decode is kept.
func claimExpired(v []byte, now time.Time) bool {
	var c struct{ ExpiresAt time.Time }
	return json.Unmarshal(v, &c) == nil && !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(now)
}

// --- decisions ---

// Commit implements store.Decisions: the claim, the counters and the record in one
// transaction, joined to the group commit (one fsync shared with concurrent writes).
func (s *Store) Commit(ctx context.Context, d store.Decision) error {
	r := d.Record
	if err := checkRecord(r); err != nil {
		return err
	}
	if d.Claim != nil {
		if err := checkClaim(*d.Claim); err != nil {
			return err
		}
	}
	if d.Counted != nil && d.Counted.ID != r.SessionID {
		return fmt.Errorf("bolt: commit %q#%d: counters of another session %q", r.SessionID, r.Seq, d.Counted.ID)
	}
	err := s.batch(ctx, func(tx *wtx) error {
		if d.Claim != nil {
			if _, err := s.claimIn(tx, *d.Claim); errors.Is(err, store.ErrExists) {
				return store.ErrClaimed
			} else if err != nil {
				return err
			}
		}
		if d.Counted != nil {
			if err := s.countIn(tx, *d.Counted); err != nil {
				return err
			}
		}
		held, err := appendIn(tx, r)
		if held {
			return store.ErrExists // the claim and counters above belong to a new decision
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("bolt: commit %q#%d: %w", r.SessionID, r.Seq, err)
	}
	return nil
}

// countIn stores counted's counters and the next version if the stored version is still
// counted.Version.
func (s *Store) countIn(tx *wtx, counted store.Session) error {
	b := tx.Bucket(bucketSessions)
	cur, ok, err := s.getSession(b, counted.ID)
	switch {
	case err != nil:
		return err
	case !ok:
		return store.ErrNotFound
	case cur.Version != counted.Version:
		return fmt.Errorf("%w: stored version %d, counted from %d", store.ErrConflict, cur.Version, counted.Version)
	}
	cur.Actions, cur.ByFamily, cur.Version = counted.Actions, counted.ByFamily, cur.Version+1
	return s.putCounted(b, cur)
}

// HeldClaim returns the unexpired claim under key; store.ErrNotFound otherwise.
func (s *Store) HeldClaim(ctx context.Context, key string) (store.Claim, error) {
	var held store.Claim
	var ok bool
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		ok, err = get(tx.Bucket(bucketClaims), []byte(key), &held)
		return err
	})
	switch {
	case err != nil:
		return store.Claim{}, fmt.Errorf("bolt: claim %q: %w", key, err)
	case !ok || !held.ExpiresAt.After(s.now()):
		return store.Claim{}, fmt.Errorf("bolt: claim %q: %w", key, store.ErrNotFound)
	}
	return held, nil
}

// --- audit ---

// AppendRecord stores r; store.ErrExists if r.Seq is taken by a different record in that
// session. The identical record again is success.
func (s *Store) AppendRecord(ctx context.Context, r store.Record) error {
	if err := checkRecord(r); err != nil {
		return err
	}
	err := s.batch(ctx, func(tx *wtx) error {
		held, err := appendIn(tx, r)
		if held && err == nil {
			return nil // the identical record: an idempotent retry
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("bolt: append record %q#%d: %w", r.SessionID, r.Seq, err)
	}
	return nil
}

// AppendRecordLater stores r as AppendRecord does, without waiting: r rides the next commit
// of any write queued after it (which then commits after it or with it), or is committed on
// its own within DeferDelay, and then reports its outcome to done, on the committing
// goroutine (done must not block or write to the store). A malformed or too large record is
// refused at once and done is not called. A crash before the commit loses r and nothing
// queued after it.
func (s *Store) AppendRecordLater(r store.Record, done func(error)) error {
	if err := checkRecord(r); err != nil {
		return err
	}
	s.deferredMu.Lock()
	if s.deferred == nil {
		s.deferred = map[string]int{}
	}
	s.deferred[r.SessionID]++
	s.deferredMu.Unlock()
	s.group.later(func(tx *wtx) error {
		held, err := appendIn(tx, r)
		if held && err == nil {
			return nil
		}
		return err
	}, func(err error) {
		s.deferredMu.Lock()
		if s.deferred[r.SessionID]--; s.deferred[r.SessionID] <= 0 {
			delete(s.deferred, r.SessionID)
		}
		s.deferredMu.Unlock()
		if err != nil {
			err = fmt.Errorf("bolt: append record %q#%d: %w", r.SessionID, r.Seq, err)
		} else {
			s.written.Add(1)
		}
		done(err)
	})
	return nil
}

// settle returns once the deferred appends to session made before it are committed or
// failed; at once when there are none (another session's do not hold up this read).
func (s *Store) settle(session string) {
	s.deferredMu.Lock()
	n := s.deferred[session]
	s.deferredMu.Unlock()
	if n > 0 {
		s.group.sync()
	}
}

// checkRecord refuses a record that is malformed or too large.
func checkRecord(r store.Record) error {
	if r.SessionID == "" || r.Seq == 0 {
		return fmt.Errorf("bolt: append record %q#%d: session must be set and seq at least 1", r.SessionID, r.Seq)
	}
	if n := size([]byte(r.SessionID), []byte(r.Hash), []byte(r.PrevHash), r.Body); n > store.MaxItemBytes {
		return tooLarge(fmt.Sprintf("record %s#%d", r.SessionID, r.Seq), n)
	}
	return nil
}

// appendIn stores r in tx; store.ErrExists if another record holds r.Seq, or if r does not
// follow the record before it (none at r.Seq-1, or one whose hash is not r.PrevHash): a
// record built on a deferred append that was lost is refused, and its writer reads the head
// again. held reports that the identical record is already there (nothing written, no
// error).
func appendIn(tx *wtx, r store.Record) (held bool, err error) {
	b, err := tx.Bucket(bucketAudit).CreateBucketIfNotExists([]byte(r.SessionID))
	if err != nil {
		return false, err
	}
	k := u64(r.Seq)
	if data := b.Get(k); data != nil {
		cur, body, err := recordHead(data)
		switch {
		case err != nil:
			return false, fmt.Errorf("decode %s#%d: %w", r.SessionID, r.Seq, err)
		case sameRecord(cur, body, r):
			return true, nil
		}
		return false, store.ErrExists
	}
	if r.Seq > 1 {
		data := b.Get(u64(r.Seq - 1))
		if data == nil {
			return false, store.ErrExists
		}
		prev, _, err := recordHead(data)
		if err != nil {
			return false, fmt.Errorf("decode %s#%d: %w", r.SessionID, r.Seq-1, err)
		}
		if prev.Hash != r.PrevHash {
			return false, store.ErrExists
		}
	}
	return false, b.Put(k, EncodeRecord(r))
}

// sameRecord reports whether the stored head a with its body is r.
func sameRecord(a store.Record, body []byte, r store.Record) bool {
	return a.SessionID == r.SessionID && a.Seq == r.Seq && a.Hash == r.Hash && a.PrevHash == r.PrevHash && bytes.Equal(body, r.Body)
}

// LastRecord returns the record with the highest sequence; store.ErrNotFound for an empty
// chain.
func (s *Store) LastRecord(ctx context.Context, sessionID string) (store.Record, error) {
	s.settle(sessionID) // a read sees the deferred appends made before it
	var r store.Record
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit).Bucket([]byte(sessionID))
		if b == nil {
			return store.ErrNotFound
		}
		k, v := b.Cursor().Last()
		if k == nil {
			return store.ErrNotFound
		}
		var err error
		if r, err = DecodeRecord(v); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		return nil
	})
	if err != nil {
		return store.Record{}, fmt.Errorf("bolt: last record %q: %w", sessionID, err)
	}
	return r, nil
}

// Records returns up to limit records with Seq >= fromSeq in order (limit <= 0: all).
func (s *Store) Records(ctx context.Context, sessionID string, fromSeq uint64, limit int) ([]store.Record, error) {
	s.settle(sessionID) // a read sees the deferred appends made before it
	var out []store.Record
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit).Bucket([]byte(sessionID))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(u64(fromSeq)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			r, err := DecodeRecord(v)
			if err != nil {
				return fmt.Errorf("decode seq %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: records %q from %d: %w", sessionID, fromSeq, err)
	}
	return out, nil
}

// ChainHeads returns the sequence number of the last record of every session that has one,
// in one read: a shipper reads only the chains that grew.
func (s *Store) ChainHeads(ctx context.Context) (map[string]uint64, error) {
	s.group.settle() // a read sees the deferred appends made before it
	out := map[string]uint64{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		audit := tx.Bucket(bucketAudit)
		return audit.ForEachBucket(func(name []byte) error {
			if last, _ := audit.Bucket(name).Cursor().Last(); len(last) == 8 {
				out[string(name)] = binary.BigEndian.Uint64(last)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: chain heads: %w", err)
	}
	return out, nil
}

// Chains returns the ids of every session that has at least one record, sorted.
func (s *Store) Chains(ctx context.Context) ([]string, error) {
	heads, err := s.ChainHeads(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(heads)), nil
}
