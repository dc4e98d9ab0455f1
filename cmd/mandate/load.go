package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/load"
)

// fsyncSamples is how many write+fsync pairs the disk baseline times.
const fsyncSamples = 500

// cmdLoad runs the load generator against a fresh local instance per worker count and prints
// latency percentiles beside the direct-to-target baseline and the disk's fsync, all measured
// in the same run. Progress goes to stderr about once a second.
func cmdLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("load", stderr)
	workers := fs.String("workers", "1,16", "concurrent workers: one count or a comma-separated list, each run in turn")
	requests := fs.Int("requests", 2000, "requests per phase")
	duration := fs.Duration("duration", 60*time.Second, "time limit per phase")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof reads it)")
	allocProfile := fs.String("allocprofile", "", "write a profile of the whole run's allocations to this file (go tool pprof -sample_index=alloc_space reads it)")
	if _, code, ok := parseArgs(fs, args, "mandate load [flags]", none, stdout, stderr); !ok {
		return code
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "mandate load: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "mandate load: %v\n", err)
			return exitFailed
		}
		defer pprof.StopCPUProfile()
	}
	if *allocProfile != "" {
		f, err := os.Create(*allocProfile)
		if err != nil {
			fmt.Fprintf(stderr, "mandate load: %v\n", err)
			return exitUsage
		}
		defer func() {
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintf(stderr, "mandate load: %v\n", err)
			}
			f.Close()
		}()
	}
	var counts []int
	for _, f := range strings.Split(*workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > load.MaxWorkers {
			fmt.Fprintf(stderr, "mandate load: -workers: %q is not a count from 1 to %d\n", f, load.MaxWorkers)
			return exitUsage
		}
		counts = append(counts, n)
	}
	dir, err := os.MkdirTemp("", "mandate-load-")
	if err != nil {
		fmt.Fprintf(stderr, "mandate load: %v\n", err)
		return exitFailed
	}
	defer os.RemoveAll(dir)
	disk, err := load.Fsync(dir, fsyncSamples)
	if err != nil {
		fmt.Fprintf(stderr, "mandate load: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "disk under %s: %s\n", os.TempDir(), disk)
	for i, n := range counts {
		run := fmt.Sprintf("%s/run%d", dir, i)
		if err := os.Mkdir(run, 0o700); err != nil {
			fmt.Fprintf(stderr, "mandate load: %v\n", err)
			return exitFailed
		}
		stats, err := load.Run(ctx, load.Options{Dir: run, Workers: n, Requests: *requests, Duration: *duration, Progress: stderr})
		if err != nil {
			fmt.Fprintf(stderr, "mandate load: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "\n%d workers, up to %d requests per phase, local authority with the embedded store\n", n, *requests)
		fmt.Fprint(stdout, load.Report(stats))
	}
	return exitOK
}
