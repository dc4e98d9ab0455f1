package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// EnvTestRIE names the aws-lambda-rie binary (.ci/with-services installs it).
const EnvTestRIE = "MANDATE_TEST_RIE"

// rieInvoke runs bootstrap under the runtime interface emulator with env, sends event, and
// returns the function's answer.
func rieInvoke(t *testing.T, rie, bootstrap string, env []string, event []byte) []byte {
	t.Helper()
	invoke, stop := rieStart(t, rie, bootstrap, env)
	defer stop() // the next invocation is a new cold start, as the bolt store's lock requires
	status, body := invoke(event)
	if status != http.StatusOK {
		t.Fatalf("invoke: HTTP %d: %s", status, body)
	}
	return body
}

// rieStart runs bootstrap under the runtime interface emulator with env until stop is called
// or the test ends, and returns a function that invokes it (a cold start the first time, warm
// afterwards) and returns the emulator's HTTP status and the function's answer.
func rieStart(t *testing.T, rie, bootstrap string, env []string) (invoke func(event []byte) (int, []byte), stop func()) {
	t.Helper()
	port, apiPort := freePort(t), freePort(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", "127.0.0.1:"+port,
		"--runtime-api-address", "127.0.0.1:"+apiPort, "--log-level", "error", bootstrap)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_FUNCTION_NAME=" + filepath.Base(filepath.Dir(bootstrap)), "AWS_LAMBDA_FUNCTION_TIMEOUT=60"}, env...)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", rie, err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("emulator and %s output:\n%s", filepath.Base(filepath.Dir(bootstrap)), logs.String())
			}
		})
	}
	t.Cleanup(stop)
	url := "http://127.0.0.1:" + port + "/2015-03-31/functions/function/invocations"
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func(event []byte) (int, []byte) {
		t.Helper()
		start := time.Now()
		resp, err := (&http.Client{Timeout: 90 * time.Second}).Post(url, "application/json", bytes.NewReader(event))
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s answered in %v: %.300s", filepath.Base(filepath.Dir(bootstrap)), time.Since(start).Round(time.Millisecond), body)
		return resp.StatusCode, body
	}, stop
}

// syncBuffer is a bytes.Buffer the emulator's two output streams may write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
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

// cgoFunctions are built with cgo and linked statically, as the Makefile's build-action does
// (they link PostgreSQL's parser). The Makefile's netgo and osusergo tags and -trimpath are
// left out here: each changes how every package compiles, so with them about 550 packages (the
// parser's C included) would compile a second time, while without them they all come from the
// build cache go vet and the tests filled, and only the link is static.
var cgoFunctions = map[string]bool{"action": true, "mcp": true}

// builds holds the bootstraps this test binary built: every function is built once, and the
// RIE test and the deploy rehearsal run the same bytes.
var builds struct {
	sync.Once
	dir  string
	runs map[string]*build // by function name
}

// build is one `go build` of several functions, run in the background; done is closed when it
// ends.
type build struct {
	done chan struct{}
	err  error
}

// startBuilds starts building every function under functions/, unless that has started: the
// rehearsal starts them before the slow synthesis. All functions of one configuration are
// built by one `go build`, which compiles each package they share once. One process per
// function would compile the packages they share in every process at once, because the build
// cache does not share work in progress between processes: 8 processes took about 470 s of
// CPU on a cold cache.
func startBuilds() {
	builds.Do(func() {
		builds.runs = map[string]*build{}
		dir, err := os.MkdirTemp("", "mandate-bootstraps")
		builds.dir = dir
		var pure, cgo []string
		for _, f := range Available("..") {
			if cgoFunctions[f.Name] {
				cgo = append(cgo, f.Name)
			} else {
				pure = append(pure, f.Name)
			}
		}
		// Pure Go, as deployed. The cgo functions link statically, with this machine's gcc,
		// and with the race detector: its build of their packages is the one the other tests
		// compiled (make tests), where a plain one would compile them all again, and the
		// rehearsal runs them under the detector.
		goBuild(dir, err, pure, []string{"-tags=lambda.norpc,netgo,osusergo", "-ldflags=-s -w"}, "CGO_ENABLED=0")
		goBuild(dir, err, cgo, []string{"-tags=lambda.norpc", "-race", `-ldflags=-s -w -extldflags "-static"`}, "CGO_ENABLED=1")
	})
}

// goBuild builds names into dir/<name>/bootstrap with one `go build`, in the background.
func goBuild(dir string, err error, names []string, flags []string, cgo string) {
	b := &build{done: make(chan struct{}), err: err}
	for _, name := range names {
		builds.runs[name] = b
	}
	if err != nil {
		close(b.done)
		return
	}
	go func() {
		defer close(b.done)
		out := filepath.Join(dir, "out-"+cgo)
		args := append([]string{"build"}, flags...)
		args = append(args, "-o", out+"/")
		for _, name := range names {
			args = append(args, "./functions/"+name)
		}
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), cgo, "GOOS=linux", "GOARCH=amd64")
		cmd.Dir = ".."
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build %q: %v\n%s", names, err, msg)
			return
		}
		for _, name := range names { // the emulator names the function after the folder
			if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
				b.err = err
				return
			}
			if err := os.Rename(filepath.Join(out, name), filepath.Join(dir, name, "bootstrap")); err != nil {
				b.err = err
				return
			}
		}
	}()
}

