package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/local"
)

// Prompt is the operator's originating prompt in the demo.
const Prompt = "look up the contact details of customer 42 to answer their ticket"

// Options configure Run.
type Options struct {
	Dir string       // data folder; it is kept afterwards
	Log *slog.Logger // the authority's logs; nil discards them
	// AWSEndpoint is a local AWS stand-in (moto_server) the AWS scene runs against: the
	// demo creates the orders target's role and table there. "" (or one that does not
	// answer): the scene explains the allowed read instead of performing it.
	AWSEndpoint string
	// AWSTransport carries every request to AWSEndpoint; nil is a default transport.
	AWSTransport http.RoundTripper
}

// step narrates one scenario and remembers whether it behaved as expected.
type narrator struct {
	w      io.Writer
	failed []string
	passed int
}

func (n *narrator) say(format string, args ...any) { fmt.Fprintf(n.w, format+"\n", args...) }

func (n *narrator) expect(ok bool, scenario, why string) {
	if ok {
		n.passed++
		n.say("   ✓ as expected")
		return
	}
	n.failed = append(n.failed, scenario+": "+why)
	n.say("   ✗ NOT AS EXPECTED: %s", why)
}

// Run plays the demo and returns an error if any scenario misbehaved.
func Run(ctx context.Context, w io.Writer, o Options) error {
	n := &narrator{w: w}
	before := recordsIn(ctx, o.Dir) // a folder used before keeps its records; count this run's
	inst, err := local.Start(ctx, local.Options{Dir: o.Dir, Addr: "127.0.0.1:0", Log: o.Log, AWSEndpoint: o.AWSEndpoint, AWSTransport: o.AWSTransport})
	if err != nil {
		return err
	}
	defer inst.Close()
	fingerprint := inst.KeyFingerprint() // for the verify command the demo ends with
	agent := inst.Config.Agents[0]
	c := client.New(inst.URL, inst.Config.Region, agent.AccessKeyID, agent.SecretAccessKey)

	n.say("Mandate demo: a scripted agent acts through the authority. It holds no credential for")
	n.say("the customer service; every action is authenticated, classified, decided by policy,")
	n.say("recorded, performed with a credential minted for that action alone, and masked.\n")
	n.say("  authority  %s (SigV4, service execute-api, region %s)", inst.URL, inst.Config.Region)
	n.say("  agent      %s (access key %s)", agent.Name, agent.AccessKeyID)
	n.say("  operator   %s (named by the agent, not verified)", local.DefaultOperator)
	n.say("  target     %q, a customer service at http://%s\n", crm.Audience, inst.CRMAddr)

	// 1. Open a session.
	n.say("1. The agent opens a session for %s with the prompt:\n     %q", local.DefaultOperator, Prompt)
	sess, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: Prompt})
	if err != nil {
		n.say("   -> %v", err)
		n.expect(false, "open session", "the session was not opened")
		return n.result(inst.Dir, fingerprint)
	}
	n.say("   -> session %s, expires %s", sess.SessionID, sess.ExpiresAt.Format("15:04:05 MST"))
	for _, in := range sess.Intents {
		n.say("   -> intent %s (score %.2f; evidence: %s)", in.Name, in.Score, strings.Join(in.Evidence, ", "))
	}
	n.expect(hasIntent(sess.Intents, "customer_support.lookup"), "open session", "the prompt was not classified as customer_support.lookup")

	// 2. Read customer 42: allowed, masked.
	served := inst.CRM.Served()
	n.say("\n2. The agent reads customer 42 (http GET /customers/42 on target %q)", crm.Audience)
	res, err := c.Act(ctx, sess.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: crm.Audience, Method: "GET", Path: "/customers/42"}})
	if err != nil {
		n.say("   -> %v", err)
		n.expect(false, "read customer", "the read was refused")
	} else {
		body, _ := json.Marshal(res.Result)
		n.say("   -> allowed by %v; the target answered %d", res.Reasons, res.Status)
		n.say("   -> Mandate minted a short-lived action token, called the target, and masked the answer:")
		n.say("      %s", body)
		n.say("   -> masked values: %s", summary(res.Masking))
		n.say("   -> recorded as #%d (hash %s…)", res.Record.Seq, res.Record.Hash[:16])
		leaked := leaks(string(body))
		n.expect(res.Status == http.StatusOK && leaked == "" && inst.CRM.Served() == served+1, "read customer",
			fmt.Sprintf("status %d, target served %d request(s), unmasked values: %q", res.Status, inst.CRM.Served()-served, leaked))
	}

	// 3. Delete customer 42: denied with reasons.
	seen := inst.CRM.Requests()
	n.say("\n3. The agent tries to delete customer 42 (http DELETE /customers/42)")
	_, err = c.Act(ctx, sess.SessionID, api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: crm.Audience, Method: "DELETE", Path: "/customers/42"}})
	pe, denied := client.IsDenied(err)
	switch {
	case denied:
		n.say("   -> denied (%d) by %v", pe.Status, pe.Reasons)
		if pe.Record != nil {
			n.say("   -> the refusal is recorded as #%d; the target never saw the request", pe.Record.Seq)
		}
		n.expect(pe.Status == http.StatusForbidden && len(pe.Reasons) > 0 && inst.CRM.Requests() == seen, "delete customer",
			fmt.Sprintf("status %d, reasons %v, target saw %d request(s)", pe.Status, pe.Reasons, inst.CRM.Requests()-seen))
	default:
		n.say("   -> %v", err)
		n.expect(false, "delete customer", "the delete was not denied by policy")
	}

	// 4. A bulk export waits for a second human's approval.
	approvalScenario(ctx, n, inst, c, sess.SessionID)
	sqlScenario(ctx, n, c, sess.SessionID)
	awsRecords := awsScenario(ctx, n, inst, c, sess.SessionID, o.AWSTransport) // aws.go

	// 5. The agent cannot reach the target without Mandate.
	n.say("\n5. The agent calls the customer service directly, without Mandate")
	direct, err := http.Get("http://" + inst.CRMAddr + "/customers/42")
	if err != nil {
		n.say("   -> %v", err)
		n.expect(false, "direct call", "the target could not be reached to show the refusal")
	} else {
		direct.Body.Close()
		n.say("   -> %d from the target: it accepts only action tokens that Mandate mints per action", direct.StatusCode)
		n.expect(direct.StatusCode == http.StatusUnauthorized, "direct call", fmt.Sprintf("the target answered %d", direct.StatusCode))
	}

	// 6. A human kills the session mid-flight (kill.go).
	killScenario(ctx, n, inst, c, sess.SessionID)

	// 7. The same authority as an MCP server (mcp.go).
	mcpScenario(ctx, n, inst, c)

	// 8. Verify the chain.
	chain, err := c.Audit(ctx, sess.SessionID)
	if err == nil {
		n.say("\n   The session's chain as the agent's API shows it: %d records, verified=%v", len(chain.Records), chain.Verified)
	}
	if err := inst.Close(); err != nil {
		return fmt.Errorf("demo: stop the local authority: %w", err)
	}
	n.say("\n8. mandate verify --data %s", inst.Dir)
	reps, err := local.Verify(ctx, inst.Dir)
	if err != nil {
		n.say("   -> %v", err)
		n.expect(false, "verify", "the chain could not be verified")
		return n.result(inst.Dir, fingerprint)
	}
	records := 0
	var broken *audit.Break
	for _, r := range reps {
		records += len(r.Records)
		if r.Break != nil && broken == nil {
			broken = r.Break
		}
	}
	if broken != nil {
		n.say("   -> BROKEN: %v", broken)
	} else {
		n.say("   -> %d session(s), %d records: every hash, link and sequence checks out", len(reps), records)
	}
	for _, r := range reps {
		for _, rec := range r.Records {
			n.say("      #%d %-13s %s", rec.Seq, rec.Type, describe(rec))
		}
	}
	n.expect(broken == nil && records-before == 4+approvalRecords+sqlRecords+killRecords+awsRecords+mcpRecords, "verify", fmt.Sprintf("%d records (%d before this run), break: %v", records, before, broken))
	return n.result(inst.Dir, fingerprint)
}

