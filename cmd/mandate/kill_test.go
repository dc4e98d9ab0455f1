package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
)

func TestKillCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	inst, err := local.Start(ctx, local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	a := inst.Config.Agents[0]
	agent := client.New(inst.URL, inst.Config.Region, a.AccessKeyID, a.SecretAccessKey)
	s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: "look up customer 42"})
	if err != nil {
		t.Fatal(err)
	}
	kill := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, append([]string{"kill", "--url", inst.URL, "--data", dir}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, _ := kill("agent", s.Agent); code != exitUsage {
		t.Fatalf("a kill without --reason exits %d", code)
	}
	code, out, errOut := kill("agent", s.Agent, "--reason", "looping")
	var k api.Kill
	if code != exitOK || json.Unmarshal([]byte(out), &k) != nil || k.Scope != "agent" || k.ID != s.Agent || k.By != local.DefaultOperator {
		t.Fatalf("kill: %d %s %s", code, out, errOut)
	}
	if _, err := agent.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}); err == nil || !strings.Contains(err.Error(), "looping") {
		t.Fatalf("the agent's action after the kill: %v", err)
	}
	if code, out, _ := kill("--list"); code != exitOK || !strings.Contains(out, "looping") {
		t.Fatalf("--list: %d %s", code, out)
	}
	if code, out, errOut := kill("--lift", "agent", s.Agent); code != exitOK || !strings.Contains(out, `"lifted"`) {
		t.Fatalf("--lift: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := kill("--lift", "agent", s.Agent); code != exitFailed || !strings.Contains(errOut, "not-found") {
		t.Fatalf("lifting again: %d %s", code, errOut)
	}
	// The README's command as written: the agent by the name mandate local printed, the API
	// found from the data folder without --url.
	var out2, errOut2 bytes.Buffer
	if code := run(ctx, []string{"kill", "agent", a.Name, "--reason", "by name", "--data", dir}, &out2, &errOut2); code != exitOK {
		t.Fatalf("mandate kill agent %s --data DIR: %d %s", a.Name, code, errOut2.String())
	}
	if _, err := agent.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}); err == nil || !strings.Contains(err.Error(), "by name") {
		t.Fatalf("the agent's action after a kill by its name: %v", err)
	}
	if code := run(ctx, []string{"kill", "agent", "no-such-agent", "--reason", "x", "--data", dir}, &out2, &errOut2); code != exitFailed {
		t.Fatalf("a kill naming nobody exits %d", code)
	}

	// A global kill whose lift waits for a second human: --list shows the waiting lift, in
	// JSON and in text, and the second operator (--as) lifts it.
	if code, out, errOut := kill("global", "--reason", "breach"); code != exitOK {
		t.Fatalf("global kill: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := kill("--lift", "global", "--output", "text"); code != exitOK || !strings.Contains(out, "waits for a second human") {
		t.Fatalf("first lift: %d %s %s", code, out, errOut)
	}
	code, out, errOut = kill("--list", "--output", "json")
	var l api.KillList
	if code != exitOK || json.Unmarshal([]byte(out), &l) != nil {
		t.Fatalf("--list --output json: %d %s %s", code, out, errOut)
	}
	var waiting *api.Pending
	for _, k := range l.Kills {
		if k.Scope == "global" {
			waiting = k.PendingLift
		}
	}
	if waiting == nil || waiting.By != local.DefaultOperator {
		t.Fatalf("--list does not show the lift that waits: %s", out)
	}
	if code, out, _ := kill("--list", "--output", "text"); code != exitOK || !strings.Contains(out, "lift asked by "+local.DefaultOperator) {
		t.Fatalf("--list --output text: %d %s", code, out)
	}
	if code, _, errOut := kill("--list", "--output", "yaml"); code != exitUsage || !strings.Contains(errOut, "json or text") {
		t.Fatalf("--output yaml: %d %s", code, errOut)
	}
	second := strings.ToUpper(inst.Config.Operators[1].Name) + " " // any spelling of the name picks the operator
	if code, out, errOut := kill("--lift", "global", "--as", second); code != exitOK || !strings.Contains(out, `"lifted"`) {
		t.Fatalf("the second operator's lift: %d %s %s", code, out, errOut)
	}
}

// TestKillTextShowsRevocation: a kill whose revocation is degraded says so in text output,
// naming what was not revoked; a complete one says complete.
func TestKillTextShowsRevocation(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	killText(&b, &api.Kill{Scope: "agent", ID: "a", By: "ada", Reason: "r", Revocation: &api.Revocation{
		Roles: []string{"arn:aws:iam::1:role/x"}, Failed: []string{"arn:aws:iam::2:role/y: revocation role not assumable"}, Status: api.RevocationDegraded}})
	if out := b.String(); !strings.Contains(out, "revocation degraded: 1 target role(s)") || !strings.Contains(out, "not revoked: arn:aws:iam::2:role/y: revocation role not assumable") {
		t.Fatalf("degraded revocation in text:\n%s", out)
	}
	b.Reset()
	killText(&b, &api.Kill{Scope: "agent", ID: "a", By: "ada", Reason: "r", Revocation: &api.Revocation{Status: api.RevocationComplete}})
	if out := b.String(); !strings.Contains(out, "revocation complete") || strings.Contains(out, "not revoked") {
		t.Fatalf("complete revocation in text:\n%s", out)
	}
}
