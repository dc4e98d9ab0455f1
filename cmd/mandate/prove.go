package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/local"
)

// inclusionProof is what `mandate prove` prints: everything a third party needs to check,
// with any RFC 6962 verifier, that one audit record is in the log the checkpoint commits to.
type inclusionProof struct {
	Session   string   `json:"session"`
	Seq       uint64   `json:"seq"`
	LeafIndex uint64   `json:"leaf_index"`
	LeafHash  string   `json:"leaf_hash"` // base64 RFC 6962 leaf hash: the record's own hash
	TreeSize  uint64   `json:"tree_size"`
	Root      string   `json:"root"` // base64, as in the checkpoint note
	Proof     []string `json:"proof"`
	// Checkpoint is the log's signed C2SP checkpoint of (tree_size, root).
	Checkpoint string `json:"checkpoint"`
}

// cmdProve prints the inclusion proof of one record in the newest checkpoint of a data
// folder's archive, after verifying the archive against the same anchors as `mandate verify`.
// Exit codes are verify's: 0 printed, 1 the archive is broken or the record is not covered by
// a checkpoint, 2 usage, 3 unreadable.
func cmdProve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("prove", stderr)
	var a local.Anchor
	dir := fs.String("data", "./.mandate", "data folder")
	fs.StringVar(&a.KeyFile, "key", "", "trusted checkpoint public key kept outside the data folder")
	fs.StringVar(&a.KeyID, "key-id", "", "fingerprint of the trusted checkpoint key")
	fs.StringVar(&a.Since, "since", "", "a checkpoint kept from an earlier run")
	fs.BoolVar(&a.SelfCheck, "self-check", false, "trust the data folder's own checkpoint.pub")
	pos, code, ok := parseArgs(fs, args, "mandate prove [--data DIR] (--key FILE | --key-id FP | --since CHECKPOINT | --self-check) SESSION SEQ",
		func(n int) bool { return n == 2 }, stdout, stderr)
	if !ok {
		return code
	}
	session := pos[0]
	seq, err := strconv.ParseUint(pos[1], 10, 64)
	if err != nil || seq == 0 {
		fmt.Fprintf(stderr, "mandate prove: sequence %q is not a positive number\n", fs.Arg(1))
		return exitUsage
	}
	rep, err := local.VerifyArchive(ctx, *dir, a, checkpoint.DefaultLagBound, nil)
	switch {
	case errors.Is(err, local.ErrNoAnchor) || errors.Is(err, local.ErrAnchorInFolder):
		fmt.Fprintf(stderr, "mandate prove: %v\n", err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "mandate prove: %v\n", err)
		return exitUnreadable
	case !rep.Intact():
		fmt.Fprintf(stderr, "mandate prove: the archive is broken: %s\n", rep.Problems[0])
		return exitFailed
	}
	i, ok := rep.LeafOf(session, seq)
	if !ok || rep.Newest == nil {
		fmt.Fprintf(stderr, "mandate prove: record %s#%d is not covered by a checkpoint (yet)\n", session, seq)
		return exitFailed
	}
	p, err := rep.Leaves.Inclusion(i, rep.Size)
	if err == nil {
		root, _ := rep.Leaves.Root(rep.Size)
		err = checkpoint.VerifyInclusion(i, rep.Size, rep.Leaves[i], p, root)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mandate prove: %v\n", err)
		return exitFailed
	}
	root, _ := rep.Leaves.Root(rep.Size)
	out := inclusionProof{Session: session, Seq: seq, LeafIndex: i, LeafHash: b64(rep.Leaves[i]), TreeSize: rep.Size, Root: b64(root), Proof: []string{}, Checkpoint: rep.Newest.Note}
	for _, h := range p {
		out.Proof = append(out.Proof, b64(h))
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return exitFailed
	}
	if rep.SelfCheck {
		fmt.Fprintln(stderr, "mandate prove: SELF-CHECK only: the proof is against the folder's own key")
	}
	return exitOK
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