// buildBootstrap builds functions/<name> as Lambda does run it, for this machine's
// architecture (linux/amd64 here): CGO_ENABLED=0, -tags lambda.norpc,netgo,osusergo. Without
// the Makefile's -trimpath, which only changes the file names the binary records: with it
// every package would compile again, while without it they are the ones the pure-Go CLI build
// (cmd/mandate's TestBuildsAndDemoesWithoutACCompiler, scripts/build-cli's tags) already
// compiled. Each function is
// built once per test binary, into a folder removed when the binary exits (TestMain).
func buildBootstrap(t *testing.T, name string) string {
	t.Helper()
	startBuilds()
	b, ok := builds.runs[name]
	if !ok {
		t.Fatalf("no functions/%s/main.go", name)
	}
	<-b.done
	if b.err != nil {
		t.Fatal(b.err)
	}
	return filepath.Join(builds.dir, name, "bootstrap")
}

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // stops the node process and removes the runtime it unpacked into a temporary folder
	for _, dir := range []string{builds.dir, synthAssets} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiAnswer decodes an API Gateway v2 answer.
type apiAnswer struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// rieBinary returns the emulator's binary (MANDATE_TEST_RIE); the test skips without it, or
// fails when CI=true.
func rieBinary(t *testing.T) string {
	t.Helper()
	rie := os.Getenv(EnvTestRIE)
	if rie == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: run under .ci/with-services", EnvTestRIE)
		}
		t.Skipf("%s is not set (.ci/with-services installs aws-lambda-rie)", EnvTestRIE)
	}
	return rie
}

