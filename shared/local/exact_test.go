package local_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store"
)

// The attacker's tests of the exact action: against a real `mandate local` with an echoing
// target, every spelling of a forbidden action is refused or decided exactly like its
// canonical twin, and what arrives at the target is the canonical form.

// echo is a target that records what reached it and answers with it.
type echo struct {
	mu   sync.Mutex
	uris []string
	body []string
}

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.uris = append(e.uris, r.RequestURI)
	e.body = append(e.body, string(raw))
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"uri": r.RequestURI})
}

func (e *echo) seen() ([]string, []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.uris...), append([]string(nil), e.body...)
}

const exactPolicies = `
@id("permit-echo")
permit (principal, action, resource in Target::"echo");

@id("forbid-admin-users")
forbid (principal, action, resource == Resource::"echo//admin/users");

@id("permit-iis")
permit (principal, action, resource in Target::"iis");

@id("forbid-iis-admin")
forbid (principal, action, resource == Resource::"iis//admin/users");

@id("forbid-export-parameter")
forbid (principal, action, resource in Target::"echo")
when { context.http.query_names.contains("export") };

@id("list-needs-approval")
@approval("listing every customer is a bulk export")
permit (principal, action == Action::"http:GET", resource == Resource::"echo//customers");

@id("forbid-more-than-5-reads")
forbid (principal, action in Action::"read", resource in Target::"echo")
when { context.session.by_family.read > 5 };
`

// startExact runs `mandate local` with an echo target under exactPolicies, on the embedded
// store or, with dynamo set, on the DynamoDB-compatible server.
func startExact(t *testing.T, dynamo string) (*local.Instance, *echo) {
	t.Helper()
	e := &echo{}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg, err := local.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dynamo != "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.Store = local.StoreConfig{Kind: local.StoreDynamoDB, DynamoDB: local.DynamoDBConfig{
			Endpoint: dynamo, TablePrefix: "exact-" + hex.EncodeToString(b), CreateTables: true}}
		raw, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, local.ConfigFile), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "echo.key"), bytes.Repeat([]byte("e"), 32), 0o600); err != nil {
		t.Fatal(err)
	}
	targets := "targets:\n  - {name: echo, kind: http, base_url: '" + srv.URL + "', secret_ref: 'file:echo.key', mask_profile: default, timeout: 5s}\n" +
		"  - {name: iis, kind: http, base_url: '" + srv.URL + "', secret_ref: 'file:echo.key', mask_profile: default, timeout: 5s, case_insensitive_paths: true}\n"
	return startWith(t, dir, &cfg, exactPolicies, targets), e
}

