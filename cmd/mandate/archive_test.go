package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// archivedFolder runs a local instance over a store holding two sessions' records, so its
// archiver ships and checkpoints them when it closes.
func archivedFolder(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, local.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := local.Start(ctx, local.Options{Dir: dir, Addr: "127.0.0.1:0", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	c := audit.NewChain(st, time.Now)
	for _, r := range []audit.Record{
		{Session: "ses_a", Type: audit.TypeDecision, Identity: audit.Identity{Operator: "ada@example.com"}, Verdict: &audit.Verdict{Decision: "deny", Reasons: []string{"forbid-delete"}}},
		{Session: "ses_a", Type: audit.TypeDecision, Identity: audit.Identity{Operator: "ada@example.com"}, Verdict: &audit.Verdict{Decision: "allow", Reasons: []string{"permit-read"}}},
		{Session: "ses_b", Type: audit.TypeDecision, Identity: audit.Identity{Operator: "bob@example.com"}, Verdict: &audit.Verdict{Decision: "allow", Reasons: []string{"permit-read"}}},
	} {
		if _, err := c.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	return dir
}

// pinKey copies the folder's checkpoint public key outside the folder, as an operator keeps
// it, and returns the copy's path.
func pinKey(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, checkpoint.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pinned.pub")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVerifyArchiveExitCodes(t *testing.T) {
	dir := archivedFolder(t)
	key := pinKey(t, dir)
	if code, out, errOut := runCLI(t, "verify", "--data", dir, "--key", key); code != exitOK || !strings.Contains(out, "archive intact: 3 records of 2 sessions") {
		t.Fatalf("intact: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runCLI(t, "verify", "--data", dir, "--key", filepath.Join(t.TempDir(), "none.pub")); code != exitUnreadable {
		t.Fatalf("missing key: exit %d, want %d", code, exitUnreadable)
	}
	// Records shipped but not checkpointed yet: exit 4.
	b := archive.Dir{Root: filepath.Join(dir, local.ArchiveDir)}
	cps, _ := b.List(context.Background(), archive.CheckpointPrefix)
	os.Remove(filepath.Join(b.Root, cps[len(cps)-1]))
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--key", key); code != exitUncovered || !strings.Contains(out, "not yet covered by a checkpoint: 3 records") {
		t.Fatalf("uncovered: exit %d\n%s", code, out)
	}
}

// TestVerifyTrustsNothingInTheFolder: without a key, fingerprint or checkpoint kept outside
// the folder verify refuses to run; a key file inside the folder is refused too; a self-check
// says what it is and never exits 0.
func TestVerifyTrustsNothingInTheFolder(t *testing.T) {
	dir := archivedFolder(t)
	inFolder := filepath.Join(dir, checkpoint.PublicKeyFile)
	for _, args := range [][]string{
		{"verify", "--data", dir},
		{"verify", "--data", dir, "--key", inFolder},
		{"verify", "--data", dir, "--key", filepath.Join(dir, ".", "archive", "..", checkpoint.PublicKeyFile)},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "outside the data folder") && !strings.Contains(errOut, "inside the data folder") {
			t.Errorf("%q: exit %d, want %d\n%s", args, code, exitUsage, errOut)
		}
	}
	code, out, _ := runCLI(t, "verify", "--data", dir, "--self-check")
	if code != exitUnverifiable || strings.Contains(out, "intact") || !strings.Contains(out, "SELF-CHECK") || !strings.Contains(out, "UNVERIFIABLE") {
		t.Fatalf("self-check: exit %d, want %d\n%s", code, exitUnverifiable, out)
	}
	fp := "SHA256:" + keyIDOf(t, inFolder)
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--key-id", fp); code != exitOK || !strings.Contains(out, "archive intact") {
		t.Fatalf("pinned fingerprint: exit %d\n%s", code, out)
	}
	id := keyIDOf(t, inFolder)
	for _, spelling := range []string{id, strings.ToUpper(id), "sha256:" + id, " SHA256:" + strings.ToUpper(id) + "\n"} {
		if code, out, _ := runCLI(t, "verify", "--data", dir, "--key-id", spelling); code != exitOK {
			t.Errorf("fingerprint spelled %q: exit %d\n%s", spelling, code, out)
		}
	}
	for _, wrong := range []string{"SHA256:" + strings.Repeat("0", 64), id[:16], "SHA256:", "SHA256:" + id + "00"} {
		if code, out, _ := runCLI(t, "verify", "--data", dir, "--key-id", wrong); code != exitFailed || !strings.Contains(out, "re-keyed") {
			t.Errorf("wrong fingerprint %q: exit %d\n%s", wrong, code, out)
		}
	}
	t.Setenv(envVerifyKeyID, fp)
	if code, out, _ := runCLI(t, "verify", "--data", dir); code != exitOK {
		t.Fatalf("fingerprint from $%s: exit %d\n%s", envVerifyKeyID, code, out)
	}
}

func keyIDOf(t *testing.T, pubFile string) string {
	t.Helper()
	b, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	v, err := checkpoint.ParsePublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return v.KeyID()
}

func TestVerifyNamesTheRecordModifiedInTheArchive(t *testing.T) {
	dir := archivedFolder(t)
	b := archive.Dir{Root: filepath.Join(dir, local.ArchiveDir)}
	keys, _ := b.List(context.Background(), archive.AuditPrefix)
	obj, _ := b.Get(context.Background(), keys[0])
	_, lines, _ := archive.Decode(obj)
	var out []archive.Line
	for _, l := range lines {
		out = append(out, archive.Line{Body: bytes.Replace(l, []byte(`"deny"`), []byte(`"allow"`), 1)})
	}
	body, _ := archive.Encode(out)
	p := filepath.Join(b.Root, keys[0])
	os.Chmod(p, 0o600)
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCLI(t, "verify", "--data", dir, "--key", pinKey(t, dir))
	if code != exitFailed || !strings.Contains(stdout, "the first: modified: record ses_a#1") {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
}

func TestQueryNamedAndSQL(t *testing.T) {
	dir := archivedFolder(t)
	code, out, errOut := runCLI(t, "query", "--data", dir, "--named", "denied_actions")
	if code != exitOK || !strings.Contains(out, "ses_a\t1\t") || strings.Count(out, "\n") != 2 {
		t.Fatalf("denied_actions: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "query", "--data", dir, "--format", "json", "SELECT session, count(*) AS n FROM audit WHERE identity.operator = ? GROUP BY session", "bob@example.com")
	if code != exitOK || strings.TrimSpace(out) != `{"n":1,"session":"ses_b"}` {
		t.Fatalf("sql: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "query", "--data", dir, "--named", "session_timeline"); code != exitUsage {
		t.Fatalf("missing argument: exit %d", code)
	}
	if code, _, _ := runCLI(t, "query", "--data", dir, "SELEC nonsense"); code != exitFailed {
		t.Fatalf("bad SQL: exit %d", code)
	}
	if code, out, _ := runCLI(t, "query", "--list"); code != exitOK || !strings.Contains(out, "incomplete_actions") {
		t.Fatalf("list: %d %s", code, out)
	}
}

// TestVerifyDeletedArchive: a deleted archive folder is not "unreadable" (exit 3): against a
// checkpoint kept earlier it is a break, and the store's records it held are lag only within
// the bound.
func TestVerifyDeletedArchive(t *testing.T) {
	dir := archivedFolder(t)
	key := pinKey(t, dir)
	kept := keepCheckpoint(t, dir)
	if err := os.RemoveAll(filepath.Join(dir, local.ArchiveDir)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want int
		text string
	}{
		{[]string{"--key", key, "--since", kept}, exitFailed, "kept earlier covers 3 records"},
		{[]string{"--key", key, "--lag-bound", "1ns"}, exitFailed, "waited"},
		{[]string{"--key", key}, exitUnarchived, "not yet archived (3 records, oldest"},
	}
	for _, tc := range cases {
		code, out, errOut := runCLI(t, append([]string{"verify", "--data", dir}, tc.args...)...)
		if code != tc.want || !strings.Contains(out, tc.text) {
			t.Errorf("%q: exit %d, want %d and %q\n%s%s", tc.args, code, tc.want, tc.text, out, errOut)
		}
	}
}
