package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/witness"
)

// cmdWitness runs a witness (shared/witness) for the logs given, or creates its key:
//
//	mandate witness --keygen NAME --key FILE            writes the signing key, prints the verifier key
//	mandate witness --key FILE --log ORIGIN=VKEY... --state FILE [--addr 127.0.0.1:8081]
//
// It is meant to be run by someone other than the log's operator, on a machine of theirs.
func cmdWitness(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("witness", stderr)
	keygen := fs.String("keygen", "", "create a witness key named NAME in --key and print its verifier key")
	keyFile := fs.String("key", "", "the witness's signing key file")
	state := fs.String("state", "", "file that keeps the size and root the witness saw of each log")
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	var logs multiFlag
	fs.Var(&logs, "log", "a log to witness: ORIGIN=VERIFIER_KEY (repeatable; `mandate cosign --log-key` prints it)")
	const witnessUsage = "mandate witness --keygen NAME --key FILE | mandate witness --key FILE --log ORIGIN=VKEY --state FILE [--addr ADDR]"
	if _, code, ok := parseArgs(fs, args, witnessUsage, none, stdout, stderr); !ok {
		return code
	}
	if *keyFile == "" {
		fmt.Fprintln(stderr, "usage: "+witnessUsage)
		return exitUsage
	}
	if *keygen != "" {
		skey, vkey, err := note.GenerateKey(rand.Reader, *keygen)
		if err == nil {
			err = writeExclusive(*keyFile, []byte(skey+"\n"))
		}
		if err != nil {
			fmt.Fprintf(stderr, "mandate witness: %v\n", err)
			return exitFailed
		}
		fmt.Fprintln(stdout, vkey)
		return exitOK
	}
	if len(logs) == 0 || *state == "" {
		fmt.Fprintln(stderr, "mandate witness: give at least one --log ORIGIN=VKEY and a --state file")
		return exitUsage
	}
	skey, err := os.ReadFile(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "mandate witness: %v\n", err)
		return exitUnreadable
	}
	signer, err := fnote.NewSignerForCosignatureV1(strings.TrimSpace(string(skey)))
	if err != nil {
		fmt.Fprintf(stderr, "mandate witness: key: %v\n", err)
		return exitUnreadable
	}
	var known []witness.Log
	for _, l := range logs {
		origin, vkey, ok := strings.Cut(l, "=")
		if !ok {
			fmt.Fprintf(stderr, "mandate witness: --log %q is not ORIGIN=VKEY\n", l)
			return exitUsage
		}
		known = append(known, witness.Log{Origin: origin, VKey: vkey})
	}
	srv, err := witness.NewServer(signer, known, *state)
	if err != nil {
		fmt.Fprintf(stderr, "mandate witness: %v\n", err)
		return exitFailed
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "mandate witness: %v\n", err)
		return exitFailed
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	go func() { _ = hs.Serve(l) }()
	fmt.Fprintf(stdout, "witness %s listening on http://%s%s\n", signer.Name(), l.Addr(), witness.Path)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	return exitOK
}

