package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/person"
)

const killUsage = `usage: mandate kill [--url URL] [--key ID --secret SECRET | --data DIR [--as NAME]] SCOPE [ID] --reason REASON
       mandate kill [...] --lift SCOPE [ID] [--reason REASON]
       mandate kill [...] --list [--output json|text]
SCOPE is global, agent, operator or session; ID is the agent's name, access key id or identity
(an ARN), a name of the operator (any spelling the directory of people knows), or the session
id, and none for global. Naming nobody is refused with 404 and nothing is stored.`

// cmdKill sets, lifts or lists kill switches through the signed API as a human operator.
// It prints the answer as JSON and exits 0 when Mandate accepted the request (a global lift
// that waits for a second human included), 1 when it refused, 2 on a wrong command line.
func cmdKill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("kill", stderr)
	base := fs.String("url", "", "the Mandate API (default: the one serving --data, else http://127.0.0.1:8080)")
	key := fs.String("key", "", "the operator's access key id")
	secret := fs.String("secret", "", "the operator's secret access key")
	region := fs.String("region", "", "the SigV4 region (default: the data folder's, else "+local.DefaultRegion+")")
	dir := fs.String("data", "", "a local data folder whose config.yaml holds the operator's keys")
	as := fs.String("as", "", "with --data: the operator to sign as (default: the first with a key)")
	reason := fs.String("reason", "", "why (required to kill)")
	lift := fs.Bool("lift", false, "lift the kill switch instead of setting it")
	list := fs.Bool("list", false, "list the kill switches in force, and lifts that wait for a second human")
	output := fs.String("output", "json", "json (the API's answer), or text (a line per kill switch)")
	pos, code, ok := parseArgs(fs, args, strings.TrimPrefix(killUsage, "usage: "), nil, stdout, stderr)
	if !ok {
		return code
	}
	if *base == "" {
		if *base = local.Endpoint(*dir); *dir == "" || *base == "" {
			*base = "http://127.0.0.1:8080"
		}
	}
	if *output != "json" && *output != "text" {
		fmt.Fprintf(stderr, "mandate kill: --output is json or text, not %q\n", *output)
		return exitUsage
	}
	c, err := operatorClient(*base, *key, *secret, *region, *dir, *as)
	if err != nil {
		fmt.Fprintf(stderr, "mandate kill: %v\n%s\n", err, killUsage)
		return exitUsage
	}
	var scope, id string
	switch {
	case *list && len(pos) == 0 && !*lift:
	case !*list && (len(pos) == 1 || len(pos) == 2):
		scope = pos[0]
		if len(pos) == 2 {
			id = pos[1]
		}
	default:
		fmt.Fprintln(stderr, killUsage)
		return exitUsage
	}
	var out any
	switch {
	case *list:
		var l api.KillList
		err, out = c.Do(ctx, http.MethodGet, "/v1/kill", nil, &l), &l
	case *lift:
		if id == "" {
			id = "*"
		}
		var l api.Lift
		var body any
		if *reason != "" {
			body = api.LiftRequest{Reason: *reason}
		}
		err, out = c.Do(ctx, http.MethodDelete, "/v1/kill/"+url.PathEscape(scope)+"/"+url.PathEscape(id), body, &l), &l
	default:
		if *reason == "" {
			fmt.Fprintln(stderr, "mandate kill: --reason is required")
			return exitUsage
		}
		var k api.Kill
		err, out = c.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: scope, ID: id, Reason: *reason}, &k), &k
	}
	if err != nil {
		var pe *client.ProblemError
		if errors.As(err, &pe) {
			raw, _ := json.MarshalIndent(pe.Problem, "", "  ")
			fmt.Fprintf(stderr, "mandate kill: refused:\n%s\n", raw)
		} else {
			fmt.Fprintf(stderr, "mandate kill: %v\n", err)
		}
		return exitFailed
	}
	if *output == "text" {
		killText(stdout, out)
		return exitOK
	}
	raw, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintf(stdout, "%s\n", raw)
	return exitOK
}

// killText prints an answer of the kill API for people, one line per kill switch.
func killText(w io.Writer, out any) {
	line := func(k api.Kill) {
		fmt.Fprintf(w, "%s %s  by %s at %s: %s\n", k.Scope, k.ID, k.By, k.CreatedAt.UTC().Format(time.RFC3339), k.Reason)
		if p := k.PendingLift; p != nil {
			fmt.Fprintf(w, "  lift asked by %s; waits for a second human until %s\n", p.By, p.ExpiresAt.UTC().Format(time.RFC3339))
		}
		if r := k.Revocation; r != nil {
			fmt.Fprintf(w, "  revocation %s: %d target role(s), %d credential(s) dropped\n", r.Status, len(r.Roles), r.Dropped)
			for _, f := range r.Failed {
				fmt.Fprintf(w, "  not revoked: %s (the kill is in force in Mandate; credentials minted before it may work there until they expire)\n", f)
			}
		}
	}
	switch v := out.(type) {
	case *api.KillList:
		if len(v.Kills) == 0 {
			fmt.Fprintln(w, "no kill switch is in force")
		}
		for _, k := range v.Kills {
			line(k)
		}
	case *api.Kill:
		line(*v)
	case *api.Lift:
		if v.Status == api.LiftPending && v.ExpiresAt != nil {
			fmt.Fprintf(w, "lift of %s %s asked by %s; waits for a second human until %s\n", v.Scope, v.ID, strings.Join(v.By, ", "), v.ExpiresAt.UTC().Format(time.RFC3339))
		} else {
			fmt.Fprintf(w, "%s %s lifted by %s\n", v.Scope, v.ID, strings.Join(v.By, ", "))
		}
	}
}

// operatorClient signs as the operator given by keys, or by a local data folder's config.
func operatorClient(base, key, secret, region, dir, as string) (*client.Client, error) {
	return humanClient(base, key, secret, region, dir, as, "operator", func(c local.Config) []local.Operator { return c.Operators })
}

// humanClient signs as the human given by keys, or as one of the humans of a local data
// folder's config that list picks (role names them in errors).
func humanClient(base, key, secret, region, dir, as, role string, list func(local.Config) []local.Operator) (*client.Client, error) {
	if dir != "" {
		if key != "" || secret != "" {
			return nil, errors.New("give either --data or --key and --secret")
		}
		cfg, err := local.LoadConfig(dir)
		if err != nil {
			return nil, err
		}
		if region == "" {
			region = cfg.Region
		}
		for _, h := range list(cfg) {
			if h.AccessKeyID != "" && (as == "" || person.Normalize(h.Name) == person.Normalize(as)) { // any spelling of the name
				return client.New(base, region, h.AccessKeyID, h.SecretAccessKey), nil
			}
		}
		return nil, fmt.Errorf("%s names no %s %q with a key", dir, role, as)
	}
	if key == "" || secret == "" {
		return nil, errors.New("give --key and --secret, or --data")
	}
	if region == "" {
		region = local.DefaultRegion
	}
	return client.New(base, region, key, secret), nil
}
