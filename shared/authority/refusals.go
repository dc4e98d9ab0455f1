package authority

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/store"
)

// Every refusal of an identified caller is a record with its true reason: refusals of an
// action in a session are deny decisions in the session's chain (Authority.refuse); the
// requests below have no session to hold them.

// recordRefusedOpen records a refused session open in the agent's chain (audit.AgentChain)
// and returns the refusal with a pointer to that record. The prompt and operator are recorded
// masked, with the prompt's keyed digest. Refusals for want of a store are not recorded
// (nothing could be written); a record that cannot be written leaves the refusal as it was.
func (a *Authority) recordRefusedOpen(ctx context.Context, c Caller, agent principal, req api.OpenSessionRequest, err error) error {
	var e *Error
	if !errors.As(err, &e) || errors.Is(e.Kind, ErrUnavailable) {
		return err
	}
	reasons := e.reasons()
	prompt := clipUTF8(req.Prompt, MaxPromptBytes)
	masked, summary := a.masker.Text([]byte(prompt))
	r, aerr := a.chain.Append(ctx, audit.Record{
		Session: audit.AgentChain(agent.ID), Type: audit.TypeSessionRefuse, RequestID: c.RequestID,
		Identity: audit.Identity{Agent: agent.ID, AgentKind: agent.Kind, Operator: a.maskText(clipUTF8(req.Operator, 256))},
		Prompt:   &audit.Prompt{Masked: string(masked), HMAC: a.promptDigest(req.Prompt), Purpose: a.maskText(clipUTF8(req.Purpose, 1024)), Masking: counts(summary)},
		Verdict:  &audit.Verdict{Decision: api.VerdictDeny, Reasons: reasons, PolicyVersion: a.current().policyVersion},
	})
	if aerr != nil {
		a.log.ErrorContext(ctx, "refused session open not recorded", "request_id", c.RequestID, "agent", agent.ID, "error", aerr)
		return err
	}
	e.Record = &api.RecordRef{Seq: r.Seq, Hash: r.Hash}
	return e
}

// RecordUnreadable records, as a deny decision in session id's chain, an action request the
// edge could not read (reason: "body-too-large", "malformed-request"), when the caller is an
// agent that owns the session; it returns the record, or nil when nothing was recorded (no
// identity, no such session of this agent, or no store).
func (a *Authority) RecordUnreadable(ctx context.Context, c Caller, id, reason string) *api.RecordRef {
	agent, err := a.authenticate(c)
	if err != nil {
		return nil
	}
	s, err := a.loadSession(ctx, agent, id)
	if err != nil {
		return nil
	}
	r, err := a.chain.Append(ctx, audit.Record{
		Session: s.ID, Type: audit.TypeDecision, RequestID: c.RequestID, Identity: identityOf(s),
		Action:  &audit.Action{Name: "unreadable", Digest: ""},
		Verdict: &audit.Verdict{Decision: api.VerdictDeny, Reasons: []string{reason}, PolicyVersion: a.current().policyVersion},
	})
	if err != nil {
		a.log.ErrorContext(ctx, "unreadable action request not recorded", "request_id", c.RequestID, "session", s.ID, "error", err)
		return nil
	}
	return &api.RecordRef{Seq: r.Seq, Hash: r.Hash}
}

// clipUTF8 cuts s to at most n bytes without splitting a character.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// refuseRequest records a refused action request of an identified agent as one deny record
// with its true reason: in the session's chain when the session is the agent's, otherwise
// (no such session, another agent's) in the agent's chain, in one write with the request's
// replay claim (nil: none). A request whose claim is already held is refused as a replay
// instead. It returns the refusal with a pointer to that record; refusals for want of a
// store are returned as they are.
func (a *Authority) refuseRequest(ctx context.Context, c Caller, agent principal, id string, act api.Action, err error, claim *store.Claim) error {
	var e *Error
	if !errors.As(err, &e) || errors.Is(e.Kind, ErrUnavailable) {
		return err
	}
	reasons := e.reasons()
	rec := audit.Record{
		Session: audit.AgentChain(agent.ID), Type: audit.TypeDecision, RequestID: c.RequestID,
		Identity: audit.Identity{Agent: agent.ID, AgentKind: agent.Kind},
		Action:   a.describeRaw(act),
		Verdict:  &audit.Verdict{Decision: api.VerdictDeny, Reasons: reasons, PolicyVersion: a.current().policyVersion},
	}
	if validID(id) {
		if s, serr := a.store.GetSession(ctx, id); serr == nil && s.Agent == agent.ID {
			rec.Session, rec.Identity = s.ID, identityOf(s)
		}
	}
	r, aerr := a.chain.Commit(ctx, rec, store.Decision{Claim: claim})
	if errors.Is(aerr, store.ErrClaimed) {
		return a.refuseRequest(ctx, c, agent, id, act, a.replayed(ctx, c), nil)
	}
	if aerr != nil {
		a.log.ErrorContext(ctx, "refused action request not recorded", "request_id", c.RequestID, "agent", agent.ID, "error", aerr)
		return err
	}
	e.Record = &api.RecordRef{Seq: r.Seq, Hash: r.Hash}
	return e
}
