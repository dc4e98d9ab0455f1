package edge_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// asSession is ev as API Gateway builds it for another role session of the sample's role.
func asSession(ev events.APIGatewayV2HTTPRequest, session string) events.APIGatewayV2HTTPRequest {
	iam := *ev.RequestContext.Authorizer.IAM
	iam.UserARN = "arn:aws:sts::123456789012:assumed-role/support-agent/" + session
	iam.CallerID, iam.UserID = "AROAEXAMPLEROLEID0001:"+session, "AROAEXAMPLEROLEID0001:"+session
	az := *ev.RequestContext.Authorizer
	az.IAM = &iam
	ev.RequestContext.Authorizer = &az
	ev.Headers = map[string]string{"content-type": "application/json"} // no signature: each event is new
	return ev
}

// Two workloads assuming one agent role whose session names AWS binds are two agents: one
// never reads, acts in or audits the other's session.
func TestSessionsOfOneRoleAreDistinctAgents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	auth, err := authority.New(ctx, authority.Config{
		Store: db, Broker: broker.New(nil, nil), Executor: execute.Executors{}, Masker: mask.New(),
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Roles: authority.Roles{SessionBound: map[string]bool{"arn:aws:iam::123456789012:role/support-agent": true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := edge.New(auth, slog.New(slog.NewTextHandler(io.Discard, nil)), edge.AllRoutes)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := h.Handle(ctx, asSession(loadEvent(t, "apigw-session-open.json"), "workload-a"))
	var s api.Session
	if err := json.Unmarshal([]byte(resp.Body), &s); err != nil || resp.StatusCode != 201 {
		t.Fatalf("open: %d %s", resp.StatusCode, resp.Body)
	}
	if s.Agent != "arn:aws:iam::123456789012:role/support-agent#workload-a" {
		t.Fatalf("agent = %q, want the role session", s.Agent)
	}
	for _, name := range []string{"apigw-session-get.json", "apigw-audit.json", "apigw-action.json", "apigw-session-close.json"} {
		own, _ := h.Handle(ctx, withSession(asSession(loadEvent(t, name), "workload-a"), s.SessionID))
		if own.StatusCode == 404 {
			t.Errorf("%s by the session's own workload: %d %s", name, own.StatusCode, own.Body)
		}
		other, _ := h.Handle(ctx, withSession(asSession(loadEvent(t, name), "workload-b"), s.SessionID))
		if other.StatusCode != 404 || !strings.Contains(other.Body, api.ProblemSessionNotFound) {
			t.Errorf("%s by another workload of the role: %d %s, want 404", name, other.StatusCode, other.Body)
		}
	}
}

// seeded is an embedded store with the demo seed, closed when the test ends.
func seeded(t testing.TB) *bolt.Store {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := local.Seed(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}
