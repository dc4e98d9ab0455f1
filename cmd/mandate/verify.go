package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// Exit codes of `mandate verify`:
//
//	0  intact: every chain, every archived record and every checkpoint verifies, and every
//	   record is covered by a signed checkpoint
//	1  broken: the first problem is printed (deleted, modified, reordered, truncated, forged
//	   checkpoint), then the others
//	2  the command line was wrong
//	3  unreadable: the data folder, its store, its archive, the table, the bucket or the
//	   trusted key could not be read
//	4  intact so far, but some records are not covered by a checkpoint yet (`mandate local`
//	   writes one every 30 seconds and when it stops; in AWS the checkpoint function runs on
//	   its schedule): verify again later
//	5  intact so far, but the store holds records not archived yet, none older than the lag
//	   bound (--lag-bound, default 15m): shipping lag or a restart pending; verify again
//	   later. Past the bound they are a break (1).
//	6  unverifiable: consistent with the folder's own checkpoint key only (--self-check), or
//	   the kept note or the newest checkpoint lacks the witness cosignatures required
//	   (--witness, --cosignatures).
//	   Anyone who can write the folder can rewrite it and re-sign with that key; pin the key
//	   kept elsewhere (--key, --key-id) or a checkpoint kept earlier (--since).
//
// Trust never comes from the data verified: a data folder is verified against the key kept
// outside it (--key FILE, --key-id FINGERPRINT, or $MANDATE_VERIFY_KEY, $MANDATE_VERIFY_KEY_ID)
// or a checkpoint kept earlier (--since FILE), or explicitly as a self-check.
const (
	exitUnreadable   = 3
	exitUncovered    = 4
	exitUnarchived   = 5
	exitUnverifiable = 6
)

// Environment values that pin what verify trusts, for scripts and CI.
const (
	envVerifyKey   = "MANDATE_VERIFY_KEY"    // a file holding the checkpoint public key
	envVerifyKeyID = "MANDATE_VERIFY_KEY_ID" // the checkpoint key's fingerprint
)

// Environment variables `mandate verify --aws` reads, as the functions do.
const (
	envBucket     = archive.EnvBucket     // MANDATE_ARCHIVE_BUCKET
	envS3Endpoint = archive.EnvS3Endpoint // MANDATE_S3_ENDPOINT
	envTableAudit = dynamo.EnvTableAudit  // MANDATE_TABLE_AUDIT
	envDynamoDB   = dynamo.EnvEndpoint    // MANDATE_DYNAMODB_ENDPOINT
	defaultAudit  = dynamo.DefaultPrefix + "-audit"
)

