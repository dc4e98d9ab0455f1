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
// prints the masking summary (counts per detector and where each value was, never a value)
// to standard error:
//
//	mandate mask [--profile P] [--format auto|json|ndjson|text|csv] [--profiles FILE] [--key-file FILE]
//
// Input of any size is streamed in bounded memory and written as it is masked; a gzip input
// is decompressed. The exit status is 0 when the whole input was masked and written, 1 when
// a part of it could not be inspected within the limits and was withheld (the output holds
// WithheldMarker where it was, and the summary says why), and 2 for a wrong command line.
func cmdMask(_ context.Context, args []string, stdout, stderr io.Writer) int {
	return maskStream(args, os.Stdin, stdout, stderr)
}

const maskUsage = "mandate mask [--profile P] [--format auto|json|ndjson|text|csv] [--profiles FILE] [--key-file FILE] [--list]"

// maskSummary is what mandate mask prints to standard error.
type maskSummary struct {
	Profile  string         `json:"profile"`
	Format   string         `json:"format"`
	Bytes    int64          `json:"bytes"`
	Written  int64          `json:"written"`
	Masked   map[string]int `json:"masked"`
	Total    int            `json:"total"`
	Tokens   int            `json:"tokens,omitempty"`
	Fallback bool           `json:"fell_back_to_text,omitempty"`
	Withheld string         `json:"withheld,omitempty"`
	Invalid  int            `json:"invalid_utf8_replaced,omitempty"`
	Findings []mask.Finding `json:"findings,omitempty"`
}

// maxSummaryFindings is how many findings the summary lists; the counts cover them all.
const maxSummaryFindings = 100

func maskStream(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flags("mask", stderr)
	profile := fs.String("profile", mask.DefaultProfile, "masking profile")
	format := fs.String("format", "auto", "input format: auto (JSON when it starts with { or [, CSV when it reads as CSV, else text), json, ndjson, text or csv")
	profiles := fs.String("profiles", "", "a profile document (YAML or JSON) adding to the built-in profiles")
	keyFile := fs.String("key-file", "", "file holding the deployment key (32+ bytes) for token and format modes; without it they redact")
	list := fs.Bool("list", false, "list the profiles and detectors and exit")
	if _, code, ok := parseArgs(fs, args, maskUsage, none, stdout, stderr); !ok {
		return code
	}
	f, err := mask.ParseFormat(*format)
	if err != nil || f == mask.FormatXML {
		fmt.Fprintln(stderr, "mandate mask: unknown or unstreamable format", *format)
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
	s, err := e.Stream(stdin, stdout, f)
	if err != nil {
		fmt.Fprintln(stderr, "mandate mask:", err)
		return exitFailed
	}
	sum := maskSummary{Profile: *profile, Format: s.Format.String(), Bytes: s.Read, Written: s.Written,
		Masked: map[string]int(s.Summary), Total: s.Summary.Total(), Tokens: len(s.Tokens), Fallback: s.Fallback,
		Withheld: s.Withheld, Invalid: s.InvalidUTF8, Findings: s.Findings[:min(len(s.Findings), maxSummaryFindings)]}
	line, _ := json.Marshal(sum)
	fmt.Fprintln(stderr, string(line))
	if s.Withheld != "" {
		return exitFailed
	}
	return exitOK
}
