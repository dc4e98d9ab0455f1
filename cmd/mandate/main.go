// Command mandate is the operator CLI: it runs the authority locally, plays the demo, and
// verifies audit chains.
//
//	mandate local  [--addr 127.0.0.1:8080] [--data ./.mandate] [--aws-endpoint URL]
//	mandate demo   [--data DIR] [--aws-endpoint URL]
//	mandate verify [--data ./.mandate] (--key FILE | --key-id FP | --since CHECKPOINT | --self-check)   (exit codes: verify.go)
//	mandate prove  [--data DIR] (--key FILE | --key-id FP | --since CHECKPOINT) SESSION SEQ
//	mandate verify --bucket B --table-prefix P --key FILE [--s3-endpoint URL] [--dynamodb-endpoint URL]
package main

import (
	"context"
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
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" { // mandate help CMD is mandate CMD --help
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"local":   cmdLocal,
		"demo":    cmdDemo,
		"verify":  cmdVerify,
		"prove":   cmdProve,
		"cosign":  cmdCosign,
		"witness": cmdWitness,
		"query":   cmdQuery,
		"load":    cmdLoad,
		"policy":  cmdPolicy,
		"explain": cmdExplain,
		"mask":    cmdMask,
		"kill":    cmdKill,
		"target":  cmdTarget,
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
	fmt.Fprint(w, `usage: mandate COMMAND [flags] [arguments]   (mandate help COMMAND, or COMMAND --help, for one)

commands:
  local   serve the API on this machine with the embedded store
  demo    run the authority with a scripted agent and check every scenario
  verify  verify every audit chain in a data folder
  prove   print the inclusion proof of one audit record in the newest checkpoint
  cosign  get the newest checkpoint cosigned by a witness, to keep for verify --since
  witness run a witness that cosigns checkpoints of the logs it knows (tlog-witness)
  query   run SQL (or a named query) over the local audit archive with DuckDB
  load    measure end-to-end action latency under load beside a direct baseline
  policy  validate a policy folder (policy validate DIR) or run its tests (policy test DIR)
  explain evaluate an action without executing it and show what would be minted
  mask    mask standard input with a masking profile; the summary goes to standard error
  kill    set, lift (--lift) or list (--list) kill switches as a human operator
  target  read (target get) or replace (target put FILE) the target registry as an administrator

Flags may come before or after arguments. Exit codes: 0 ok; 1 the command ran and found a
problem (a broken chain, a failed policy test, a denied explain, a failed scenario); 2 the
command line was wrong.

examples:
  mandate demo
  mandate local --data ./.mandate
  mandate explain --session ses_... testdata/explain/aws-getitem.json
  mandate policy test shared/local/defaults
  mandate kill agent demo-agent --reason "runaway" --data ./.mandate
  mandate target put --data ./.mandate targets.yaml
`)
}

func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mandate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // parseArgs prints the usage, to stdout for --help
	return fs
}

func cmdLocal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("local", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dir := fs.String("data", "./.mandate", "data folder (config.yaml, store, secrets)")
	awsEndpoint := fs.String("aws-endpoint", "", "a local AWS stand-in (moto_server) that aws targets run against, e.g. http://127.0.0.1:5000 (default: config.yaml's aws_endpoint)")
	if _, code, ok := parseArgs(fs, args, "mandate local [--addr HOST:PORT] [--data DIR] [--aws-endpoint URL]", none, stdout, stderr); !ok {
		return code
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	inst, err := local.Start(ctx, local.Options{Dir: *dir, Addr: *addr, Log: log, AWSEndpoint: *awsEndpoint})
	if err != nil {
		fmt.Fprintf(stderr, "mandate local: %v\n", err)
		return exitFailed
	}
	defer inst.Close()
	fmt.Fprintf(stdout, "Mandate is serving. Data in %s\n%s%s", *dir, inst.Endpoint(), inst.KeyNotice())
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return exitOK
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("demo", stderr)
	dir := fs.String("data", "", "data folder to keep the demo's state in (default: a new temporary folder)")
	verbose := fs.Bool("v", false, "show the authority's logs")
	awsEndpoint := fs.String("aws-endpoint", "", "a local AWS stand-in (moto_server): the demo creates the orders role and table there and reads an order through STS")
	if _, code, ok := parseArgs(fs, args, "mandate demo [--data DIR] [--aws-endpoint URL] [-v]", none, stdout, stderr); !ok {
		return code
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
	if err := demo.Run(ctx, stdout, demo.Options{Dir: *dir, Log: log, AWSEndpoint: *awsEndpoint}); err != nil {
		fmt.Fprintf(stderr, "mandate demo: %v\n", err)
		return exitFailed
	}
	return exitOK
}
