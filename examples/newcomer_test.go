package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestNewcomer does what a newcomer does with README.md, in its order, in a clean copy of the
// repository (the files git tracks, nothing built, no .cache): `make demo`, then `mandate
// local`, then every shell command of the README with the keys and ids `mandate local` and
// earlier answers gave, checking each answer against the `# ->` line under it. Python and Go
// snippets must be the files in examples/ that the commands run; YAML snippets must parse.
//
// What it changes, and only this: the port (a free one instead of 8080), `go run
// ./cmd/mandate` (the binary `make demo` built in the copy, the same build), and the
// placeholders a newcomer fills in by hand (AK=AKIA..., S=ses_..., KEYID=SHA256:...);
// and, when this test runs under the race detector, what the commands build is built with it.
// The deployment commands (make synth, which installs the CDK CLI and Node 22 and
// cross-compiles for arm64; cdk; aws) are listed, not run: infra's tests synthesize the same
// app and run its bootstraps under the Lambda runtime interface emulator.
func TestNewcomer(t *testing.T) {
	for _, tool := range []string{"git", "curl", "python3", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required in CI: %v", tool, err)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	repo := cleanCopy(t)
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := &newcomer{t: t, repo: repo, vars: map[string]string{}, later: make(chan [2]string, 4)}
	defer n.stop()
	blocks := codeBlocks(string(readme))
	if len(blocks) < 10 {
		t.Fatalf("README.md has %d code blocks; the parser is wrong", len(blocks))
	}
	ran := 0
	for _, b := range blocks {
		switch b.lang {
		case "sh":
			ran += n.shell(b)
		case "python":
			n.snippet(b, "examples", ".py")
		case "go":
			n.snippet(b, "examples", ".go")
		case "yaml":
			var v any
			if err := yaml.Unmarshal([]byte(b.text), &v); err != nil {
				t.Errorf("README.md:%d: the YAML snippet does not parse: %v", b.line, err)
			}
		default:
			t.Errorf("README.md:%d: a %q block: say how the newcomer test checks it", b.line, b.lang)
		}
	}
	t.Logf("ran %d README commands; deployment commands not run here: %q", ran, n.skipped)
	if ran < 25 {
		t.Fatalf("only %d README commands ran", ran)
	}
}

// cleanCopy copies the files git tracks, as they are in the working tree, to a new folder.
func cleanCopy(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "mandate")
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		fi, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not committed yet
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), raw, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

type block struct {
	lang, text string
	line       int
}

// codeBlocks returns README's fenced code blocks, in order, de-indented (blocks inside list
// items are indented).
func codeBlocks(md string) []block {
	var out []block
	var cur *block
	indent := ""
	for i, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if cur == nil {
			if strings.HasPrefix(trimmed, "```") && len(trimmed) > 3 {
				cur = &block{lang: strings.TrimPrefix(trimmed, "```"), line: i + 1}
				indent = line[:len(line)-len(trimmed)]
			}
			continue
		}
		if trimmed == "```" {
			out = append(out, *cur)
			cur = nil
			continue
		}
		cur.text += strings.TrimPrefix(line, indent) + "\n"
	}
	return out
}

type newcomer struct {
	t       *testing.T
	repo    string
	vars    map[string]string // what the newcomer knows: keys, ids
	bin     string            // the CLI make demo built
	server  *exec.Cmd
	serve   string // the mandate local command line, to start it again
	addr    string
	log     *bytes.Buffer
	later   chan [2]string // what mandate local prints after its keys: name and value
	skipped []string
	awsPort string // where the README's AWS stand-in listens here
}

// command is one shell command of a block with the answer the README shows under it.
type command struct {
	line      int
	text, exp string
}

func commands(b block) []command {
	var out []command
	lines := strings.Split(strings.TrimRight(b.text, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "# ->") && len(out) > 0:
			exp := strings.TrimSpace(strings.TrimPrefix(l, "# ->"))
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "#") && !strings.HasPrefix(lines[i+1], "# ->") {
				i++
				exp += "\n" + strings.TrimSpace(strings.TrimPrefix(lines[i], "#"))
			}
			out[len(out)-1].exp = exp
		case strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#"):
		default:
			c := command{line: b.line + 1 + i, text: l}
			for strings.HasSuffix(c.text, "\\") && i+1 < len(lines) {
				i++
				c.text += "\n" + lines[i] // bash reads the backslash-newline as a space
			}
			out = append(out, c)
		}
	}
	return out
}

