package local

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/store"
)

// ArchiveDir is the local archive inside the data folder: the audit bucket's layout
// (audit/dt=YYYY-MM-DD/*.json.gz, checkpoints/*.json), read by `mandate verify` and
// `mandate query`.
const ArchiveDir = "archive"

// Archive cadence of `mandate local`: records are shipped to DATA/archive every
// ArchiveInterval and a signed checkpoint is written every CheckpointInterval when something
// new was shipped; both run once more when the instance closes.
const (
	ArchiveInterval    = time.Second
	CheckpointInterval = 30 * time.Second
)

// The embedded store's expired claims (replay and idempotency claims, kill rounds) are swept
// every ClaimSweepInterval, at most ClaimSweepBudget claims read a sweep (DynamoDB's TTL does
// this for the deployed tables).
const (
	ClaimSweepInterval = 10 * time.Second
	ClaimSweepBudget   = 20000
)

// claimSweeper is a store that deletes its expired claims (bolt.Store).
type claimSweeper interface {
	SweepClaims(ctx context.Context, budget int) (int, error)
}

// archiver is the local stand-in for the audit stream, the shipper and the scheduled
// checkpoint: it follows the store and writes the archive in the background, so requests
// never wait for it. It also sweeps the store's expired claims, where the store can.
type archiver struct {
	sweeper claimSweeper // nil when the store sweeps its own (DynamoDB's TTL)
	signer  *checkpoint.Ed25519
	tail    *archive.Tail
	writer  *checkpoint.Writer
	log     *slog.Logger
	stop    chan struct{}
	done    sync.WaitGroup
}

// startArchive ships what the archive lacks, then keeps shipping in the background.
func startArchive(ctx context.Context, dir string, st store.Audit, log *slog.Logger) (*archiver, error) {
	signer, err := checkpoint.LoadOrCreateEd25519(dir)
	if err != nil {
		return nil, err
	}
	bucket := archive.Dir{Root: filepath.Join(dir, ArchiveDir)}
	tail, err := archive.NewTail(ctx, st, archive.NewShipper(bucket, 0, time.Now))
	if err != nil {
		return nil, fmt.Errorf("local: archive: %w", err)
	}
	a := &archiver{signer: signer, tail: tail, writer: &checkpoint.Writer{Bucket: bucket, Signer: signer, Now: time.Now}, log: log, stop: make(chan struct{})}
	a.sweeper, _ = st.(claimSweeper)
	if err := a.flush(ctx, true); err != nil {
		return nil, err
	}
	a.done.Add(1)
	go a.loop()
	return a, nil
}

func (a *archiver) loop() {
	defer a.done.Done()
	ship := time.NewTicker(ArchiveInterval)
	defer ship.Stop()
	last, swept := time.Now(), time.Now()
	for {
		select {
		case <-a.stop:
			return
		case <-ship.C:
			due := time.Since(last) >= CheckpointInterval
			if due {
				last = time.Now()
			}
			if err := a.flush(context.Background(), due); err != nil {
				a.log.Error("archive", "error", err)
			}
			if a.sweeper != nil && time.Since(swept) >= ClaimSweepInterval {
				swept = time.Now()
				if _, err := a.sweeper.SweepClaims(context.Background(), ClaimSweepBudget); err != nil {
					a.log.Error("claim sweep", "error", err)
				}
			}
		}
	}
}

func (a *archiver) flush(ctx context.Context, checkpointToo bool) error {
	if _, err := a.tail.Flush(ctx); err != nil {
		return fmt.Errorf("local: archive: %w", err)
	}
	if !checkpointToo {
		return nil
	}
	cp, err := a.writer.Run(ctx)
	if err != nil {
		return fmt.Errorf("local: checkpoint: %w", err)
	}
	if cp != nil {
		a.log.Info("checkpoint", "index", cp.Index, "size", cp.Size, "root", cp.Root)
	}
	return nil
}

// Close stops the loop, then ships and checkpoints what is left.
func (a *archiver) Close() error {
	if a == nil {
		return nil
	}
	close(a.stop)
	a.done.Wait()
	return a.flush(context.Background(), true)
}
