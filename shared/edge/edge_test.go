package edge_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/local"
)

func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	return loadEventF(t, name)
}

// withSession points a sample event at a real session id, as API Gateway would fill it.
func withSession(ev events.APIGatewayV2HTTPRequest, id string) events.APIGatewayV2HTTPRequest {
	const sample = "ses_abcdefghijklmnopqrstuvwxyz"
	ev.PathParameters["id"] = id
	ev.RawPath = strings.Replace(ev.RawPath, sample, id, 1)
	ev.RequestContext.HTTP.Path = ev.RawPath
	return ev
}

// TestSampleEvents feeds every sample event in events/ to the handler, in the order an agent
// would send them, as the Lambda runtime would.
func TestSampleEvents(t *testing.T) {
	t.Parallel()
	inst, err := local.Start(context.Background(), local.Options{Dir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	ctx := context.Background()
	h := inst.Handler

	resp, _ := h.Handle(ctx, loadEvent(t, "apigw-session-open.json"))
	if resp.StatusCode != 201 {
		t.Fatalf("open: %d %s", resp.StatusCode, resp.Body)
	}
	var s api.Session
	if err := json.Unmarshal([]byte(resp.Body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Agent != "arn:aws:iam::123456789012:role/support-agent" {
		t.Fatalf("agent from the IAM request context = %q", s.Agent)
	}
	steps := []struct {
		file   string
		status int
		check  string
	}{
		{"apigw-session-get.json", 200, `"status":"open"`},
		{"apigw-action.json", 200, `"verdict":"allow"`},
		{"apigw-audit.json", 200, `"verified":true`},
		{"apigw-session-close.json", 200, `"status":"closed"`},
	}
	for _, st := range steps {
		resp, _ := h.Handle(ctx, withSession(loadEvent(t, st.file), s.SessionID))
		if resp.StatusCode != st.status || !strings.Contains(resp.Body, st.check) {
			t.Fatalf("%s: %d %s", st.file, resp.StatusCode, resp.Body)
		}
		if resp.Headers["Content-Type"] != "application/json" {
			t.Fatalf("%s: content type %q", st.file, resp.Headers["Content-Type"])
		}
	}
}

func TestHandlerRefusals(t *testing.T) {
	t.Parallel()
	inst, err := local.Start(context.Background(), local.Options{Dir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	ctx := context.Background()
	noAuth := loadEvent(t, "apigw-session-open.json")
	noAuth.RequestContext.Authorizer = nil
	badB64 := loadEvent(t, "apigw-session-open.json")
	badB64.IsBase64Encoded, badB64.Body = true, "%%%"
	badRoute := loadEvent(t, "apigw-session-open.json")
	badRoute.RouteKey = "POST /v1/nowhere"
	badARN := loadEvent(t, "apigw-session-open.json")
	badARN.RequestContext.Authorizer.IAM.UserARN = "not-an-arn"
	cases := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
		typ    string
	}{
		{"no authorizer context", noAuth, 401, api.ProblemUnauthenticated},
		{"bad base64", badB64, 400, api.ProblemMalformed},
		{"route not served", badRoute, 404, api.ProblemNotFound},
		{"malformed principal", badARN, 401, api.ProblemMalformedCredentials},
	}
	for _, tc := range cases {
		resp, err := inst.Handler.Handle(ctx, tc.ev)
		if err != nil {
			t.Fatalf("%s: Handle returned an error: %v", tc.name, err)
		}
		var p api.Problem
		if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.status || p.Type != tc.typ || resp.Headers["Content-Type"] != api.ProblemContentType {
			t.Errorf("%s: %d %+v", tc.name, resp.StatusCode, p)
		}
	}
}

func FuzzHandleBody(f *testing.F) {
	f.Add(`{"action":{"kind":"http","target":"customers","method":"GET","path":"/customers/42"}}`)
	f.Add(`{"operator":"a","prompt":"b","ttl":"1m"}`)
	f.Add(`{"action":{"kind":"http","target":"customers","method":"GET","path":"/../x"}}`)
	inst, err := local.Start(context.Background(), local.Options{Dir: f.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { inst.Close() })
	open, _ := inst.Handler.Handle(context.Background(), loadEventF(f, "apigw-session-open.json"))
	var s api.Session
	_ = json.Unmarshal([]byte(open.Body), &s)
	act := loadEventF(f, "apigw-action.json")
	f.Fuzz(func(t *testing.T, body string) {
		for _, ev := range []events.APIGatewayV2HTTPRequest{loadEventF(t, "apigw-session-open.json"), withSession(act, s.SessionID)} {
			ev.Body = body
			resp, err := inst.Handler.Handle(context.Background(), ev)
			if err != nil || resp.StatusCode >= 500 {
				t.Fatalf("body %q: %d %s %v", body, resp.StatusCode, resp.Body, err)
			}
		}
	})
}

func loadEventF(tb testing.TB, name string) events.APIGatewayV2HTTPRequest {
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		tb.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		tb.Fatal(err)
	}
	return ev
}