// startWith runs `mandate local` on data folder dir (its config cfg, nil: a fresh one)
// with version 1 of the given policies and targets and the default intent catalog.
func startWith(t *testing.T, dir string, cfg *local.Config, policies, targets string) *local.Instance {
	t.Helper()
	ctx := context.Background()
	if cfg == nil {
		c, err := local.Init(dir)
		if err != nil {
			t.Fatal(err)
		}
		cfg = &c
	}
	st, err := local.OpenStore(ctx, dir, *cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	intents, err := os.ReadFile("defaults/intents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for kind, body := range map[string]string{store.KindPolicies: policies, store.KindTargets: targets, store.KindIntents: string(intents)} {
		if err := st.PutDocument(ctx, store.Document{Kind: kind, Name: authority.DocumentName, Version: 1, Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	if c, ok := st.(io.Closer); ok {
		c.Close()
	}
	inst, err := local.Start(ctx, local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

func get(path string) api.ActionRequest {
	return api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "echo", Method: "GET", Path: path}}
}

// verified fails the test unless every chain of the instance verifies.
func verified(t *testing.T, c *client.Client, session string) {
	t.Helper()
	a, err := c.Audit(context.Background(), session)
	if err != nil || !a.Verified {
		t.Fatalf("the chain does not verify after this case: %+v %v", a.Problems, err)
	}
}

func TestSpellingsOfAForbiddenPath(t *testing.T) {
	t.Parallel()
	inst, e := startExact(t, "")
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	// Each spelling of /admin/users is refused as non-canonical, or denied by the forbid
	// exactly as the canonical path is; none reaches the target.
	for _, p := range []string{
		"/admin/users", "/%61dmin/users", "/ADMIN/../admin/users", "/admin//users", "//admin/users", "/admin/users/",
		"/admin%2fusers", "/admin%2Fusers", "/admin/users?", "/admin/users?&", "/admin;x/users", "/admin/users;x",
		"/admin%3busers", "/./admin/users", "/x/../admin/users", "/x/%2e%2e/admin/users", "/%2561dmin/users",
		"/admin\\users", "/admin%5cusers", "/admin%00/users", "/ａdmin/users", "/admin/user%C5%BF", "/admin/users#frag",
		"/adm%69n/%75sers?",
	} {
		_, err := c.Act(ctx, s.SessionID, get(p))
		pr := problemOf(t, err)
		switch pr.Type {
		case api.ProblemNonCanonicalPath:
			if pr.Status != 400 || pr.Record == nil {
				t.Errorf("%q: %+v, want a recorded 400", p, pr)
			}
		case api.ProblemDenied:
			if !strings.Contains(strings.Join(pr.Reasons, ","), "forbid-admin-users") || pr.Record == nil {
				t.Errorf("%q: denied by %v, want forbid-admin-users", p, pr.Reasons)
			}
		default:
			t.Errorf("%q: %+v, want non-canonical-path or denied", p, pr)
		}
	}
	verified(t, c, s.SessionID)
	for _, u := range must(e.seen()) {
		if strings.Contains(strings.ToLower(u), "admin") {
			t.Errorf("the target received %q", u)
		}
	}
}

func must(a, _ []string) []string { return a }

// The query is split off: it neither hides the path from policy nor escapes approval.
func TestQueryIsSeenByPolicyNotHidingThePath(t *testing.T) {
	t.Parallel()
	inst, e := startExact(t, "")
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	for _, p := range []string{"/customers", "/customers?page=1", "/customers?", "/%63ustomers?page=2&limit=9", "/customers?limit=1&export=0"} {
		out, err := c.Submit(ctx, s.SessionID, api.ActionRequest{Action: get(p).Action, IdempotencyKey: client.NewIdempotencyKey()})
		switch {
		case strings.Contains(p, "export"):
			if err != nil || out.Denied == nil || strings.Join(out.Denied.Reasons, ",") != "forbid-export-parameter" {
				t.Errorf("%q: %+v %v, want denied by forbid-export-parameter", p, out, err)
			}
		case err != nil || out.Approval == nil:
			t.Errorf("%q: %+v %v, want the approval the bulk export needs", p, out, err)
		}
	}
	for _, p := range []string{"/orders?export", "/orders?export=", "/orders?a=1&export=%31", "/orders?ex%70ort=1", "/orders?export+=1&export"} {
		_, err := c.Act(ctx, s.SessionID, get(p))
		if pr := problemOf(t, err); pr.Type != api.ProblemDenied {
			t.Errorf("%q: %+v, want denied", p, pr)
		}
	}
	if uris, _ := e.seen(); len(uris) != 0 {
		t.Fatalf("the target received %v", uris)
	}
	verified(t, c, s.SessionID)
}

// What arrives at the target is serialised from the canonical form: the same bytes policy
// decided on, numbers as written, one value per name.
func TestTargetReceivesTheCanonicalBytes(t *testing.T) {
	t.Parallel()
	inst, e := startExact(t, "")
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	if _, err := c.Act(ctx, s.SessionID, get("/items/%7e%61:b@c?z=a+b&a=%31&a=0&q=%2F")); err != nil {
		t.Fatal(err)
	}
	post := signedRaw(t, inst, "/v1/sessions/"+s.SessionID+"/actions",
		[]byte(`{"action":{"kind":"http","target":"echo","method":"POST","path":"/items","body":{"id":9007199254740993,"price":1.10,"big":123456789012345678901234567890}}}`))
	if post.status != 200 {
		t.Fatalf("post = %d %s", post.status, post.body)
	}
	uris, bodies := e.seen()
	if len(uris) != 2 || uris[0] != "/items/~a:b@c?a=1&a=0&q=%2F&z=a%20b" || uris[1] != "/items" {
		t.Fatalf("the target received %q", uris)
	}
	if bodies[1] != `{"big":123456789012345678901234567890,"id":9007199254740993,"price":1.10}` {
		t.Fatalf("the target received the body %s", bodies[1])
	}
	// A body whose objects repeat a name is refused and recorded; nothing is sent.
	for _, raw := range []string{
		`{"action":{"kind":"http","target":"echo","method":"POST","path":"/items","body":{"amount":1,"amount":1000}}}`,
		`{"action":{"kind":"http","target":"echo","method":"POST","path":"/items","body":{"amount":1,"\u0061mount":1000}}}`,
		`{"action":{"kind":"http","target":"echo","method":"GET","path":"/items"},"action":{"kind":"http","target":"echo","method":"DELETE","path":"/items"}}`,
		"{\"action\":{\"kind\":\"http\",\"target\":\"echo\",\"method\":\"POST\",\"path\":\"/items\",\"body\":\"\xff\"}}",
	} {
		r := signedRaw(t, inst, "/v1/sessions/"+s.SessionID+"/actions", []byte(raw))
		var pr api.Problem
		_ = json.Unmarshal(r.body, &pr)
		if r.status != 400 || pr.Type != api.ProblemMalformed || pr.Record == nil {
			t.Errorf("%s: %d %s, want a recorded 400", raw, r.status, r.body)
		}
	}
	// An oversized request against the session is refused with 413 and recorded.
	big := signedRaw(t, inst, "/v1/sessions/"+s.SessionID+"/actions", append([]byte(`{"action":{"kind":"http","target":"echo","method":"POST","path":"/items","body":"`), append(bytes.Repeat([]byte("a"), api.MaxBodyBytes), `"}}`...)...))
	var pr api.Problem
	_ = json.Unmarshal(big.body, &pr)
	if big.status != 413 || pr.Record == nil {
		t.Errorf("oversized: %d %s, want a recorded 413", big.status, big.body)
	}
	if uris, _ := e.seen(); len(uris) != 2 {
		t.Fatalf("the target received %v", uris)
	}
	verified(t, c, s.SessionID)
}

type rawResponse struct {
	status int
	body   []byte
}

func signedRaw(t *testing.T, inst *local.Instance, path string, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, inst.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(client.HeaderNonce, client.NewIdempotencyKey())
	if err := agentClient(inst).Sign(context.Background(), req, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, raw}
}

// N parallel reads under a limit of L: exactly L are allowed, the rest are denied on a count
// that includes them, each with one deny record. On the embedded store and on DynamoDB.
func TestParallelReadsUnderALimit(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"embedded", "dynamodb"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			endpoint := ""
			if backend == "dynamodb" {
				if endpoint = os.Getenv("MANDATE_TEST_DYNAMODB_TX_ENDPOINT"); endpoint == "" {
					if os.Getenv("CI") == "true" {
						t.Fatal("MANDATE_TEST_DYNAMODB_TX_ENDPOINT is required in CI")
					}
					t.Skip("set MANDATE_TEST_DYNAMODB_TX_ENDPOINT to run against a DynamoDB-compatible server with transactions (moto_server)")
				}
			}
			inst, e := startExact(t, endpoint)
			c := agentClient(inst)
			ctx := context.Background()
			s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
			if err != nil {
				t.Fatal(err)
			}
			const n, limit = 30, 5
			var wg sync.WaitGroup
			results := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, results[i] = c.Act(ctx, s.SessionID, get("/items/"+string(rune('a'+i%26))))
				}()
			}
			wg.Wait()
			allowed, denied := 0, 0
			for _, err := range results {
				if err == nil {
					allowed++
					continue
				}
				if pr := problemOf(t, err); pr.Type == api.ProblemDenied && strings.Join(pr.Reasons, ",") == "forbid-more-than-5-reads" {
					denied++
				} else {
					t.Errorf("unexpected refusal %+v", pr)
				}
			}
			if uris, _ := e.seen(); allowed != limit || denied != n-limit || len(uris) != limit {
				t.Fatalf("allowed %d, denied %d, target served %d; want exactly %d allowed", allowed, denied, len(uris), limit)
			}
			a, err := c.Audit(ctx, s.SessionID)
			if err != nil || !a.Verified {
				t.Fatalf("audit: %v %v", a.Problems, err)
			}
			var allowRecords, denyRecords, results2 int
			for _, raw := range a.Records {
				b, _ := json.Marshal(raw)
				var r audit.Record
				_ = json.Unmarshal(b, &r)
				switch {
				case r.Type == audit.TypeDecision && r.Verdict.Decision == api.VerdictAllow:
					allowRecords++
				case r.Type == audit.TypeDecision && r.Verdict.Decision == api.VerdictDeny:
					denyRecords++
				case r.Type == audit.TypeResult:
					results2++
				}
			}
			if allowRecords != limit || results2 != limit || denyRecords != n-limit {
				t.Fatalf("records: %d allow, %d result, %d deny", allowRecords, results2, denyRecords)
			}
		})
	}
}

