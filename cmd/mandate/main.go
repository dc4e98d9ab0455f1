// Command mandate is the operator CLI: it runs the authority locally, plays the demo, and
// verifies audit chains.
//
//	mandate local  [--addr 127.0.0.1:8080] [--data ./.mandate]
//	mandate demo   [--data DIR]
//	mandate verify [--data ./.mandate]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mandate-dev/mandate/shared/demo"
	"github.com/mandate-dev/mandate/shared/local"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the command ran and found a problem (a broken chain, a failed scenario)
	exitUsage  = 2 // the command line was wrong
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"local":  cmdLocal,
		"demo":   cmdDemo,
		"verify": cmdVerify,
		"load":   cmdLoad,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mandate: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: mandate COMMAND [flags]

commands:
  local   serve the API on this machine with the embedded store
  demo    run the authority with a scripted agent and check every scenario
  verify  verify every audit chain in a data folder
  load    measure end-to-end action latency under load beside a direct baseline
`)
}

func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mandate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func cmdLocal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("local", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dir := fs.String("data", "./.mandate", "data folder (config.yaml, store, secrets)")
	if fs.Parse(args) != nil || fs.NArg() > 0 {
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	inst, err := local.Start(ctx, local.Options{Dir: *dir, Addr: *addr, Log: log})
	if err != nil {
		fmt.Fprintf(stderr, "mandate local: %v\n", err)
		return exitFailed
	}
	defer inst.Close()
	fmt.Fprintf(stdout, "Mandate is serving. Data in %s\n%s", *dir, inst.Endpoint())
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return exitOK
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("demo", stderr)
	dir := fs.String("data", "", "data folder to keep the demo's state in (default: a new temporary folder)")
	verbose := fs.Bool("v", false, "show the authority's logs")
	if fs.Parse(args) != nil || fs.NArg() > 0 {
		return exitUsage
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "mandate-demo-")
		if err != nil {
			fmt.Fprintf(stderr, "mandate demo: %v\n", err)
			return exitFailed
		}
		*dir = d
	}
	var log *slog.Logger
	if *verbose {
		log = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	if err := demo.Run(ctx, stdout, demo.Options{Dir: *dir, Log: log}); err != nil {
		fmt.Fprintf(stderr, "mandate demo: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("verify", stderr)
	dir := fs.String("data", "./.mandate", "data folder to verify")
	if fs.Parse(args) != nil || fs.NArg() > 0 {
		return exitUsage
	}
	reps, err := local.Verify(ctx, *dir)
	if err != nil {
		fmt.Fprintf(stderr, "mandate verify: %v\n", err)
		return exitFailed
	}
	records := 0
	var broken []error
	for _, r := range reps {
		records += len(r.Records)
		if r.Break != nil {
			broken = append(broken, r.Break)
		}
	}
	if err := errors.Join(broken...); err != nil {
		fmt.Fprintf(stdout, "BROKEN: %d of %d chains\n%v\n", len(broken), len(reps), err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "intact: %d chains, %d records\n", len(reps), records)
	return exitOK
}
