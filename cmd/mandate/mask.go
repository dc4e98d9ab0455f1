package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/mandate-dev/mandate/shared/mask"
)

// cmdMask masks standard input to standard output with the engine the authority uses and
// prints the masking summary (counts per detector, never a value) to standard error:
//
//	mandate mask [--profile P] [--format auto|json|text|csv] [--profiles FILE] [--key-file FILE]
func cmdMask(_ context.Context, args []string, stdout, stderr io.Writer) int {
	return maskStream(args, os.Stdin, stdout, stderr)
}

// maskSummary is what mandate mask prints to standard error.
type maskSummary struct {
	Profile   string         `json:"profile"`
	Format    string         `json:"format"`
	Bytes     int            `json:"bytes"`
	Masked    map[string]int `json:"masked"`
	Total     int            `json:"total"`
	Tokens    int            `json:"tokens,omitempty"`
	Truncated bool           `json:"truncated,omitempty"`
}

func maskStream(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flags("mask", stderr)
	profile := fs.String("profile", mask.DefaultProfile, "masking profile")
	format := fs.String("format", "auto", "input format: auto (JSON if valid, else text), json, text or csv")
	profiles := fs.String("profiles", "", "a profile document (YAML or JSON) adding to the built-in profiles")
	keyFile := fs.String("key-file", "", "file holding the deployment key (32+ bytes) for token and format modes; without it they redact")
	list := fs.Bool("list", false, "list the profiles and detectors and exit")
	if fs.Parse(args) != nil || fs.NArg() > 0 {
		return exitUsage
	}
	f, err := mask.ParseFormat(*format)
	if err != nil {
		fmt.Fprintln(stderr, "mandate mask:", err)
		return exitUsage
	}
	var doc, key []byte
	if *profiles != "" {
		if doc, err = os.ReadFile(*profiles); err != nil {
			fmt.Fprintln(stderr, "mandate mask:", err)
			return exitUsage
		}
	}
	if *keyFile != "" {
		if key, err = os.ReadFile(*keyFile); err != nil {
			fmt.Fprintln(stderr, "mandate mask:", err)
			return exitUsage
		}
		if len(key) < mask.MinKeyBytes {
			fmt.Fprintf(stderr, "mandate mask: the key in %s is shorter than %d bytes\n", *keyFile, mask.MinKeyBytes)
			return exitUsage
		}
	}
	cat, err := mask.NewCatalog(doc, key)
	if err != nil {
		fmt.Fprintln(stderr, "mandate mask:", err)
		return exitUsage
	}
	if *list {
		fmt.Fprintf(stdout, "profiles:  %v\ndetectors: %v\n", cat.Names(), mask.Detectors())
		return exitOK
	}
	e, err := cat.Engine(*profile)
	if err != nil {
		fmt.Fprintf(stderr, "mandate mask: %v (profiles: %v)\n", err, cat.Names())
		return exitUsage
	}
	// Read one byte past the cap so the engine sees the input is too long and marks it.
	in, err := io.ReadAll(io.LimitReader(stdin, int64(mask.DefaultMaxBytes)+1))
	if err != nil {
		fmt.Fprintln(stderr, "mandate mask: read standard input:", err)
		return exitFailed
	}
	m := e.Mask(in, f)
	if _, err := stdout.Write(m.Body); err != nil {
		fmt.Fprintln(stderr, "mandate mask: write standard output:", err)
		return exitFailed
	}
	sum := maskSummary{Profile: *profile, Format: m.Format.String(), Bytes: len(in), Masked: map[string]int(m.Summary),
		Total: m.Summary.Total(), Tokens: len(m.Tokens), Truncated: m.Truncated}
	if sum.Masked == nil {
		sum.Masked = map[string]int{}
	}
	line, _ := json.Marshal(sum)
	fmt.Fprintln(stderr, string(line))
	return exitOK
}