var (
	assignment = regexp.MustCompile(`^(export )?[A-Z][A-Z0-9_]*=`)
	runCLI     = "go run ./cmd/mandate"
	needsAWS   = []string{"make synth", ".cache/cdk/", "aws "}
	storeOnly  = regexp.MustCompile(`mandate (explain|verify|query|prove)\b`)
	usesAPI    = regexp.MustCompile(`\bcurl\b|examples/|mandate kill\b`)
)

// shell runs a sh block's commands and returns how many ran.
func (n *newcomer) shell(b block) int {
	t := n.t
	ran := 0
	for _, c := range commands(b) {
		where := fmt.Sprintf("README.md:%d: %s", c.line, firstLine(c.text))
		bare, _, _ := strings.Cut(c.text, " #") // without a comment at the end
		bare = strings.TrimSpace(bare)
		switch {
		case bare == "make test":
			continue // this test runs inside it
		case hasAnyPrefix(c.text, needsAWS):
			n.skipped = append(n.skipped, bare)
			continue
		case assignment.MatchString(c.text):
			n.assign(where, c.text)
			continue
		case strings.HasSuffix(bare, "&"):
			n.background(where, bare)
			ran++
			continue
		case strings.HasPrefix(c.text, runCLI+" local"):
			n.serve = c.text
			n.start(where)
			ran++
			continue
		case bare == "make demo":
			out := n.run(where, "make demo")
			if !strings.Contains(out, "All 11 checks behaved as expected") {
				t.Fatalf("%s: the demo did not pass:\n%s", where, out)
			}
			n.bin = filepath.Join(n.repo, ".cache", "bin", "mandate")
			ran++
			continue
		}
		if storeOnly.MatchString(c.text) {
			n.stop() // the README: stop mandate local on that folder first
		} else if usesAPI.MatchString(c.text) && n.server == nil {
			n.start(where) // ... and start it again for the API
		}
		out := n.run(where, c.text)
		ran++
		if c.exp != "" {
			if err := matches(c.exp, out); err != nil {
				t.Errorf("%s\n  answered: %s\n  README shows: %s\n  %v", where, out, c.exp, err)
			}
		}
		if s := sessionID(out); s != "" {
			n.vars["S"] = s
		}
	}
	return ran
}

// assign sets shell variables; a value with "..." is a placeholder the newcomer fills in from
// what mandate local printed.
func (n *newcomer) assign(where, line string) {
	for _, stmt := range strings.Split(line, ";") {
		stmt = strings.TrimPrefix(strings.TrimSpace(stmt), "export ")
		for _, kv := range strings.Fields(stmt) {
			name, val, ok := strings.Cut(kv, "=")
			if !ok {
				n.t.Fatalf("%s: %q is not an assignment", where, kv)
			}
			if strings.Contains(val, "...") {
				n.learn(name)
				known, ok := n.vars[name]
				if !ok {
					n.t.Fatalf("%s: the README asks for %s, which nothing printed before", where, name)
				}
				val = known
			}
			n.vars[name] = os.Expand(val, func(k string) string { return n.vars[k] })
		}
	}
}

func (n *newcomer) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") { // only what the README exports
			env = append(env, kv)
		}
	}
	for k, v := range n.vars {
		env = append(env, k+"="+v)
	}
	if raceBuilt() {
		// What the commands build (the CLI, the Go example) is built with the race detector
		// as this test is: the race build is the one the test run already compiled, so it
		// compiles nothing again, and the whole authority runs under the detector.
		env = append(env, "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -race"))
	}
	return env
}

// raceBuilt reports whether this test binary was built with the race detector.
func raceBuilt() bool {
	bi, ok := debug.ReadBuildInfo()
	return ok && slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "-race" && s.Value == "true" })
}

func (n *newcomer) rewrite(cmd string) string {
	if n.bin != "" {
		cmd = strings.ReplaceAll(cmd, runCLI, n.bin)
	}
	if n.addr != "" {
		cmd = strings.ReplaceAll(cmd, "127.0.0.1:8080", n.addr)
	}
	if strings.Contains(cmd, "127.0.0.1:5000") || strings.Contains(cmd, "-p 5000") { // the AWS stand-in
		if n.awsPort == "" {
			n.awsPort = freePort(n.t)
		}
		cmd = strings.ReplaceAll(strings.ReplaceAll(cmd, "127.0.0.1:5000", "127.0.0.1:"+n.awsPort), "-p 5000", "-p "+n.awsPort)
	}
	return cmd
}

