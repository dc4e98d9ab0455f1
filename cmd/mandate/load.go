package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mandate-dev/mandate/shared/load"
)

// cmdLoad runs the load generator against a fresh local instance and prints latency
// percentiles beside the direct-to-target baseline measured in the same run.
func cmdLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("load", stderr)
	workers := fs.Int("workers", 8, "concurrent workers")
	requests := fs.Int("requests", 2000, "requests per phase")
	duration := fs.Duration("duration", 60*time.Second, "time limit per phase")
	if _, code, ok := parseArgs(fs, args, "mandate load [flags]", none, stdout, stderr); !ok {
		return code
	}
	dir, err := os.MkdirTemp("", "mandate-load-")
	if err != nil {
		fmt.Fprintf(stderr, "mandate load: %v\n", err)
		return exitFailed
	}
	defer os.RemoveAll(dir)
	stats, err := load.Run(ctx, load.Options{Dir: dir, Workers: *workers, Requests: *requests, Duration: *duration})
	if err != nil {
		fmt.Fprintf(stderr, "mandate load: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%d workers, up to %d requests per phase, local authority with the embedded store\n", *workers, *requests)
	fmt.Fprint(stdout, load.Report(stats))
	return exitOK
}
