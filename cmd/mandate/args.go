package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseArgs is the one way every command reads its command line: flags may come before,
// between and after the positional arguments ("--" ends the flags); -h and --help print the
// command's usage and flags to stdout and exit 0; a bad flag, or a number of positional
// arguments want refuses, prints the usage line to stderr and exits 2. ok is false when the
// command must return code at once.
func parseArgs(fs *flag.FlagSet, args []string, usageLine string, want func(n int) bool, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: "+usageLine)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil, exitOK, false
		}
		if err != nil {
			fmt.Fprintln(stderr, "usage: "+usageLine)
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...) // after "--" everything is positional
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if want != nil && !want(len(pos)) {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\nusage: %s\n", fs.Name(), pos, usageLine)
		return nil, exitUsage, false
	}
	return pos, exitOK, true
}

func none(n int) bool     { return n == 0 }
func exactly1(n int) bool { return n == 1 }