// A secret in a path is refused for holding a secret and never written anywhere: not in the
// chain, the store file or the archive.
func TestSecretInAPathIsNeverRecorded(t *testing.T) {
	t.Parallel()
	inst, e := startExact(t, "")
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	secrets := []string{"AKIAQYLPMN5HHHFPZAM2", "ghp_9aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789a"}
	for _, p := range []string{"/keys/" + secrets[0], "/keys?token=" + secrets[1], "/keys/%41KIAQYLPMN5HHHFPZAM2"} {
		_, err := c.Act(ctx, s.SessionID, get(p))
		if pr := problemOf(t, err); pr.Status != 400 || pr.Record == nil {
			t.Errorf("%q: %+v, want a recorded refusal", p, pr)
		}
	}
	// A refused open with a secret in its prompt is recorded in the agent's chain, masked.
	_, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: "use " + secrets[0], TTL: "forever"})
	if pr := problemOf(t, err); pr.Status != 400 || pr.Record == nil {
		t.Errorf("refused open: %+v, want a recorded 400", pr)
	}
	if uris, _ := e.seen(); len(uris) != 0 {
		t.Fatalf("the target received %v", uris)
	}
	inst.Close()
	reps, err := local.Verify(ctx, inst.Dir)
	if err != nil || len(reps) != 2 {
		t.Fatalf("verify: %d chains, %v; want the session's and the agent's", len(reps), err)
	}
	for _, r := range reps {
		if r.Break != nil {
			t.Fatalf("chain %s: %v", r.Session, r.Break)
		}
	}
	err = filepath.WalkDir(inst.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, secret := range secrets {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s holds the secret %s", path, secret)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A target that serves paths case-insensitively gets one lower-cased spelling: /ADMIN/Users is
// /admin/users to policy and to the target.
func TestCaseInsensitiveTarget(t *testing.T) {
	t.Parallel()
	inst, e := startExact(t, "")
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	for _, p := range []string{"/ADMIN/users", "/Admin/Users", "/%41dmin/users", "/admin/USERS?x=Y"} {
		_, err := c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "iis", Method: "GET", Path: p}})
		if pr := problemOf(t, err); pr.Type != api.ProblemDenied || !strings.Contains(strings.Join(pr.Reasons, ","), "forbid-iis-admin") {
			t.Errorf("%q on a case-insensitive target: %+v, want forbid-iis-admin", p, pr)
		}
	}
	if _, err := c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "iis", Method: "GET", Path: "/Reports/Q1?Year=2026"}}); err != nil {
		t.Fatal(err)
	}
	if uris, _ := e.seen(); len(uris) != 1 || uris[0] != "/reports/q1?Year=2026" {
		t.Fatalf("the target received %q, want the lower-cased path with the query as written", uris)
	}
}