// TestBootstrapsUnderRIE runs each function's bootstrap under the Lambda runtime interface
// emulator and has it answer a sample event from events/.
func TestBootstrapsUnderRIE(t *testing.T) {
	rie := rieBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "store.db")
	st, err := bolt.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := local.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	// The demo customer service, reachable from the bootstrap, with its secret where the
	// function's broker reads target secrets.
	secret := strings.Repeat("5e", 32)
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "customers.key"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	customers := httptest.NewServer(crm.New([]byte(secret), time.Now))
	t.Cleanup(customers.Close)
	if err := st.PutDocument(context.Background(), store.Document{Kind: store.KindTargets, Name: authority.DocumentName, Version: 2,
		Body: []byte("targets:\n- {name: customers, kind: http, base_url: '" + customers.URL + "', secret_ref: 'file:secrets/customers.key'}\n")}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	storeEnv := []string{config.EnvStore + "=bolt:" + db, config.EnvSecretsDir + "=" + dir, config.EnvLogLevel + "=debug"}
	deployed := map[string]bool{}
	for _, f := range Available("..") {
		deployed[f.Name] = true
	}
	api := func(t *testing.T, name string, event []byte) apiAnswer {
		var a apiAnswer
		body := rieInvoke(t, rie, buildBootstrap(t, name), storeEnv, event)
		if err := json.Unmarshal(body, &a); err != nil || a.StatusCode == 0 {
			t.Fatalf("%s: not an API Gateway answer: %s", name, body)
		}
		if a.StatusCode >= 500 {
			t.Fatalf("%s: HTTP %d: %s", name, a.StatusCode, a.Body)
		}
		return a
	}
	withSession := func(event []byte, id string) []byte {
		return bytes.ReplaceAll(event, []byte("ses_abcdefghijklmnopqrstuvwxyz"), []byte(id))
	}

	var sessionID string
	t.Run("session", func(t *testing.T) {
		a := api(t, "session", readEvent(t, "apigw-session-open.json"))
		var out struct {
			SessionID string `json:"session_id"`
		}
		if a.StatusCode != http.StatusCreated || json.Unmarshal([]byte(a.Body), &out) != nil || out.SessionID == "" {
			t.Fatalf("open session: HTTP %d %s, want 201 with a session id", a.StatusCode, a.Body)
		}
		sessionID = out.SessionID
	})
	t.Run("action", func(t *testing.T) {
		if sessionID == "" {
			t.Skip("no session")
		}
		a := api(t, "action", withSession(readEvent(t, "apigw-action.json"), sessionID))
		if a.StatusCode != http.StatusOK || !strings.Contains(a.Body, `"verdict":"allow"`) || !strings.Contains(a.Body, `[EMAIL]`) ||
			strings.Contains(a.Body, "grace.hopper@example.org") {
			t.Fatalf("action: HTTP %d %s, want the masked customer", a.StatusCode, a.Body)
		}
	})
	t.Run("audit", func(t *testing.T) {
		if sessionID == "" {
			t.Skip("no session")
		}
		a := api(t, "audit", withSession(readEvent(t, "apigw-audit.json"), sessionID))
		if a.StatusCode != http.StatusOK || !strings.Contains(a.Body, sessionID) {
			t.Fatalf("audit: HTTP %d %s, want 200 with the session's chain", a.StatusCode, a.Body)
		}
	})
	// The human routes refuse the sample agent: an agent never reaches them.
	for name, route := range map[string][2]string{"approval": {"GET /v1/approvals", "/v1/approvals"}, "admin": {"GET /v1/policies", "/v1/policies"}, "killswitch": {"GET /v1/kill", "/v1/kill"}} {
		t.Run(name, func(t *testing.T) {
			if !deployed[name] {
				t.Skipf("functions/%s does not exist yet", name)
			}
			ev := bytes.ReplaceAll(readEvent(t, "apigw-session-get.json"), []byte("GET /v1/sessions/{id}"), []byte(route[0]))
			ev = bytes.ReplaceAll(ev, []byte(`"/v1/sessions/ses_abcdefghijklmnopqrstuvwxyz"`), []byte(`"`+route[1]+`"`))
			if a := api(t, name, ev); a.StatusCode != http.StatusForbidden {
				t.Fatalf("%s for an agent: HTTP %d %s, want 403", name, a.StatusCode, a.Body)
			}
		})
	}

	// A kill by an operator, signed (a real authorization header): the kill switch claims the
	// signature against replay before it stores the kill, so the same event again is refused.
	t.Run("killswitch kill", func(t *testing.T) {
		if !deployed["killswitch"] {
			t.Skip("functions/killswitch does not exist yet")
		}
		env := append(slices.Clone(storeEnv), authority.EnvOperators+"=arn:aws:iam::123456789012:role/mandate-operator=ada")
		bootstrap := buildBootstrap(t, "killswitch")
		event := readEvent(t, "apigw-kill.json")
		var first apiAnswer
		if err := json.Unmarshal(rieInvoke(t, rie, bootstrap, env, event), &first); err != nil {
			t.Fatal(err)
		}
		if first.StatusCode != http.StatusCreated && first.StatusCode != http.StatusOK {
			t.Fatalf("kill: HTTP %d %s, want the kill in force", first.StatusCode, first.Body)
		}
		var again apiAnswer
		if err := json.Unmarshal(rieInvoke(t, rie, bootstrap, env, event), &again); err != nil {
			t.Fatal(err)
		}
		if again.StatusCode != http.StatusConflict || !strings.Contains(again.Body, "already received") {
			t.Fatalf("replayed kill: HTTP %d %s, want 409 replayed", again.StatusCode, again.Body)
		}
	})

	s3env, kmsEndpoint := os.Getenv("MANDATE_TEST_S3_ENDPOINT"), os.Getenv("MANDATE_TEST_KMS_ENDPOINT")
	bucket := "mandate-rie-" + fmt.Sprint(time.Now().UnixNano())
	archiveEnv := func() []string {
		return []string{archive.EnvBucket + "=" + bucket, archive.EnvS3Endpoint + "=" + s3env, archive.EnvRetentionDays + "=1",
			"AWS_ACCESS_KEY_ID=" + os.Getenv("MANDATE_TEST_S3_ACCESS_KEY"), "AWS_SECRET_ACCESS_KEY=" + os.Getenv("MANDATE_TEST_S3_SECRET_KEY")}
	}
	if s3env != "" {
		client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3env), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("MANDATE_TEST_S3_ACCESS_KEY"), os.Getenv("MANDATE_TEST_S3_SECRET_KEY"), "")})
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
			t.Fatalf("create lock-enabled bucket: %v", err)
		}
	}
	t.Run("shipper", func(t *testing.T) {
		if s3env == "" {
			t.Skip("MANDATE_TEST_S3_ENDPOINT is not set")
		}
		body := rieInvoke(t, rie, buildBootstrap(t, "shipper"), archiveEnv(), readEvent(t, "dynamodb-audit-stream.json"))
		var out struct {
			BatchItemFailures []any `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(body, &out); err != nil || len(out.BatchItemFailures) != 0 || strings.Contains(string(body), "errorMessage") {
			t.Fatalf("shipper: %s, want every record shipped", body)
		}
	})
	t.Run("checkpoint", func(t *testing.T) {
		if s3env == "" || kmsEndpoint == "" {
			t.Skip("MANDATE_TEST_S3_ENDPOINT or MANDATE_TEST_KMS_ENDPOINT is not set")
		}
		kc := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(kmsEndpoint),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test", "")})
		key, err := kc.CreateKey(context.Background(), &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecEccNistP256, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
		if err != nil {
			t.Fatalf("create signing key: %v", err)
		}
		env := append(archiveEnv(), checkpoint.EnvKMSKey+"="+aws.ToString(key.KeyMetadata.Arn), checkpoint.EnvKMSEndpoint+"="+kmsEndpoint)
		body := rieInvoke(t, rie, buildBootstrap(t, "checkpoint"), env, readEvent(t, "schedule-checkpoint.json"))
		if strings.Contains(string(body), "errorMessage") {
			t.Fatalf("checkpoint: %s", body)
		}
	})
}
