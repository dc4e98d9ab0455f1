package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/iamaction"
	"github.com/mandate-dev/mandate/shared/target"
)

// assumeRoleXML is STS's AssumeRole response as AWS documents it.
const assumeRoleXML = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>%s</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/mandate-orders/%s</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:%s</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==</SessionToken>
      <Expiration>%s</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`

// stsServer answers AssumeRole like STS and keeps the forms the SDK sent.
type stsServer struct {
	mu    sync.Mutex
	forms []url.Values
	now   time.Time
}

func (s *stsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		http.Error(w, "bad request", 400)
		return
	}
	s.mu.Lock()
	s.forms = append(s.forms, r.PostForm)
	now := s.now
	s.mu.Unlock()
	name := r.PostForm.Get("RoleSessionName")
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, assumeRoleXML, r.PostForm.Get("SourceIdentity"), name, name, now.Add(15*time.Minute).UTC().Format(time.RFC3339))
}

func newSTS(t testing.TB, now time.Time) (*stsServer, *sts.Client) {
	t.Helper()
	srv := &stsServer{now: now}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := sts.New(sts.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBROKER", "brokersecret", ""),
	})
	return srv, c
}

var awsTarget = target.Target{
	Name: "orders", Kind: api.KindAWS, Account: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/mandate-orders",
	Region: "us-east-1", AllowedResources: []string{"arn:aws:dynamodb:us-east-1:123456789012:table/orders", "arn:aws:s3:::reports/*", "arn:aws:s3:::reports"},
	PolicyWindow: target.Duration(2 * time.Minute),
}

const record = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestAssumeRoleSendsExactlyTheScopedRequest(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv, client := newSTS(t, now)
	b := New(nil, func() time.Time { return now })
	b.UseSTS(client)
	a := api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
	sc := Scope{Session: "ses_abcdefghijklmnopqrstuvwxyz", Record: record, Agent: "demo-agent", Operator: "ada@example.com", Intent: "customer_support.lookup"}
	c, err := b.Mint(context.Background(), awsTarget, a, sc)
	if err != nil {
		t.Fatal(err)
	}
	if c.AWS == nil || c.AWS.AccessKeyID != "ASIAIOSFODNN7EXAMPLE" || c.AWS.SessionToken == "" || !c.ExpiresAt.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("credential = %+v", c)
	}
	if d := c.Describe(); strings.Contains(d, c.AWS.SecretAccessKey) || strings.Contains(d, c.AWS.SessionToken) {
		t.Fatal("Describe leaks the credential")
	}
	if len(srv.forms) != 1 {
		t.Fatalf("STS called %d times", len(srv.forms))
	}
	f := srv.forms[0]
	want := map[string]string{
		"Action": "AssumeRole", "Version": "2011-06-15",
		"RoleArn":           "arn:aws:iam::123456789012:role/mandate-orders",
		"RoleSessionName":   "ses_abcdefghijklmnopqrstuvwxyz.9f86d081884c7d65",
		"SourceIdentity":    "asserted.ada@example.com",
		"DurationSeconds":   "900",
		"Tags.member.1.Key": "mandate:agent", "Tags.member.1.Value": "demo-agent",
		"Tags.member.2.Key": "mandate:session", "Tags.member.2.Value": "ses_abcdefghijklmnopqrstuvwxyz",
		"Tags.member.3.Key": "mandate:intent", "Tags.member.3.Value": "customer_support.lookup",
		"Tags.member.4.Key": "mandate:record", "Tags.member.4.Value": "9f86d081884c7d65",
	}
	got := map[string]string{}
	for k := range f {
		if k != "Policy" {
			got[k] = f.Get(k)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("AssumeRole form (-want +got):\n%s", diff)
	}
	var pol SessionPolicy
	dec := json.NewDecoder(strings.NewReader(f.Get("Policy")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pol); err != nil {
		t.Fatalf("Policy: %v", err)
	}
	wantPol := SessionPolicy{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid: "MandateAction", Effect: "Allow", Action: []string{"dynamodb:GetItem"},
		Resource: []string{"arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
		Condition: map[string]map[string]string{
			"DateGreaterThan": {"aws:CurrentTime": "2026-03-01T11:59:30Z"},
			"DateLessThan":    {"aws:CurrentTime": "2026-03-01T12:02:00Z"},
		},
	}}}
	if diff := cmp.Diff(wantPol, pol); diff != "" {
		t.Fatalf("session policy (-want +got):\n%s", diff)
	}
	for _, re := range []struct{ v, pat string }{
		{want["RoleSessionName"], `^[\w+=,.@-]{2,64}$`}, {want["SourceIdentity"], `^[\w+=,.@-]{2,64}$`},
	} {
		if !regexp.MustCompile(re.pat).MatchString(re.v) {
			t.Errorf("%q does not fit STS's pattern %s", re.v, re.pat)
		}
	}
}

func TestReuseOnlyForTheIdenticalScopeWithinTheWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	srv, client := newSTS(t, now)
	b := New(nil, func() time.Time { return clock })
	b.UseSTS(client)
	get := api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
	put := get
	put.Operation = "PutItem"
	sc := Scope{Session: "ses_a", Record: record, Operator: "ada@example.com", OperatorVerified: true, Intent: "x"}
	other := sc
	other.Session = "ses_b"
	otherIntent := sc
	otherIntent.Intent = "y"
	mint := func(a api.Action, s Scope) {
		t.Helper()
		if _, err := b.Mint(context.Background(), awsTarget, a, s); err != nil {
			t.Fatal(err)
		}
	}
	mint(get, sc)
	mint(get, sc)          // reused
	mint(put, sc)          // other action
	mint(get, other)       // other session
	mint(get, otherIntent) // other intent
	clock = now.Add(2*time.Minute - ReuseMargin + time.Second)
	mint(get, sc) // too close to the end of the window
	b.Forget("ses_a")
	clock = now.Add(2*time.Minute - ReuseMargin - time.Second)
	mint(get, sc) // forgotten
	hits, misses := b.ReuseStats()
	if hits != 1 || misses != 6 || len(srv.forms) != 6 {
		t.Fatalf("hits %d misses %d STS calls %d; want 1, 6, 6", hits, misses, len(srv.forms))
	}
	if srv.forms[0].Get("SourceIdentity") != "ada@example.com" {
		t.Fatalf("verified operator sent as %q", srv.forms[0].Get("SourceIdentity"))
	}
}

func TestPlanRefuses(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cases := []struct {
		name string
		a    api.Action
		tg   target.Target
		want error
	}{
		{"unsupported op", api.Action{Service: "s3", Operation: "SelectObjectContent", Resource: "arn:aws:s3:::reports/x"}, awsTarget, ErrUnsupported},
		{"generic op on another service's resource", api.Action{Service: "sqs", Operation: "SendMessage", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}, awsTarget, ErrUnsupported},
		{"outside patterns", api.Action{Service: "dynamodb", Operation: "GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/users"}, awsTarget, ErrUnsupported},
		{"wildcard resource", api.Action{Service: "s3", Operation: "GetObject", Resource: "arn:aws:s3:::reports/*"}, awsTarget, ErrUnsupported},
		{"too large", api.Action{Service: "s3", Operation: "GetObject", Resource: "arn:aws:s3:::reports/" + strings.Repeat("k", 1000)},
			func() target.Target {
				t := awsTarget
				t.AllowedResources = []string{"arn:aws:s3:::reports/*"}
				return t
			}(), ErrPolicyTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			long := strings.Repeat("x", 300)
			if _, err := PlanAWS(tc.tg, tc.a, Scope{Session: long, Record: record, Agent: long, Intent: long, Operator: long}, now); !errors.Is(err, tc.want) {
				t.Fatalf("PlanAWS = %v, want %v", err, tc.want)
			}
		})
	}
	b := New(nil, time.Now)
	if _, err := b.Mint(context.Background(), awsTarget, api.Action{Kind: api.KindAWS}, Scope{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Mint without STS = %v", err)
	}
}

// TestPolicyNeverExceedsTheAction is the property: whatever the operation, resource and
// scope, the session policy has one Allow statement naming exactly the operation's IAM
// actions on exactly the action's resource, bounded in time, and nothing else.
func TestPolicyNeverExceedsTheAction(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	ops := iamaction.Operations()
	tg := awsTarget
	tg.AllowedResources = []string{"arn:aws:*"}
	alphabet := "abcxyz0123-_./*?$:{}\"\\ é"
	str := func(n int) string {
		letters := []rune(alphabet)
		if r.IntN(10) < 7 {
			letters = []rune("abcxyz0123-_.")
		}
		var b strings.Builder
		for range r.IntN(n) {
			b.WriteRune(letters[r.IntN(len(letters))])
		}
		return b.String()
	}
	resources := func(o iamaction.Operation) string {
		switch r.IntN(4) {
		case 0:
			return "arn:aws:dynamodb:us-east-1:123456789012:table/" + str(20)
		case 1:
			return "arn:aws:s3:::reports/" + str(30)
		case 2:
			return "arn:aws:s3:::" + str(12)
		}
		return "arn:aws:dynamodb:us-east-1:123456789012:table/ord" + str(5) + "/index/" + str(8)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	planned := 0
	stsName := regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	tagRe := regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	for range 5000 {
		o := ops[r.IntN(len(ops))]
		a := api.Action{Kind: api.KindAWS, Service: o.Service, Operation: o.Name, Resource: resources(o)}
		sc := Scope{Session: str(40), Record: str(70), Agent: str(30), Operator: str(80), Intent: str(40)}
		p, err := PlanAWS(tg, a, sc, now)
		if err != nil {
			continue
		}
		planned++
		var pol SessionPolicy
		if err := json.Unmarshal(p.SessionPolicy, &pol); err != nil {
			t.Fatal(err)
		}
		if len(pol.Statement) != 1 {
			t.Fatalf("%d statements", len(pol.Statement))
		}
		st := pol.Statement[0]
		if st.Effect != "Allow" || !cmp.Equal(st.Action, o.Actions) || !cmp.Equal(st.Resource, []string{a.Resource}) {
			t.Fatalf("policy %s for %+v", p.SessionPolicy, a)
		}
		if strings.ContainsAny(a.Resource, "*?$") {
			t.Fatalf("a pattern became a resource: %q", a.Resource)
		}
		if st.Condition["DateLessThan"]["aws:CurrentTime"] != now.Add(2*time.Minute).Format(time.RFC3339) || len(st.Condition) != 2 {
			t.Fatalf("time bound %v", st.Condition)
		}
		if !stsName.MatchString(p.RoleSessionName) || !stsName.MatchString(p.SourceIdentity) {
			t.Fatalf("session name %q / source identity %q outside STS's alphabet", p.RoleSessionName, p.SourceIdentity)
		}
		for k, v := range p.Tags {
			if len(v) == 0 || len(v) > 256 || !tagRe.MatchString(v) {
				t.Fatalf("tag %s=%q", k, v)
			}
		}
	}
	if planned < 250 {
		t.Fatalf("only %d of 5000 random actions planned: the generator is too strict to test anything", planned)
	}
}

// TestReuseCacheIsBoundedAndKeyedByAgent: the cache never holds more than its bound
// (MaxCachedCredentials, 8 here), evicting expired entries first and then those closest to expiry, so
// the newest scopes are still reused; another agent never gets a credential minted for the
// first, even under the same session id.
func TestReuseCacheIsBoundedAndKeyedByAgent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	srv, client := newSTS(t, now)
	b := New(nil, func() time.Time { return clock })
	b.UseSTS(client)
	const limit = 8
	b.aws.limit = limit
	get := api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
	mint := func(sc Scope) Credential {
		t.Helper()
		c, err := b.Mint(context.Background(), awsTarget, get, sc)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sc := func(i int) Scope {
		return Scope{Session: fmt.Sprintf("ses_%d", i), Record: record, Agent: "agent-a", Operator: "ada@example.com", Intent: "x"}
	}
	for i := range limit + 10 {
		clock = now.Add(time.Duration(i) * time.Second) // later scopes expire later
		mint(sc(i))
	}
	if n := b.CachedCredentials(); n > limit {
		t.Fatalf("%d credentials cached, bound %d", n, limit)
	}
	before := len(srv.forms)
	if c := mint(sc(limit + 9)); c.Kind != "sts-session (reused)" {
		t.Fatalf("the newest scope was evicted: %s", c.Kind)
	}
	if c := mint(sc(0)); c.Kind == "sts-session (reused)" {
		t.Fatal("the oldest scope survived past the bound")
	}
	otherAgent := sc(limit + 9)
	otherAgent.Agent = "agent-b"
	if c := mint(otherAgent); c.Kind == "sts-session (reused)" {
		t.Fatal("another agent got the first agent's credential")
	}
	if got := len(srv.forms) - before; got != 2 {
		t.Fatalf("%d AssumeRole calls after the fill, want 2", got)
	}
	// Past the window every entry is expired: the next insert sweeps them all.
	clock = now.Add(time.Hour)
	mint(sc(1))
	if n := b.CachedCredentials(); n != 1 {
		t.Fatalf("%d credentials cached after expiry, want 1", n)
	}
}