// verifyTarget is what one run verifies: a data folder, or an AWS deployment's audit table
// and archive bucket.
type verifyTarget struct {
	dir, key, keyID, since  string
	selfCheck               bool
	lagBound                time.Duration
	witnesses               multiFlag
	cosignatures            int
	bucket, table           string
	s3Endpoint, ddbEndpoint string
	aws                     bool
	output                  string // text or json
}

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("verify", stderr)
	var t verifyTarget
	fs.StringVar(&t.dir, "data", "./.mandate", "data folder to verify")
	fs.StringVar(&t.key, "key", os.Getenv(envVerifyKey), "trusted checkpoint public key, PEM or DER, kept outside the data folder (required with a bucket; $"+envVerifyKey+")")
	fs.StringVar(&t.keyID, "key-id", os.Getenv(envVerifyKeyID), "fingerprint of the trusted checkpoint key, as `mandate local` printed it ($"+envVerifyKeyID+")")
	fs.StringVar(&t.since, "since", "", "a checkpoint file kept from an earlier run: the log must still hold and extend it")
	fs.Var(&t.witnesses, "witness", "verifier key of a witness whose cosignature on the --since note counts (repeatable)")
	fs.IntVar(&t.cosignatures, "cosignatures", 0, "witness cosignatures the --since note must carry")
	fs.StringVar(&t.output, "output", "text", "text, or json: one object with the exit code, the lines of the text report, the broken records and the archive report")
	fs.BoolVar(&t.selfCheck, "self-check", false, "trust the data folder's own checkpoint.pub: shows consistency, not that nobody rewrote the folder (exit 6 at best)")
	fs.DurationVar(&t.lagBound, "lag-bound", checkpoint.DefaultLagBound, "how long a record may wait to be archived before it counts as missing")
	useEnv := fs.Bool("aws", false, "verify a deployment: the bucket and table the functions use ($"+envBucket+", $"+envTableAudit+", default "+defaultAudit+")")
	fs.StringVar(&t.bucket, "bucket", "", "verify this S3 archive bucket")
	fs.StringVar(&t.table, "audit-table", "", "verify this DynamoDB audit table (and compare it with the bucket)")
	prefix := fs.String("table-prefix", "", "the audit table is PREFIX-audit (as deployed with table prefix PREFIX)")
	fs.StringVar(&t.s3Endpoint, "s3-endpoint", os.Getenv(envS3Endpoint), "S3 endpoint (an S3-compatible server); empty: AWS")
	fs.StringVar(&t.ddbEndpoint, "dynamodb-endpoint", os.Getenv(envDynamoDB), "DynamoDB endpoint; empty: AWS")
	if _, code, ok := parseArgs(fs, args, "mandate verify [--data DIR] (--key FILE | --key-id FP | --since CHECKPOINT | --self-check) [--output text|json] [flags]", none, stdout, stderr); !ok {
		return code
	}
	if t.output != "text" && t.output != "json" {
		fmt.Fprintf(stderr, "mandate verify: --output must be text or json, not %q\n", t.output)
		return exitUsage
	}
	if *prefix != "" {
		if t.table != "" {
			fmt.Fprintln(stderr, "mandate verify: give --audit-table or --table-prefix, not both")
			return exitUsage
		}
		t.table = dynamo.NamedTables(*prefix).Audit
	}
	if *useEnv {
		if t.bucket == "" {
			t.bucket = os.Getenv(envBucket)
		}
		if t.table == "" {
			t.table = os.Getenv(envTableAudit)
		}
		if t.table == "" {
			t.table = defaultAudit
		}
	}
	t.aws = t.bucket != "" || t.table != ""
	if t.bucket != "" && t.key == "" {
		fmt.Fprintln(stderr, "mandate verify: a bucket is verified against a trusted key: give --key (the checkpoint key's public half, e.g. from `aws kms get-public-key`)")
		return exitUsage
	}
	var (
		chains  []audit.Report
		arch    *local.ArchiveReport
		err     error
		chainsN = progress(stderr, "chains")
	)
	if t.aws {
		chains, arch, err = verifyAWS(ctx, t, chainsN, progress(stderr, "archive objects"))
	} else {
		chains, arch, err = verifyLocal(ctx, t, progress(stderr, "archive objects"))
	}
	if errors.Is(err, local.ErrNoAnchor) || errors.Is(err, local.ErrAnchorInFolder) {
		fmt.Fprintf(stderr, "mandate verify: %v\n", err)
		return exitUsage
	}
	if errors.Is(err, checkpoint.ErrCosignatures) {
		fmt.Fprintf(stdout, "UNVERIFIABLE: %v\n", err)
		return exitUnverifiable
	}
	if err != nil {
		fmt.Fprintf(stderr, "mandate verify: %v\n", err)
		return exitUnreadable
	}
	if t.output == "json" {
		return reportJSON(stdout, chains, arch, t)
	}
	return report(stdout, chains, arch, t)
}

