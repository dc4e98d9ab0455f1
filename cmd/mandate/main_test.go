package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

func TestDemoThenVerifyThenTamper(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"demo", "--data", dir}, &out, &errOut); code != exitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	out.Reset()
	key := pinKey(t, dir)
	if code := run(ctx, []string{"verify", "--data", dir, "--key", key}, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "intact: 3 chains, 26 records") {
		t.Fatalf("verify exit %d: %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	var js struct {
		ExitCode int   `json:"exit_code"`
		Chains   int   `json:"chains"`
		Records  int   `json:"records"`
		Broken   []any `json:"broken"`
	}
	if code := run(ctx, []string{"verify", "--data", dir, "--output", "json", "--key", key}, &out, &errOut); code != exitOK ||
		json.Unmarshal(out.Bytes(), &js) != nil || js.ExitCode != 0 || js.Chains != 3 || js.Records != 26 || len(js.Broken) != 0 {
		t.Fatalf("verify --output json: %d %s %s", code, out.String(), errOut.String())
	}

	// An insider edits the verdict of the second record in the store file.
	db, err := bbolt.Open(filepath.Join(dir, local.StoreFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		audit := tx.Bucket([]byte("audit"))
		c := audit.Cursor()
		session, _ := c.First()
		for bytes.Equal(session, []byte("control")) { // the kill switch chain; tamper with the session's
			session, _ = c.Next()
		}
		chain := audit.Bucket(session)
		key := binary.BigEndian.AppendUint64(nil, 2)
		r, err := bolt.DecodeRecord(chain.Get(key))
		if err != nil {
			return err
		}
		r.Body = bytes.Replace(r.Body, []byte(`"decision":"allow"`), []byte(`"decision":"deny"`), 1)
		return chain.Put(key, bolt.EncodeRecord(r))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	code := run(ctx, []string{"verify", "--data", dir, "--key", key}, &out, &errOut)
	if code != exitFailed || !strings.Contains(out.String(), "broken at seq 2 (hash)") {
		t.Fatalf("verify after tampering: exit %d: %s", code, out.String())
	}
}

// TestDemoRunsAgainOnAUsedFolder: the demo's own check counts this run's records, so a second
// run on the same folder passes, and the folder still verifies.
func TestDemoRunsAgainOnAUsedFolder(t *testing.T) {
	dir := t.TempDir()
	for i := range 2 {
		if code, out, errOut := runCLI(t, "demo", "--data", dir); code != exitOK {
			t.Fatalf("run %d: exit %d\n%s%s", i+1, code, out, errOut)
		}
	}
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--key", pinKey(t, dir)); code != exitOK {
		t.Fatalf("verify after two runs: exit %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	for _, args := range [][]string{nil, {"nope"}, {"verify", "--bogus"}, {"demo", "extra"}} {
		if code := run(context.Background(), args, &out, &errOut); code != exitUsage {
			t.Errorf("run(%q) = %d, want %d", args, code, exitUsage)
		}
	}
}

func TestVerifyMissingData(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"verify", "--data", t.TempDir()}, &out, &errOut); code != exitUnreadable {
		t.Fatalf("verify of an empty folder = %d", code)
	}
}

// TestVerifyReportsUnansweredDecisions: an allowed decision with no result is reported (a
// crash between execution and the result record) without failing; a result with no
// decision is a break.
func TestVerifyReportsUnansweredDecisions(t *testing.T) {
	t.Parallel()
	allow := audit.Record{Seq: 2, Type: audit.TypeDecision, Verdict: &audit.Verdict{Decision: "allow"}}
	tests := []struct {
		name    string
		records []audit.Record
		want    int
		line    string
	}{
		{"answered", []audit.Record{{Seq: 1}, allow, {Seq: 3, Type: audit.TypeResult, Result: &audit.Result{DecisionSeq: 2}}}, exitOK, ""},
		{"incomplete", []audit.Record{{Seq: 1}, allow}, exitOK, "incomplete: 1 allowed decisions have no result record"},
		{"orphan result", []audit.Record{{Seq: 1}, {Seq: 2, Type: audit.TypeResult, Result: &audit.Result{DecisionSeq: 1}}}, exitFailed, "BROKEN: 1 result records answer no allowed decision; the first: ses_x#2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code := report(&out, []audit.Report{{Session: "ses_x", Records: tc.records}}, nil, verifyTarget{})
			if code != tc.want || !strings.Contains(out.String(), tc.line) || (tc.line == "" && strings.Contains(out.String(), "incomplete")) {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.want, out.String())
			}
		})
	}
}