// recordsIn counts the audit records a data folder holds; 0 for a new folder.
func recordsIn(ctx context.Context, dir string) int {
	reps, err := local.Verify(ctx, dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range reps {
		n += len(r.Records)
	}
	return n
}

func (n *narrator) result(dir, fingerprint string) error {
	n.say("")
	if len(n.failed) > 0 {
		n.say("%d scenario(s) did NOT behave as expected:", len(n.failed))
		for _, f := range n.failed {
			n.say("  - %s", f)
		}
		n.say("State kept in %s", dir)
		return errors.New("demo: " + strings.Join(n.failed, "; "))
	}
	n.say("All %d checks behaved as expected. State kept in %s; check it yourself with:", n.passed, dir)
	n.say("  go run ./cmd/mandate verify --data %s --key-id %s", dir, fingerprint)
	n.say("(the fingerprint is the checkpoint key's: keep it outside the folder, where a rewrite cannot reach it)")
	return nil
}

func hasIntent(in []api.Intent, name string) bool {
	for _, x := range in {
		if x.Name == name {
			return true
		}
	}
	return false
}

func summary(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// leaks returns the first raw sensitive value of customer 42 found in s.
func leaks(s string) string {
	for _, c := range crm.Seed() {
		if c.ID != "42" {
			continue
		}
		for _, v := range []string{c.Email, c.Phone, c.Card, "415-555-0199"} {
			if strings.Contains(s, v) {
				return v
			}
		}
	}
	return ""
}

func describe(r audit.Record) string {
	switch {
	case r.Prompt != nil:
		names := make([]string, len(r.Intents))
		for i, in := range r.Intents {
			names[i] = in.Name
		}
		digest := r.Prompt.HMAC
		if len(digest) > 12 {
			digest = digest[:12] + "…"
		}
		return fmt.Sprintf("operator %s, prompt hmac %s, intents %v", r.Identity.Operator, digest, names)
	case r.Verdict != nil && r.Action != nil:
		return fmt.Sprintf("%s %s -> %s %v", r.Action.Name, r.Action.Resource, r.Verdict.Decision, r.Verdict.Reasons)
	case r.Result != nil:
		return fmt.Sprintf("of #%d: status %d, masked %s", r.Result.DecisionSeq, r.Result.Status, summary(r.Result.Masking))
	case r.Approval != nil && r.Approval.By != "":
		return fmt.Sprintf("%s %s by %s", r.Approval.ID, r.Approval.Status, r.Approval.By)
	case r.Approval != nil:
		return fmt.Sprintf("%s %s, expires %s", r.Approval.ID, r.Approval.Status, r.Approval.ExpiresAt.Format("15:04:05"))
	case r.Kill != nil:
		return fmt.Sprintf("%s %s by %v: %s", r.Kill.Scope, r.Kill.ID, r.Kill.By, r.Kill.Reason)
	}
	return ""
}
