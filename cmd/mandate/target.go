package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
)

// Usage lines of mandate target get and put.
const (
	targetGetUsage = "mandate target get [--version N] [--url URL] [--key ID --secret SECRET | --data DIR [--as NAME]] [--output json|text]"
	targetPutUsage = "mandate target put [--url URL] [--key ID --secret SECRET | --data DIR [--as NAME]] [--output json|text] FILE"
)

const targetUsage = "usage: " + targetGetUsage + "\n       " + targetPutUsage + `
get prints a version of the target registry (default: the latest); put stores FILE (YAML or
JSON, {targets: [...]}) as the next version once Mandate has validated it whole. Both sign as
an administrator.

examples:
  mandate target get --data ./.mandate --output text > targets.yaml
  mandate target put --data ./.mandate targets.yaml`

// cmdTarget reads or replaces the target registry through the signed API as an
// administrator. It exits 0 when Mandate answered, 1 when it refused (an invalid registry
// prints every problem), 2 on a wrong command line.
func cmdTarget(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "get" && args[0] != "put") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintln(stdout, targetUsage)
			return exitOK
		}
		fmt.Fprintln(stderr, targetUsage)
		return exitUsage
	}
	sub := args[0]
	fs := flags("target "+sub, stderr)
	base := fs.String("url", "", "the Mandate API (default: the one serving --data, else http://127.0.0.1:8080)")
	key := fs.String("key", "", "the administrator's access key id")
	secret := fs.String("secret", "", "the administrator's secret access key")
	region := fs.String("region", "", "the SigV4 region (default: the data folder's, else "+local.DefaultRegion+")")
	dir := fs.String("data", "", "a local data folder whose config.yaml holds the administrator's keys")
	as := fs.String("as", "", "with --data: the administrator to sign as (default: the first with a key)")
	output := fs.String("output", "json", "json (the API's answer), or text (the registry itself for get; one line for put)")
	version := int64(0)
	want, usageLine := none, targetGetUsage
	if sub == "get" {
		fs.Func("version", "the version to read (default: the latest)", func(s string) error {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v <= 0 {
				return errors.New("a positive number")
			}
			version = v
			return nil
		})
	} else {
		want, usageLine = exactly1, targetPutUsage
	}
	pos, code, ok := parseArgs(fs, args[1:], usageLine, want, stdout, stderr)
	if !ok {
		return code
	}
	if *output != "json" && *output != "text" {
		fmt.Fprintf(stderr, "mandate target %s: --output is json or text, not %q\n", sub, *output)
		return exitUsage
	}
	if *base == "" {
		if *base = local.Endpoint(*dir); *dir == "" || *base == "" {
			*base = "http://127.0.0.1:8080"
		}
	}
	c, err := humanClient(*base, *key, *secret, *region, *dir, *as, "administrator", func(c local.Config) []local.Operator { return c.Admins })
	if err != nil {
		fmt.Fprintf(stderr, "mandate target %s: %v\n%s\n", sub, err, targetUsage)
		return exitUsage
	}
	var doc api.Document
	if sub == "get" {
		path := "/v1/targets"
		if version > 0 {
			path += "?version=" + strconv.FormatInt(version, 10)
		}
		err = c.Do(ctx, http.MethodGet, path, nil, &doc)
	} else {
		raw, rerr := os.ReadFile(pos[0])
		switch {
		case rerr != nil:
			fmt.Fprintf(stderr, "mandate target put: %v\n", rerr)
			return exitUsage
		case strings.TrimSpace(string(raw)) == "":
			fmt.Fprintf(stderr, "mandate target put: %s is empty\n", pos[0])
			return exitUsage
		}
		err = c.Do(ctx, http.MethodPut, "/v1/targets", api.TargetsUpload{Targets: string(raw)}, &doc)
	}
	if err != nil {
		var pe *client.ProblemError
		if errors.As(err, &pe) {
			raw, _ := json.MarshalIndent(pe.Problem, "", "  ")
			fmt.Fprintf(stderr, "mandate target %s: refused:\n%s\n", sub, raw)
		} else {
			fmt.Fprintf(stderr, "mandate target %s: %v\n", sub, err)
		}
		return exitFailed
	}
	switch {
	case *output == "text" && sub == "get":
		fmt.Fprint(stdout, doc.Body)
	case *output == "text":
		fmt.Fprintf(stdout, "target registry version %d stored by %s at %s (sha256 %s)\n", doc.Version, doc.CreatedBy, doc.CreatedAt.UTC().Format(time.RFC3339), doc.SHA256)
	default:
		raw, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Fprintf(stdout, "%s\n", raw)
	}
	return exitOK
}
