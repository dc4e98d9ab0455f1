package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mandate-dev/mandate/shared/local"
)

// Exit codes of `mandate verify`:
//
//	0  intact: every chain, every archived record and every checkpoint verifies, and every
//	   record is covered by a signed checkpoint
//	1  broken: the first problem is printed (deleted, modified, reordered, truncated, forged
//	   checkpoint), then the others
//	2  the command line was wrong
//	3  unreadable: the data folder, its store, its archive or the trusted key could not be read
//	4  intact so far, but some records are not covered by a checkpoint yet (`mandate local`
//	   writes one every 30 seconds and when it stops): verify again later
const (
	exitUnreadable = 3
	exitUncovered  = 4
)

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("verify", stderr)
	dir := fs.String("data", "./.mandate", "data folder to verify")
	key := fs.String("key", "", "trusted checkpoint public key, PEM (default: DATA/checkpoint.pub)")
	if fs.Parse(args) != nil || fs.NArg() > 0 {
		return exitUsage
	}
	reps, err := local.Verify(ctx, *dir)
	if err != nil {
		fmt.Fprintf(stderr, "mandate verify: %v\n", err)
		return exitUnreadable
	}
	records := 0
	var broken []error
	for _, r := range reps {
		records += len(r.Records)
		if r.Break != nil {
			broken = append(broken, r.Break)
		}
	}
	if len(broken) > 0 {
		fmt.Fprintf(stdout, "BROKEN: %d of %d chains in the store\n", len(broken), len(reps))
		for _, b := range broken {
			fmt.Fprintln(stdout, b)
		}
	} else {
		fmt.Fprintf(stdout, "intact: %d chains, %d records\n", len(reps), records)
	}
	rep, err := local.VerifyArchive(ctx, *dir, *key, progress(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "mandate verify: %v\n", err)
		return exitUnreadable
	}
	if !rep.Intact() {
		fmt.Fprintf(stdout, "BROKEN archive: %d problems; the first: %s\n", len(rep.Problems), rep.Problems[0])
		for _, p := range rep.Problems[1:] {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
		return exitFailed
	}
	fmt.Fprintf(stdout, "archive intact: %d records of %d sessions in %d objects, %d checkpoints\n", rep.Records, rep.Sessions, rep.Objects, rep.Checkpoints)
	if len(broken) > 0 {
		return exitFailed
	}
	if rep.Uncovered > 0 {
		fmt.Fprintf(stdout, "not yet covered by a checkpoint: %d records\n", rep.Uncovered)
		return exitUncovered
	}
	return exitOK
}

// progress reports on stderr, at most twice a second, once a run has taken a second.
func progress(w io.Writer) func(done, total int) {
	start := time.Now()
	var last time.Time
	return func(done, total int) {
		now := time.Now()
		if now.Sub(start) < time.Second || (now.Sub(last) < 500*time.Millisecond && done < total) {
			return
		}
		last = now
		fmt.Fprintf(w, "verify: %d of %d archive objects read\n", done, total)
	}
}