// background starts a command the README runs with a trailing & (a server) in its own
// process group, stopped when the test ends.
func (n *newcomer) background(where, cmd string) {
	n.t.Helper()
	n.t.Logf("%s", where)
	c := exec.Command("bash", "-c", "exec "+strings.TrimSuffix(strings.TrimSpace(n.rewrite(cmd)), "&"))
	c.Dir, c.Env = n.repo, n.env()
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		n.t.Fatalf("%s: %v", where, err)
	}
	n.t.Cleanup(func() {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		_ = c.Wait()
	})
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// run runs one command with bash in the copy and fails the test unless it exits 0.
func (n *newcomer) run(where, cmd string) string {
	n.t.Helper()
	n.t.Logf("%s", where)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", n.rewrite(cmd))
	c.Dir, c.Env = n.repo, n.env()
	// Its own process group, so a timeout stops everything it started.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		n.t.Fatalf("%s: %v\nstdout: %s\nstderr: %s\nmandate local: %s", where, err, stdout.String(), stderr.String(), n.logText())
	}
	return strings.TrimSpace(stdout.String())
}

var printed = regexp.MustCompile(`(?m)^(agent|operator|admin): +(\S+) +access key (\S+) +secret (\S+)$`)

// start runs the README's mandate local command on a free port and learns what it prints.
func (n *newcomer) start(where string) {
	t := n.t
	if n.serve == "" {
		t.Fatalf("%s: needs mandate local, which the README has not started", where)
	}
	if n.addr == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		n.addr = l.Addr().String()
		l.Close()
	}
	n.log = &bytes.Buffer{}
	c := exec.Command("bash", "-c", "exec "+n.rewrite(n.serve))
	c.Dir, c.Env = n.repo, n.env()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout, c.Stderr = pw, pw
	if err := c.Start(); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	pw.Close()
	n.server = c
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(2 * time.Minute)
	var admins []string
	for ready := false; !ready; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s: mandate local stopped:\n%s", where, n.logText())
			}
			n.log.WriteString(l + "\n")
			if m := printed.FindStringSubmatch(l); m != nil {
				switch m[1] {
				case "agent":
					n.vars["AK"], n.vars["SK"] = m[3], m[4]
				case "admin":
					admins = append(admins, m[3]+":"+m[4])
				}
			}
			ready = strings.HasPrefix(l, "admin:") && len(admins) == 2
		case <-deadline:
			t.Fatalf("%s: mandate local printed no keys in 2 minutes:\n%s", where, n.logText())
		}
	}
	n.vars["ADMIN1"], n.vars["ADMIN2"] = admins[0], admins[1] // ready: both printed
	go func() {                                               // keep draining, so the server never blocks on its output
		for l := range lines {
			if _, fp, ok := strings.Cut(l, "checkpoint key created: "); ok {
				n.later <- [2]string{"KEYID", strings.TrimSpace(fp)}
			}
		}
	}()
}

// learn waits briefly for name among what mandate local printed after its keys.
func (n *newcomer) learn(name string) {
	if _, ok := n.vars[name]; ok {
		return
	}
	for {
		select {
		case kv := <-n.later:
			n.vars[kv[0]] = kv[1]
			if kv[0] == name {
				return
			}
		case <-time.After(5 * time.Second):
			return
		}
	}
}

// stop stops mandate local as a person does (Ctrl-C) and waits for it to exit.
func (n *newcomer) stop() {
	if n.server == nil {
		return
	}
	_ = n.server.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- n.server.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = n.server.Process.Kill()
		<-done
		n.t.Errorf("mandate local did not stop within 30 s of Ctrl-C")
	}
	n.server = nil
}

func (n *newcomer) logText() string {
	if n.log == nil {
		return ""
	}
	return n.log.String()
}

// snippet: a Python or Go block must be (part of) a file in dir the README's commands run, so
// what it shows is what runs.
func (n *newcomer) snippet(b block, dir, ext string) {
	want := normalize(b.text)
	found := false
	_ = filepath.WalkDir(filepath.Join(n.repo, dir), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ext) || strings.HasSuffix(path, "_test.go") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err == nil && strings.Contains(normalize(string(raw)), want) {
			found = true
		}
		return err
	})
	if !found {
		n.t.Errorf("README.md:%d: the %s snippet is not in any %s file under %s/, so nothing runs it", b.line, b.lang, ext, dir)
	}
}

// normalize compares code without its indentation.
func normalize(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func sessionID(out string) string {
	var v struct {
		SessionID string `json:"session_id"`
	}
	for _, obj := range jsonValues(out) {
		if json.Unmarshal(obj, &v) == nil && strings.HasPrefix(v.SessionID, "ses_") {
			return v.SessionID
		}
	}
	return ""
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