// reportJSON prints the outcome as one JSON object, for scripts: the exit code and the text
// report's lines beside the structured findings.
func reportJSON(stdout io.Writer, chains []audit.Report, arch *local.ArchiveReport, t verifyTarget) int {
	var text bytes.Buffer
	code := report(&text, chains, arch, t)
	out := struct {
		ExitCode int                  `json:"exit_code"`
		Report   []string             `json:"report"`
		Chains   int                  `json:"chains"`
		Records  int                  `json:"records"`
		Broken   []*audit.Break       `json:"broken"`
		Archive  *local.ArchiveReport `json:"archive,omitempty"`
	}{ExitCode: code, Report: strings.Split(strings.TrimSpace(text.String()), "\n"), Chains: len(chains), Broken: []*audit.Break{}, Archive: arch}
	for _, r := range chains {
		out.Records += len(r.Records)
		if r.Break != nil {
			out.Broken = append(out.Broken, r.Break)
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return exitFailed
	}
	return code
}

func verifyLocal(ctx context.Context, t verifyTarget, objects func(done, total int)) ([]audit.Report, *local.ArchiveReport, error) {
	chains, err := local.Verify(ctx, t.dir)
	if err != nil {
		return nil, nil, err
	}
	a := local.Anchor{KeyFile: t.key, KeyID: t.keyID, Since: t.since, SelfCheck: t.selfCheck, Witnesses: t.witnesses, Cosignatures: t.cosignatures}
	rep, err := local.VerifyArchive(ctx, t.dir, a, t.lagBound, objects)
	if err != nil {
		return nil, nil, err
	}
	return chains, &rep, nil
}

// report prints the outcome and returns the exit code.
func report(stdout io.Writer, chains []audit.Report, arch *local.ArchiveReport, t verifyTarget) int {
	where := "in the store"
	if t.aws {
		where = "in table " + t.table
	}
	records := 0
	var broken []*audit.Break
	for _, r := range chains {
		records += len(r.Records)
		if r.Break != nil {
			broken = append(broken, r.Break)
		}
	}
	if arch != nil {
		fmt.Fprintf(stdout, "trusting: %s\n", arch.Trust)
	}
	consistent := "intact"
	if arch != nil && arch.SelfCheck {
		consistent = "consistent"
	}
	switch {
	case len(broken) > 0:
		fmt.Fprintf(stdout, "BROKEN: %d of %d chains %s; the first: %s: record %s#%d\n", len(broken), len(chains), where, broken[0].Cause(), broken[0].Session, broken[0].Seq)
		for _, b := range broken {
			fmt.Fprintf(stdout, "  %s: %v\n", b.Cause(), b)
		}
	case !t.aws || t.table != "":
		fmt.Fprintf(stdout, "%s: %d chains, %d records %s\n", consistent, len(chains), records, where)
	}
	var incomplete, orphans []string
	for _, r := range chains {
		u := audit.Answers(r.Records)
		for _, seq := range u.Incomplete {
			incomplete = append(incomplete, fmt.Sprintf("%s#%d", r.Session, seq))
		}
		for _, seq := range u.Orphans {
			orphans = append(orphans, fmt.Sprintf("%s#%d", r.Session, seq))
		}
	}
	if len(orphans) > 0 {
		fmt.Fprintf(stdout, "BROKEN: %d result records answer no allowed decision; the first: %s\n", len(orphans), orphans[0])
	}
	if len(incomplete) > 0 {
		// A crash between execution and the result record leaves this; so does an action
		// still running. Not a break: the decision is on record.
		fmt.Fprintf(stdout, "incomplete: %d allowed decisions have no result record (the action may have run; its outcome is not on record), the first: %s; the named query incomplete_actions lists them\n",
			len(incomplete), incomplete[0])
	}
	if arch != nil {
		if !arch.Intact() {
			fmt.Fprintf(stdout, "BROKEN archive: %d problems; the first: %s\n", len(arch.Problems), arch.Problems[0])
			for _, p := range arch.Problems[1:] {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
			return exitFailed
		}
		fmt.Fprintf(stdout, "archive %s: %d records of %d sessions in %d objects, %d checkpoints\n", consistent, arch.Records, arch.Sessions, arch.Objects, arch.Checkpoints)
	}
	if len(broken) > 0 || len(orphans) > 0 {
		return exitFailed
	}
	if arch == nil {
		return exitOK
	}
	if len(arch.Cosigners) > 0 {
		fmt.Fprintf(stdout, "newest checkpoint cosigned by: %s\n", strings.Join(arch.Cosigners, ", "))
	}
	if arch.CosignShortfall {
		fmt.Fprintf(stdout, "UNVERIFIABLE: the newest checkpoint has %d of the %d witness cosignatures required (mandate cosign --store)\n", len(arch.Cosigners), t.cosignatures)
		return exitUnverifiable
	}
	if arch.SelfCheck {
		fmt.Fprintln(stdout, "UNVERIFIABLE: self-check only. The folder agrees with its own checkpoint key, which anyone who can write the folder can use to rewrite and re-sign it. Verify with the key kept elsewhere (--key, --key-id) or a checkpoint kept earlier (--since).")
		return exitUnverifiable
	}
	if arch.Unarchived > 0 {
		age := time.Since(arch.UnarchivedSince).Round(time.Second)
		fmt.Fprintf(stdout, "not yet archived (%d records, oldest %d s); a break once older than %s\n", arch.Unarchived, int64(age.Seconds()), t.lagBound)
		return exitUnarchived
	}
	if arch.Uncovered > 0 {
		fmt.Fprintf(stdout, "not yet covered by a checkpoint: %d records\n", arch.Uncovered)
		return exitUncovered
	}
	return exitOK
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// progress reports on stderr, at most twice a second, once a run has taken a second.
func progress(w io.Writer, what string) func(done, total int) {
	start := time.Now()
	var last time.Time
	return func(done, total int) {
		now := time.Now()
		if now.Sub(start) < time.Second || (now.Sub(last) < 500*time.Millisecond && done < total) {
			return
		}
		last = now
		fmt.Fprintf(w, "verify: %d of %d %s read\n", done, total, what)
	}
}
