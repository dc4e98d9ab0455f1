package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

// cmdExplain evaluates an action without executing it:
//
//	mandate explain [--data DIR | --aws] [--session ID] ACTION.json|-
//
// With --aws it evaluates against a deployment's DynamoDB tables, read from the functions'
// environment variables (MANDATE_TABLE_*, MANDATE_DYNAMODB_ENDPOINT) and the AWS credentials
// of the caller, instead of a local data folder.
//
// ACTION.json holds an action ({"kind":"sql","target":...}) or an action request
// ({"action":{...}}). It prints one JSON object {verdict, reasons, intents, action, resource,
// mint} and exits 0 when the action would be allowed (or wait for approval), 1 when it would be
// denied or could not be evaluated, so that scripts can gate on it; 2 for a wrong command line.
func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("explain", stderr)
	dir := fs.String("data", "./.mandate", "data folder (config.yaml, store)")
	session := fs.String("session", "", "the session the action would run in (default: none, no intents)")
	deployed := fs.Bool("aws", false, "evaluate against the deployment named by the functions' environment variables")
	output := fs.String("output", "json", "json (one object), or text (a line per fact, for people)")
	pos, code, ok := parseArgs(fs, args, "mandate explain [--data DIR | --aws] [--session ID] [--output json|text] ACTION.json|-", exactly1, stdout, stderr)
	if !ok {
		return code
	}
	if *output != "json" && *output != "text" {
		fmt.Fprintf(stderr, "mandate explain: --output is json or text, not %q\n", *output)
		return exitUsage
	}
	act, err := readAction(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "mandate explain: %v\n", err)
		return exitUsage
	}
	var ex authority.Explanation
	if *deployed {
		ex, err = config.Explain(ctx, os.Getenv, *session, act, pgquery.New())
	} else {
		ex, err = local.Explain(ctx, *dir, *session, act)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mandate explain: %v\n", err)
		return exitFailed
	}
	if *output == "text" {
		explainText(stdout, ex)
	} else {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(ex); err != nil {
			fmt.Fprintf(stderr, "mandate explain: %v\n", err)
			return exitFailed
		}
	}
	if ex.Verdict == api.VerdictDeny {
		return exitFailed // a finding: scripts gate on it
	}
	return exitOK
}

// explainText prints an explanation for people: the verdict first, then what decided it.
func explainText(w io.Writer, ex authority.Explanation) {
	fmt.Fprintf(w, "verdict:  %s\n", ex.Verdict)
	if len(ex.Reasons) > 0 {
		fmt.Fprintf(w, "reasons:  %s\n", strings.Join(ex.Reasons, ", "))
	}
	if ex.Detail != "" {
		fmt.Fprintf(w, "detail:   %s\n", ex.Detail)
	}
	fmt.Fprintf(w, "action:   %s on %s\n", ex.Action, ex.Resource)
	names := make([]string, 0, len(ex.Intents))
	for _, in := range ex.Intents {
		names = append(names, in.Name)
	}
	fmt.Fprintf(w, "intents:  %s\n", strings.Join(names, ", "))
	switch {
	case ex.Mint != nil:
		raw, _ := json.Marshal(ex.Mint)
		fmt.Fprintf(w, "mint:     %s\n", raw)
	case ex.MintError != "":
		fmt.Fprintf(w, "mint:     none: %s\n", ex.MintError)
	}
	for _, e := range ex.Errors {
		fmt.Fprintf(w, "error:    %s\n", e)
	}
}

// readAction reads an action or an action request from path ("-" is standard input).
func readAction(path string) (api.Action, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, api.MaxBodyBytes+1))
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return api.Action{}, err
	}
	if len(raw) > api.MaxBodyBytes {
		return api.Action{}, fmt.Errorf("%s is larger than %d bytes", path, api.MaxBodyBytes)
	}
	var req api.ActionRequest
	if err := strict(raw, &req); err == nil && req.Action.Kind != "" {
		return req.Action, nil
	}
	var act api.Action
	if err := strict(raw, &act); err != nil {
		return api.Action{}, fmt.Errorf("%s: not an action: %v", path, err)
	}
	return act, nil
}

func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
