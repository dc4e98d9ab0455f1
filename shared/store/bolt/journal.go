package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync/atomic"

	bbolt "go.etcd.io/bbolt"
)

// The journal makes a commit durable with one fsync instead of bbolt's two (its pages, then
// its meta page).
//
// Every read-write transaction writes what it changed (puts, deletes and new buckets, each
// with its bucket path) as one entry at the end of the journal file and fsyncs it, inside the
// transaction and before bbolt commits it; bbolt then commits without an fsync (NoSync). A
// commit is visible to readers only once its entry is on disk, and a failed append rolls the
// transaction back.
//
// bbolt without its fsyncs is not safe on power loss: a later transaction may overwrite pages
// the meta page on disk still points to. So the store file is not trusted after an unclean
// stop. What is trusted is the base, a copy of the store written and fsynced from one read
// transaction, and the journal of every transaction after it:
//
//	FILE-journal  absent: the store file is whole (a clean Close fsynced it, or bbolt
//	              fsynced every commit). Open uses it as it is.
//	FILE-journal  present, FILE-base absent: bbolt still fsynced every commit (the store
//	              runs so until its first base is on disk); Open replays the journal into the
//	              store file.
//	both present: the store file may be torn; Open replaces it with the base and replays
//	              the journal.
//
// Replay is idempotent in the way that matters: each entry sets keys to values or deletes
// them, so replaying a journal that starts at or before the base's transaction ends in the
// same state as replaying from exactly that transaction. That lets a new base and its
// shorter journal replace the old pair with two renames and no moment at which a crash
// leaves a pair that disagrees.
//
// A new base is written in the background when the journal passes journalLimit, and at every
// Open. A clean Close fsyncs the store file and removes the journal and the base.
//
// Entry format: the four bytes "MJE1", the payload's length (uint32, big-endian), the CRC-32C
// of the length and the payload (uint32), then the payload: a sequence of operations, each
// an op byte, the bucket path (a uvarint count, then each name as a uvarint length and its
// bytes), the key (uvarint length, bytes) and, for a put, the value (likewise). An append
// that a crash cut short is the journal's last entry: nothing is appended after an entry
// whose fsync did not return. So a damaged entry with no intact entry after it is that cut,
// and is dropped; a damaged entry followed by an intact one is damage, and Open refuses the
// store rather than drop acknowledged writes.

const (
	journalSuffix = "-journal"
	baseSuffix    = "-base"
	lockSuffix    = "-lock"
	tmpSuffix     = ".tmp"

	// journalMagic starts the journal file; entryMagic starts every entry.
	journalMagic = "MJOURNAL1\n"
	entryMagic   = "MJE1"
	entryHeader  = len(entryMagic) + 8
)

// journalLimit is the journal size past which a new base is written.
const journalLimit = 64 << 20