// cmdCosign gets the newest checkpoint of a data folder's archive cosigned by a witness, after
// verifying the archive with the same anchors as verify, and writes the cosigned note, the
// checkpoint to keep for `mandate verify --since`:
//
//	mandate cosign --data DIR (--key FILE | --key-id FP | --since CP) --witness-url URL [--last N] [--out FILE] [--store]
//	mandate cosign --data DIR (--key FILE | --key-id FP | --since CP) --log-key   prints the log's verifier key
func cmdCosign(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("cosign", stderr)
	var a local.Anchor
	dir := fs.String("data", "./.mandate", "data folder")
	fs.StringVar(&a.KeyFile, "key", "", "trusted checkpoint public key kept outside the data folder")
	fs.StringVar(&a.KeyID, "key-id", "", "fingerprint of the trusted checkpoint key")
	fs.StringVar(&a.Since, "since", "", "a checkpoint kept from an earlier run")
	url := fs.String("witness-url", "", "the witness's URL (without "+witness.Path+")")
	last := fs.Uint64("last", 0, "the size the witness cosigned last (it says so when wrong)")
	out := fs.String("out", "", "write the cosigned checkpoint here (default: standard output)")
	store := fs.Bool("store", false, "also keep the cosigned checkpoint in the archive (cosigned/), where verify --witness finds it")
	logKey := fs.Bool("log-key", false, "print the log's ORIGIN=VERIFIER_KEY for the witness's --log, and stop")
	const cosignUsage = "mandate cosign --data DIR (--key FILE | --key-id FP | --since CP) (--witness-url URL [--last N] [--out FILE] | --log-key)"
	if _, code, ok := parseArgs(fs, args, cosignUsage, none, stdout, stderr); !ok {
		return code
	}
	if *url == "" && !*logKey {
		fmt.Fprintln(stderr, "usage: "+cosignUsage)
		return exitUsage
	}
	rep, err := local.VerifyArchive(ctx, *dir, a, checkpoint.DefaultLagBound, nil)
	switch {
	case errors.Is(err, local.ErrNoAnchor) || errors.Is(err, local.ErrAnchorInFolder):
		fmt.Fprintf(stderr, "mandate cosign: %v\n", err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "mandate cosign: %v\n", err)
		return exitUnreadable
	case !rep.Intact():
		fmt.Fprintf(stderr, "mandate cosign: the archive is broken: %s\n", rep.Problems[0])
		return exitFailed
	case rep.Newest == nil || rep.Newest.Note == "":
		fmt.Fprintln(stderr, "mandate cosign: no checkpoint with a note to cosign yet")
		return exitFailed
	}
	if *logKey {
		pub, err := os.ReadFile(firstNonEmpty(a.KeyFile, *dir+"/"+checkpoint.PublicKeyFile))
		var v *checkpoint.Verifier
		if err == nil {
			v, err = checkpoint.ParsePublicKey(pub)
		}
		var vkey string
		if err == nil {
			vkey, err = v.VerifierKey(rep.Newest.Origin)
		}
		if err != nil {
			fmt.Fprintf(stderr, "mandate cosign: %v\n", err)
			return exitUnreadable
		}
		fmt.Fprintf(stdout, "%s=%s\n", rep.Newest.Origin, vkey)
		return exitOK
	}
	cosigned, err := witness.Cosign(ctx, &http.Client{Timeout: 30 * time.Second}, *url, rep.Leaves, []byte(rep.Newest.Note), *last)
	if err != nil {
		fmt.Fprintf(stderr, "mandate cosign: %v\n", err)
		return exitFailed
	}
	if *store {
		name := cosignerName(cosigned)
		b := archive.Dir{Root: filepath.Join(*dir, local.ArchiveDir)}
		if err := b.Create(ctx, checkpoint.CosignedKey(rep.Newest.Index, name), cosigned, time.Now().Add(archive.DefaultRetention)); err != nil && !errors.Is(err, archive.ErrExists) {
			fmt.Fprintf(stderr, "mandate cosign: %v\n", err)
			return exitFailed
		}
	}
	if *out == "" {
		_, _ = stdout.Write(cosigned)
		return exitOK
	}
	if err := os.WriteFile(*out, cosigned, 0o600); err != nil {
		fmt.Fprintf(stderr, "mandate cosign: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "cosigned checkpoint of %d records written to %s: keep it outside the data folder\n", rep.Size, *out)
	return exitOK
}

// cosignerName is the name on a cosigned note's last signature line: the witness's.
func cosignerName(n []byte) string {
	lines := strings.Split(strings.TrimRight(string(n), "\n"), "\n")
	name, _, _ := strings.Cut(strings.TrimPrefix(lines[len(lines)-1], "— "), " ")
	return name
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func writeExclusive(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	return errors.Join(werr, f.Sync(), f.Close())
}
