package bolt

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxGroup bounds how many writes share one transaction.
const maxGroup = 1000

// DeferDelay bounds how long a deferred write (Store.AppendRecordLater) waits for another
// write to ride with before it is committed on its own.
const DeferDelay = 5 * time.Millisecond

// committer is group commit without a timer. A write that finds no commit in flight commits
// at once, so a lone writer pays one transaction and one fsync, as with Update. Writes that
// arrive while a commit is in flight queue; when it ends, the first of them commits the whole
// queue in one transaction and one fsync. Under load a group is as large as what arrived
// during one fsync.
//
// A deferred write (later) does not wait: it queues, in order with every other write, and
// rides the next commit, or, when none comes within DeferDelay, is committed on its own; its
// result goes to its callback.
//
// bbolt's DB.Batch groups by a timer instead (MaxBatchDelay): every write waits for it, and
// Go timers below a millisecond fire late on an idle or loaded machine, which made a lone
// writer several times slower (BENCHMARKS.md, Store). Its re-run semantics are kept here: a
// write function may run more than once, each time in a fresh transaction.
type committer struct {
	// update runs a function in a read-write transaction and commits it (Store.write).
	update func(func(*wtx) error) error
	mu     sync.Mutex
	busy   bool // a leader is committing
	queue  []*write
	flush  *time.Timer // set while only deferred writes wait and no leader runs
	// deferred counts deferred writes not yet committed or failed.
	deferred atomic.Int64
	// commits counts committed transactions (Store.Stats); nil counts nothing.
	commits *atomic.Uint64
}

type write struct {
	fn   func(*wtx) error
	done chan error  // a waiting write's: capacity 1, errLead any number of times, then the result
	then func(error) // a deferred write's result, called by the committing goroutine
}

func (c *committer) deliver(w *write, err error) {
	if w.then != nil {
		w.then(err)
		c.deferred.Add(-1)
		return
	}
	w.done <- err
}

// errLead tells a queued write that it commits the queue next.
var errLead = errors.New("bolt: lead the next group")

// do runs fn in a read-write transaction, perhaps shared with concurrent writes and with
// deferred ones queued before it, and returns once that transaction is on disk (or fn's own
// error).
func (c *committer) do(fn func(*wtx) error) error {
	w := &write{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, w)
	lead := !c.busy
	c.busy = true
	if c.flush != nil {
		c.flush.Stop() // the deferred writes ride this commit
		c.flush = nil
	}
	c.mu.Unlock()
	if lead {
		c.lead()
	}
	for {
		err := <-w.done
		if err != errLead {
			return err
		}
		c.lead()
	}
}

// later queues fn without waiting for it and calls then with its outcome once its
// transaction is on disk or failed. Writes queued after it commit after it or with it.
func (c *committer) later(fn func(*wtx) error, then func(error)) {
	c.deferred.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queue = append(c.queue, &write{fn: fn, then: then})
	if !c.busy && c.flush == nil {
		c.flush = time.AfterFunc(DeferDelay, c.flushDeferred)
	}
}

// flushDeferred commits the deferred writes that found nothing to ride.
func (c *committer) flushDeferred() {
	c.mu.Lock()
	c.flush = nil
	if c.busy || len(c.queue) == 0 {
		c.mu.Unlock()
		return
	}
	c.busy = true
	c.mu.Unlock()
	c.lead()
}

// lead commits the head of the queue (the caller leads: busy is set), then hands the lead to
// the first waiting write still queued; with only deferred writes left it arms the flush.
func (c *committer) lead() {
	c.mu.Lock()
	n := min(len(c.queue), maxGroup)
	group := slices.Clone(c.queue[:n])
	c.queue = slices.Delete(c.queue, 0, n)
	c.mu.Unlock()

	c.commit(group)

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.queue {
		if w.then == nil {
			w.done <- errLead
			return
		}
	}
	c.busy = false
	if len(c.queue) > 0 && c.flush == nil {
		c.flush = time.AfterFunc(DeferDelay, c.flushDeferred)
	}
}

// sync returns once every write queued before it is committed or failed.
func (c *committer) sync() {
	_ = c.do(func(*wtx) error { return nil })
}

// settle returns once every deferred write queued before it is committed or failed, so a
// read after it sees them: at once when there are none.
func (c *committer) settle() {
	if c.deferred.Load() > 0 {
		c.sync()
	}
}

// commit runs every write of group in one transaction and delivers the results. A write
// whose function fails is taken out of the group, which runs again without it; the failed
// write then runs again alone, so its error comes from a transaction of its own.
func (c *committer) commit(group []*write) {
	var alone []*write
	for len(group) > 0 {
		failed := -1
		err := c.update(func(tx *wtx) error {
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
			c.deliver(w, err)
		}
		break
	}
	for _, w := range alone {
		err := c.update(func(tx *wtx) error { return call(w.fn, tx) })
		if err == nil {
			c.count()
		}
		c.deliver(w, err)
	}
}

func (c *committer) count() {
	if c.commits != nil {
		c.commits.Add(1)
	}
}

// call runs fn, turning a panic into an error so one write cannot strand its group.
func call(fn func(*wtx) error, tx *wtx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bolt: write panicked: %v", p)
		}
	}()
	return fn(tx)
}
