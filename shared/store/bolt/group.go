package bolt

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	bbolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many writes share one transaction.
const maxGroup = 1000

// committer is group commit without a timer. A write that finds no commit in flight commits
// at once, so a lone writer pays one transaction and one fsync, as with Update. Writes that
// arrive while a commit is in flight queue; when it ends, the first of them commits the whole
// queue in one transaction and one fsync. Under load a group is as large as what arrived
// during one fsync.
//
// bbolt's DB.Batch groups by a timer instead (MaxBatchDelay): every write waits for it, and
// Go timers below a millisecond fire late on an idle or loaded machine, which made a lone
// writer several times slower (BENCHMARKS.md, Store). Its re-run semantics are kept here: a
// write function may run more than once, each time in a fresh transaction.
type committer struct {
	db    *bbolt.DB
	mu    sync.Mutex
	busy  bool // a leader is committing
	queue []*write
	// commits counts committed transactions (Store.Stats); nil counts nothing.
	commits *atomic.Uint64
}

type write struct {
	fn   func(*bbolt.Tx) error
	done chan error // capacity 1: errLead once, then the result
}

// errLead tells a queued write that it commits the queue next.
var errLead = errors.New("bolt: lead the next group")

// do runs fn in a read-write transaction, perhaps shared with concurrent writes, and returns
// once that transaction is on disk (or fn's own error).
func (c *committer) do(fn func(*bbolt.Tx) error) error {
	w := &write{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, w)
	lead := !c.busy
	c.busy = true
	c.mu.Unlock()
	if !lead {
		if err := <-w.done; err != errLead {
			return err
		}
	}
	c.mu.Lock()
	n := min(len(c.queue), maxGroup)
	group := slices.Clone(c.queue[:n])
	c.queue = slices.Delete(c.queue, 0, n)
	c.mu.Unlock()

	c.commit(group)

	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].done <- errLead
	} else {
		c.busy = false
	}
	c.mu.Unlock()
	return <-w.done
}

// commit runs every write of group in one transaction and delivers the results. A write
// whose function fails is taken out of the group, which runs again without it; the failed
// write then runs again alone, so its error comes from a transaction of its own.
func (c *committer) commit(group []*write) {
	var alone []*write
	for len(group) > 0 {
		failed := -1
		err := c.db.Update(func(tx *bbolt.Tx) error {
			for i, w := range group {
				if err := call(w.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			alone = append(alone, group[failed])
			group = slices.Delete(group, failed, failed+1)
			continue
		}
		if err == nil {
			c.count()
		}
		for _, w := range group {
			w.done <- err
		}
		break
	}
	for _, w := range alone {
		err := c.db.Update(func(tx *bbolt.Tx) error { return call(w.fn, tx) })
		if err == nil {
			c.count()
		}
		w.done <- err
	}
}

func (c *committer) count() {
	if c.commits != nil {
		c.commits.Add(1)
	}
}

// call runs fn, turning a panic into an error so one write cannot strand its group.
func call(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bolt: write panicked: %v", p)
		}
	}()
	return fn(tx)
}