// Journal operations.
const (
	opPut    byte = 1
	opDelete byte = 2
	opBucket byte = 3 // create the bucket named by key under the path
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errJournalDamaged means the journal holds a damaged entry before intact ones.
var errJournalDamaged = errors.New("bolt: journal damaged")

// wtx is a read-write transaction whose changes are journaled. Every write function writes
// through it; reads go to tx directly or through its buckets.
type wtx struct {
	tx  *bbolt.Tx
	ops []byte
}

// Bucket returns the top-level bucket name.
func (w *wtx) Bucket(name []byte) wbucket {
	return wbucket{w: w, b: w.tx.Bucket(name), path: [][]byte{name}}
}

// wbucket is a bucket of a wtx: its writes are journaled under its path.
type wbucket struct {
	w    *wtx
	b    *bbolt.Bucket
	path [][]byte
}

func (b wbucket) Get(k []byte) []byte { return b.b.Get(k) }

func (b wbucket) Put(k, v []byte) error {
	if err := b.b.Put(k, v); err != nil {
		return err
	}
	b.w.log(opPut, b.path, k, v)
	return nil
}

func (b wbucket) Delete(k []byte) error {
	if err := b.b.Delete(k); err != nil {
		return err
	}
	b.w.log(opDelete, b.path, k, nil)
	return nil
}

// CreateBucketIfNotExists returns the bucket name under b, creating it if it is missing.
func (b wbucket) CreateBucketIfNotExists(name []byte) (wbucket, error) {
	c := b.b.Bucket(name)
	if c == nil {
		var err error
		if c, err = b.b.CreateBucket(name); err != nil {
			return wbucket{}, err
		}
		b.w.log(opBucket, b.path, name, nil)
	}
	path := append(append(make([][]byte, 0, len(b.path)+1), b.path...), name)
	return wbucket{w: b.w, b: c, path: path}, nil
}

func (w *wtx) log(op byte, path [][]byte, k, v []byte) {
	w.ops = append(w.ops, op)
	w.ops = binary.AppendUvarint(w.ops, uint64(len(path)))
	for _, p := range path {
		w.ops = appendBytes(w.ops, p)
	}
	w.ops = appendBytes(w.ops, k)
	if op == opPut {
		w.ops = appendBytes(w.ops, v)
	}
}

func appendBytes(dst, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
}

// appendEntry appends the journal entry of payload to dst.
func appendEntry(dst, payload []byte) []byte {
	dst = append(dst, entryMagic...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	crc := crc32.Update(0, castagnoli, dst[len(dst)-4:])
	crc = crc32.Update(crc, castagnoli, payload)
	dst = binary.BigEndian.AppendUint32(dst, crc)
	return append(dst, payload...)
}

// entryAt returns the payload of an intact entry at the start of data.
func entryAt(data []byte) (payload []byte, ok bool) {
	if len(data) < entryHeader || string(data[:len(entryMagic)]) != entryMagic {
		return nil, false
	}
	n := binary.BigEndian.Uint32(data[len(entryMagic):])
	if n == 0 || uint64(len(data)-entryHeader) < uint64(n) {
		return nil, false
	}
	crc := crc32.Update(0, castagnoli, data[len(entryMagic):len(entryMagic)+4])
	payload = data[entryHeader : entryHeader+int(n)]
	if crc32.Update(crc, castagnoli, payload) != binary.BigEndian.Uint32(data[len(entryMagic)+4:]) {
		return nil, false
	}
	return payload, true
}

// readJournal returns the payloads of the journal's entries. A damaged tail (an append a
// crash cut short) is dropped; a damaged entry followed by an intact one is
// errJournalDamaged.
func readJournal(data []byte) (entries [][]byte, err error) {
	if !bytes.HasPrefix(data, []byte(journalMagic)) {
		if len(data) < len(journalMagic) && bytes.HasPrefix([]byte(journalMagic), data) {
			return nil, nil // the header itself was cut: no entry was ever appended
		}
		return nil, fmt.Errorf("%w: not a journal", errJournalDamaged)
	}
	off := len(journalMagic)
	for off < len(data) {
		payload, ok := entryAt(data[off:])
		if !ok {
			for p := off + 1; p < len(data); p++ {
				if _, ok := entryAt(data[p:]); ok {
					return nil, fmt.Errorf("%w: entry at byte %d is damaged and an intact one follows at byte %d", errJournalDamaged, off, p)
				}
			}
			break
		}
		entries = append(entries, payload)
		off += entryHeader + len(payload)
	}
	return entries, nil
}

// replay applies one entry's operations in tx.
func replay(tx *bbolt.Tx, p []byte) error {
	next := func() ([]byte, error) {
		n, k := binary.Uvarint(p)
		if k <= 0 || uint64(len(p)-k) < n {
			return nil, errors.New("truncated operation")
		}
		b := p[k : k+int(n)]
		p = p[k+int(n):]
		return b, nil
	}
	for len(p) > 0 {
		op := p[0]
		p = p[1:]
		depth, k := binary.Uvarint(p)
		if k <= 0 || depth == 0 || depth > 16 {
			return errors.New("bad bucket path")
		}
		p = p[k:]
		path := make([][]byte, depth)
		for i := range path {
			var err error
			if path[i], err = next(); err != nil {
				return err
			}
		}
		key, err := next()
		if err != nil {
			return err
		}
		var val []byte
		if op == opPut {
			if val, err = next(); err != nil {
				return err
			}
		}
		// Buckets on the path are created as needed: a delete under a missing one has
		// nothing to delete.
		b, err := tx.CreateBucketIfNotExists(path[0])
		if err != nil {
			return err
		}
		for _, name := range path[1:] {
			if b, err = b.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		switch op {
		case opPut:
			err = b.Put(key, val)
		case opDelete:
			err = b.Delete(key)
		case opBucket:
			_, err = b.CreateBucketIfNotExists(key)
		default:
			err = fmt.Errorf("unknown operation %d", op)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// recoverJournal brings the store file at path up to date from its base and journal, if an
// unclean stop left them, and removes them; the caller holds the store's lock.
func recoverJournal(path string) error {
	jpath, bpath := path+journalSuffix, path+baseSuffix
	for _, p := range []string{jpath + tmpSuffix, bpath + tmpSuffix} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	data, err := os.ReadFile(jpath)
	if errors.Is(err, os.ErrNotExist) {
		// Clean: a base without a journal is one a Close did not get to remove.
		if err := os.Remove(bpath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	entries, err := readJournal(data)
	if err != nil {
		return fmt.Errorf("%s: %w", jpath, err)
	}
	switch _, err := os.Stat(bpath); {
	case err == nil:
		if err := os.Rename(bpath, path); err != nil {
			return err
		}
		if err := syncDir(path); err != nil {
			return err
		}
	case !errors.Is(err, os.ErrNotExist):
		return err // never replay onto a file that may be torn because its base went unseen
	default:
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("the store file is missing beside its journal %s: %w", jpath, err)
		}
	}
	db, err := bbolt.Open(path, FileMode, &bbolt.Options{Timeout: DefaultOpenTimeout})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for i, e := range entries {
			if err := replay(tx, e); err != nil {
				return fmt.Errorf("%s: entry %d: %w", jpath, i+1, err)
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Remove(jpath); err != nil {
		return err
	}
	return syncDir(path)
}

// journalChunk is how far ahead of its entries the journal file is filled with zeros: an
// entry written over blocks the file already has is made durable by fdatasync without a
// change to the file's size or extents (15-30% faster on ext4, BENCHMARKS.md). Replay reads
// the zeros as the end of the journal.
const journalChunk = 4 << 20

// journal is the open journal file of a store.
type journal struct {
	f     *os.File
	size  int64 // the end of the last entry appended
	alloc int64 // the file's length: zeros from size on
	buf   []byte
	// err is set once an append failed, or a transaction whose entry was appended failed to
	// commit: the journal and the store file may disagree until Open replays the journal, so
	// every later write fails.
	err error
}

// createJournal creates an empty journal at path and fsyncs it and its directory.
func createJournal(path string, rest []byte) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return nil, err
	}
	data := append([]byte(journalMagic), rest...)
	j := &journal{f: f, size: int64(len(data))}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := j.extend(j.size); err != nil {
		f.Close()
		return nil, err
	}
	if err := datasync(f); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// zeros is what extend writes, a chunk at a time.
var zeros [journalChunk]byte

// extend fills the file with zeros past end, one chunk or more.
func (j *journal) extend(end int64) error {
	at := max(j.alloc, j.size)
	for stop := at + max(journalChunk, end-j.alloc); at < stop; {
		n, err := j.f.WriteAt(zeros[:min(int64(len(zeros)), stop-at)], at)
		if err != nil {
			return err
		}
		at += int64(n)
		j.alloc = at
	}
	return nil
}

// append writes payload as one entry and fsyncs it.
func (j *journal) append(payload []byte) error {
	if j.err != nil {
		return j.err
	}
	j.buf = appendEntry(j.buf[:0], payload)
	if end := j.size + int64(len(j.buf)); end > j.alloc {
		if err := j.extend(end); err != nil {
			j.fail(err)
			return j.err
		}
	}
	if _, err := j.f.WriteAt(j.buf, j.size); err != nil {
		j.fail(err)
		return j.err
	}
	if err := datasync(j.f); err != nil {
		j.fail(err)
		return j.err
	}
	j.size += int64(len(j.buf))
	return nil
}

func (j *journal) fail(err error) {
	if j.err == nil {
		j.err = fmt.Errorf("bolt: journal: %w; the store takes no more writes until it is opened again", err)
	}
}

// syncDir fsyncs the directory holding path, so renames and removals in it are durable.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// startRotation writes a new base in the background unless one is being written.
func (s *Store) startRotation() {
	s.rotateMu.Lock()
	defer s.rotateMu.Unlock()
	if s.closed || s.rotating {
		return
	}
	s.rotating = true
	s.rotation.Add(1)
	go func() {
		defer s.rotation.Done()
		err := s.rotate()
		s.rotateMu.Lock()
		s.rotating, s.rotateErr = false, err
		s.rotateMu.Unlock()
	}()
}

// stopRotation stops a base being written, waits for it, and starts no other.
func (s *Store) stopRotation() {
	s.rotateMu.Lock()
	s.closed = true
	s.rotateMu.Unlock()
	s.closing.Store(true)
	s.rotation.Wait()
}

// RotateErr returns why the last new base could not be written, or nil. The store stays
// durable without one: the journal grows, or bbolt goes on fsyncing every commit.
func (s *Store) RotateErr() error {
	s.rotateMu.Lock()
	defer s.rotateMu.Unlock()
	return s.rotateErr
}

// errClosing stops a base that Close overtook.
var errClosing = errors.New("bolt: closing")

// rotate writes the store as of one read transaction to a new base, then, with two renames,
// puts it and a journal of only the later entries in place of the old pair; from then on
// bbolt commits without fsyncs.
func (s *Store) rotate() error {
	jpath, bpath := s.path+journalSuffix, s.path+baseSuffix
	s.jmu.Lock()
	tx, err := s.db.Begin(false)
	from := s.j.size
	s.jmu.Unlock()
	if err != nil {
		return err
	}
	err = writeBase(tx, bpath+tmpSuffix, &s.closing)
	// The read transaction ends before the lock is taken again: a commit that must grow
	// bbolt's memory map waits for every read transaction while holding jmu.
	_ = tx.Rollback()
	if err != nil {
		_ = os.Remove(bpath + tmpSuffix)
		return err
	}
	s.jmu.Lock()
	defer s.jmu.Unlock()
	if err := s.j.err; err != nil {
		_ = os.Remove(bpath + tmpSuffix)
		return err
	}
	rest := make([]byte, s.j.size-from)
	if _, err := s.j.f.ReadAt(rest, from); err != nil {
		_ = os.Remove(bpath + tmpSuffix)
		return err
	}
	nj, err := createJournal(jpath+tmpSuffix, rest)
	if err != nil {
		_ = os.Remove(bpath + tmpSuffix)
		return err
	}
	// The base first: with it and the old journal, replay still ends in the same state.
	if err := os.Rename(bpath+tmpSuffix, bpath); err != nil {
		nj.f.Close()
		_ = os.Remove(bpath + tmpSuffix)
		_ = os.Remove(jpath + tmpSuffix)
		return err
	}
	if s.afterBaseRename != nil {
		s.afterBaseRename()
	}
	if err := os.Rename(jpath+tmpSuffix, jpath); err != nil {
		nj.f.Close()
		_ = os.Remove(jpath + tmpSuffix)
		return err
	}
	s.j.f.Close()
	nj.buf = s.j.buf
	s.j = nj
	if err := syncDir(s.path); err != nil {
		// Entries appended from now on might sit in a journal the directory does not yet
		// name after a crash.
		nj.fail(err)
		return err
	}
	s.db.NoSync = true
	return nil
}

// writeBase writes tx's view of the store to path and fsyncs it.
func writeBase(tx *bbolt.Tx, path string, closing *atomic.Bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return err
	}
	_, err = tx.WriteTo(stopWriter{f, closing})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// stopWriter fails its writes once stop is set.
type stopWriter struct {
	f    *os.File
	stop *atomic.Bool
}

func (w stopWriter) Write(p []byte) (int, error) {
	if w.stop.Load() {
		return 0, errClosing
	}
	return w.f.Write(p)
}
