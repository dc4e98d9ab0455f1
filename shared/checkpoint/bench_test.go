package checkpoint_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
)

// BenchmarkVerifyArchive verifies an archive of 100 sessions of 100 records, checkpointed,
// and reports records verified per second (re-hash, chains, signatures, Merkle roots).
func BenchmarkVerifyArchive(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	bucket := archive.Dir{Root: filepath.Join(dir, "archive")}
	sh := archive.NewShipper(bucket, time.Hour, time.Now)
	signer, err := checkpoint.LoadOrCreateEd25519(dir)
	if err != nil {
		b.Fatal(err)
	}
	w := &checkpoint.Writer{Bucket: bucket, Signer: signer, Now: time.Now}
	const sessions, each = 100, 100
	t0 := time.Now().UTC().Add(-time.Hour)
	for s := range sessions {
		var lines []archive.Line
		prev := ""
		for i := 1; i <= each; i++ {
			r := audit.Record{Version: 1, Session: fmt.Sprintf("ses_%03d", s), Seq: uint64(i), PrevHash: prev, Type: audit.TypeDecision, Time: t0.Add(time.Duration(i) * time.Millisecond),
				Identity: audit.Identity{Agent: "arn:aws:iam::111122223333:role/agent", AgentKind: "iam", Operator: "ada@example.com"},
				Action:   &audit.Action{Kind: "http", Target: "customers", Name: "http:GET", Resource: "/customers/42", Digest: "d"},
				Verdict:  &audit.Verdict{Decision: "allow", Reasons: []string{"permit-read"}, PolicyVersion: 1}}
			body, err := audit.Seal(&r)
			if err != nil {
				b.Fatal(err)
			}
			l, _ := archive.ParseLine(body)
			lines = append(lines, l)
			prev = r.Hash
		}
		if _, err := sh.Ship(ctx, lines); err != nil {
			b.Fatal(err)
		}
		if s%10 == 9 {
			if _, err := w.Run(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	v, _ := checkpoint.NewVerifier(signer.Public())
	b.ResetTimer()
	for b.Loop() {
		rep, err := checkpoint.VerifyArchive(ctx, bucket, checkpoint.Options{Verifier: v})
		if err != nil || !rep.Intact() || rep.Records != sessions*each || rep.Uncovered != 0 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(b.N*sessions*each)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkConsistencyProof computes and verifies the consistency proof between a kept
// checkpoint of half the log and the newest (100,000 leaves), as verify --since does.
func BenchmarkConsistencyProof(b *testing.B) {
	const n = 100_000
	leaves := make(checkpoint.Leaves, n)
	for i := range leaves {
		h := sha256.Sum256([]byte(fmt.Sprint(i)))
		leaves[i] = h[:]
	}
	root1, _ := leaves.Root(n / 2)
	root2, _ := leaves.Root(n)
	b.ResetTimer()
	for b.Loop() {
		p, err := leaves.Consistency(n/2, n)
		if err != nil {
			b.Fatal(err)
		}
		if err := checkpoint.VerifyConsistency(n/2, n, p, root1, root2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRootOfLog is the baseline of BenchmarkConsistencyProof: the root of the same
// 100,000 leaves, which verify computes anyway.
func BenchmarkRootOfLog(b *testing.B) {
	const n = 100_000
	leaves := make(checkpoint.Leaves, n)
	for i := range leaves {
		h := sha256.Sum256([]byte(fmt.Sprint(i)))
		leaves[i] = h[:]
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := leaves.Root(n); err != nil {
			b.Fatal(err)
		}
	}
}