// Every record a request appends names the caller's address and user agent.
func TestRecordsNameTheClient(t *testing.T) {
	t.Parallel()
	inst, _ := startExact(t, "")
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	_, _ = c.Act(ctx, s.SessionID, get("/items/1"))
	_, _ = c.Act(ctx, s.SessionID, get("/admin/users"))
	a, err := c.Audit(ctx, s.SessionID)
	if err != nil || len(a.Records) != 4 {
		t.Fatalf("audit = %d records, %v", len(a.Records), err)
	}
	for _, raw := range a.Records {
		b, _ := json.Marshal(raw)
		var r audit.Record
		_ = json.Unmarshal(b, &r)
		if r.Client == nil || r.Client.SourceIP != "127.0.0.1" || r.Client.UserAgent == "" {
			t.Errorf("record %d (%s) client = %+v", r.Seq, r.Type, r.Client)
		}
	}
}

// SQL reaches nothing the table allow-list never saw: functions and casts outside the pure
// built-ins are refused before policy and before anything is minted, with a recorded reason.
func TestSQLFunctionsOutsideTheAllowList(t *testing.T) {
	t.Parallel()
	inst := start(t)
	c := agentClient(inst)
	ctx := context.Background()
	s := openDemo(t, c)
	for stmt, reason := range map[string]string{
		"SELECT query_to_xml('SELECT rolname FROM pg_roles', true, true, '')": "sql-function:query_to_xml",
		"SELECT * FROM pg_stat_get_activity(NULL)":                            "sql-function:pg_stat_get_activity",
		"SELECT lo_from_bytea(0, 'x') FROM customers":                         "sql-function:lo_from_bytea",
		"SELECT email::xml FROM customers":                                    "sql-cast:to:xml",
		`SELECT "Pg_Sleep"(1) FROM customers`:                                 "sql-function:Pg_Sleep",
	} {
		_, err := c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindSQL, Target: local.DemoSQLTarget, Statement: stmt}})
		pr := problemOf(t, err)
		if pr.Status != 400 || pr.Record == nil || strings.Join(pr.Reasons, ",") != reason {
			t.Errorf("%s: %+v, want a recorded 400 with reason %s", stmt, pr, reason)
		}
	}
	verified(t, c, s.SessionID)
}

// openDemo opens a session for the demo operator with the demo prompt.
func openDemo(t *testing.T, c *client.Client) api.Session {
	t.Helper()
	s, err := c.OpenSession(context.Background(), api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
