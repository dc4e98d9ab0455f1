package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/store"
)

// Approvals: a permit carrying @approval turns an allow into a pending approval bound to a
// digest of (session, action kind, target, resource, canonical parameters). A human operator
// other than the session's own (unless every policy that asked allows @self_approval)
// approves or denies it; the agent retries the exact action with the approval's id, and the
// action runs only if the digest matches and the approval is approved, unexpired and unused.
// The store takes each approval once (DecideApproval, ConsumeApproval are conditional
// writes), and every step is a record in the session's chain.

// DefaultApprovalTTL is how long an approval may wait for a human and then for the agent's
// retry; it never outlives the session.
const DefaultApprovalTTL = 15 * time.Minute

// MaxNoteBytes bounds an approver's comment.
const MaxNoteBytes = 1024

// Kinds of failure of approvals and human routes.
var (
	// ErrForbidden: the caller's identity may not use this route (an agent on a human's
	// route, a human on an agent's, an operator on an administrator's); 403.
	ErrForbidden = errors.New("forbidden")
	// ErrApprovalNotFound: no such approval; 404.
	ErrApprovalNotFound = errors.New("approval not found")
	// ErrApprovalPending: the approval is still waiting for a human; 409, retry later.
	ErrApprovalPending = errors.New("approval pending")
	// ErrApprovalInvalid: the approval cannot authorise this action (another action or
	// session, denied, expired or already used); 403. Ask for a new one.
	ErrApprovalInvalid = errors.New("approval invalid")
	// ErrApprovalDecided: the approval was already decided or has expired; 409.
	ErrApprovalDecided = errors.New("approval decided")
)

// approvalDigest binds an approval to one exact action of one session: the keyed digest
// (canonical.go) of the canonical action (kind, target, method, canonical path and query,
// body with numbers as written, statement, service, operation, resource, params) in the
// domain of approvals of that session.
func (a *Authority) approvalDigest(session string, act action.Action) (string, error) {
	return act.Digest(a.digestKey, domainApproval+":"+session)
}

// requestApproval turns a decision of verdict approval (already recorded as decided) into a
// pending approval: the request is recorded first, then stored.
func (a *Authority) requestApproval(ctx context.Context, c Caller, s store.Session, act action.Action, d policy.Decision, decided audit.Record) (api.ActionResponse, error) {
	digest, err := a.approvalDigest(s.ID, act)
	if err != nil {
		return api.ActionResponse{}, fail(ErrInvalid, "the action cannot be encoded", err)
	}
	canonical, err := json.Marshal(act.Action)
	if err != nil {
		return api.ActionResponse{}, fail(ErrInvalid, "the action cannot be encoded", err)
	}
	now := a.now().UTC()
	expires := now.Add(DefaultApprovalTTL)
	if s.ExpiresAt.Before(expires) {
		expires = s.ExpiresAt.UTC()
	}
	ap := store.Approval{
		ID: newID("apr"), SessionID: s.ID, Digest: digest, Status: store.ApprovalPending,
		Agent: s.Agent, Operator: s.Operator, Action: canonical, Reasons: nonNil(d.Reasons),
		CreatedAt: now, ExpiresAt: expires,
	}
	if _, err := a.chain.Append(ctx, audit.Record{
		Session: s.ID, Type: audit.TypeApprovalRequest, RequestID: c.RequestID, Identity: identityOf(s),
		Approval: &audit.Approval{ID: ap.ID, Digest: digest, Status: ap.Status, ExpiresAt: expires, DecisionSeq: decided.Seq, Note: d.Approval},
	}); err != nil {
		return api.ActionResponse{}, fail(ErrUnavailable, "the approval request could not be recorded", err)
	}
	if err := a.store.CreateApproval(ctx, ap); err != nil {
		return api.ActionResponse{}, fail(ErrUnavailable, "the approval could not be stored", err)
	}
	a.log.InfoContext(ctx, "approval requested", "request_id", c.RequestID, "agent", s.Agent, "session", s.ID,
		"approval", ap.ID, "reasons", d.Reasons)
	return api.ActionResponse{
		Verdict: api.VerdictApproval, Reasons: nonNil(d.Reasons), Masking: map[string]int{},
		Record: api.RecordRef{Seq: decided.Seq, Hash: decided.Hash}, ApprovalID: ap.ID, ExpiresAt: &expires,
	}, nil
}

// consumeApproval spends an approved approval on the action it was granted for. It checks,
// in order, that the approval exists and belongs to this session, that it was approved, that
// it covers exactly this action and has not expired, then takes it once in the store and
// records the consumption. Any failure is an *Error for refuse to record.
func (a *Authority) consumeApproval(ctx context.Context, c Caller, s store.Session, act action.Action, id string) *Error {
	invalid := func(why string) *Error {
		return &Error{Kind: ErrApprovalInvalid, Detail: why, Reasons: []string{"approval-invalid"}}
	}
	if !validApprovalID(id) {
		return invalid("no such approval")
	}
	ap, err := a.store.GetApproval(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return invalid("no such approval")
	case err != nil:
		return fail(ErrUnavailable, "the approval could not be read", err)
	case ap.SessionID != s.ID:
		return invalid("no such approval") // another session's approval is reported as missing
	}
	digest, err := a.approvalDigest(s.ID, act)
	if err != nil {
		return fail(ErrInvalid, "the action cannot be encoded", err)
	}
	now := a.now()
	switch {
	case ap.Status == store.ApprovalDenied:
		return invalid("the approval was denied by " + ap.DecidedBy)
	case ap.Status == store.ApprovalConsumed:
		return invalid("the approval was already used; ask for a new one")
	case ap.Digest != digest:
		return invalid("the approval was granted for another action; it covers exactly the action that asked for it")
	case !now.Before(ap.ExpiresAt):
		return invalid("the approval expired at " + ap.ExpiresAt.UTC().Format(time.RFC3339))
	case ap.Status == store.ApprovalPending:
		return &Error{Kind: ErrApprovalPending, Detail: "the approval is still waiting for a human; retry once it is approved", Reasons: []string{"approval-pending"}}
	}
	err = a.store.ConsumeApproval(ctx, id, digest, now)
	switch {
	case errors.Is(err, store.ErrConflict):
		// Lost to a concurrent retry, or expired in between: it is spent either way.
		return invalid("the approval was already used or has expired")
	case err != nil:
		return fail(ErrUnavailable, "the approval could not be taken", err)
	}
	if _, err := a.chain.Append(ctx, audit.Record{
		Session: s.ID, Type: audit.TypeApprovalConsume, RequestID: c.RequestID, Identity: identityOf(s),
		Approval: &audit.Approval{ID: id, Digest: digest, Status: store.ApprovalConsumed, ExpiresAt: ap.ExpiresAt.UTC(), By: ap.DecidedBy},
	}); err != nil {
		return fail(ErrUnavailable, "the approval's use could not be recorded; nothing was executed", err)
	}
	return nil
}

// ListApprovals returns approvals with status (pending when empty, "all" for every one) to a
// human operator, oldest first.
func (a *Authority) ListApprovals(ctx context.Context, c Caller, status string) (api.ApprovalList, error) {
	if _, err := a.authenticateHuman(c, RoleOperator); err != nil {
		return api.ApprovalList{}, err
	}
	switch status {
	case "":
		status = store.ApprovalPending
	case "all":
		status = ""
	case store.ApprovalPending, store.ApprovalApproved, store.ApprovalDenied, store.ApprovalConsumed:
	default:
		return api.ApprovalList{}, fail(ErrInvalid, "status must be pending, approved, denied, consumed or all", nil)
	}
	list, err := a.store.ListApprovals(ctx, status)
	if err != nil {
		return api.ApprovalList{}, fail(ErrUnavailable, "approvals could not be read", err)
	}
	out := api.ApprovalList{Approvals: make([]api.Approval, 0, len(list))}
	for _, ap := range list {
		out.Approvals = append(out.Approvals, approvalView(ap))
	}
	return out, nil
}

// DecideApproval approves (approve true) or denies a pending approval as the calling human
// operator, who must not be the session's operator unless every policy that asked for the
// approval allows self approval. The decision is recorded in the session's chain before it
// is stored.
func (a *Authority) DecideApproval(ctx context.Context, c Caller, id string, approve bool, req api.DecideRequest) (api.Approval, error) {
	h, err := a.authenticateHuman(c, RoleOperator)
	if err != nil {
		return api.Approval{}, err
	}
	if err := a.claimSignature(ctx, c); err != nil { // replay.go
		return api.Approval{}, err
	}
	if len(req.Note) > MaxNoteBytes {
		return api.Approval{}, fail(ErrInvalid, fmt.Sprintf("note is longer than %d bytes", MaxNoteBytes), nil)
	}
	if !validApprovalID(id) {
		return api.Approval{}, fail(ErrApprovalNotFound, "no such approval", nil)
	}
	ap, err := a.store.GetApproval(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return api.Approval{}, fail(ErrApprovalNotFound, "no such approval", nil)
	}
	if err != nil {
		return api.Approval{}, fail(ErrUnavailable, "the approval could not be read", err)
	}
	now := a.now().UTC()
	if ap.Status != store.ApprovalPending {
		return api.Approval{}, fail(ErrApprovalDecided, "the approval is "+ap.Status, nil)
	}
	if !now.Before(ap.ExpiresAt) {
		return api.Approval{}, fail(ErrApprovalDecided, "the approval expired at "+ap.ExpiresAt.UTC().Format(time.RFC3339), nil)
	}
	s, err := a.store.GetSession(ctx, ap.SessionID)
	if err != nil {
		return api.Approval{}, fail(ErrUnavailable, "the approval's session could not be read", err)
	}
	if err := a.checkHumanKills(ctx, h); err != nil {
		return api.Approval{}, err
	}
	op, known := a.operatorOfSession(s) // roles.go: people, not strings
	if approve && !a.current().policies.SelfApproval(ap.Reasons) {
		switch {
		case op == h.Person:
			return api.Approval{}, fail(ErrForbidden, "the operator who opened the session cannot approve its actions; another human must", nil)
		case !known && a.directory().Len() > 0:
			return api.Approval{}, fail(ErrForbidden, "the session's operator is nobody in the directory of people, so no approver can be shown to be someone else; deny it, or ask the agent to name its operator as the directory does", nil)
		}
	}
	if approve {
		// A stopped agent, operator or session has nothing approved.
		if err := a.checkKills(ctx, s.Agent, op, s.ID); err != nil {
			return api.Approval{}, err
		}
	}
	status, typ := store.ApprovalDenied, audit.TypeApprovalDeny
	if approve {
		status, typ = store.ApprovalApproved, audit.TypeApprovalApprove
	}
	if _, err := a.chain.Append(ctx, audit.Record{
		Session: s.ID, Type: typ, RequestID: c.RequestID, Identity: identityOf(s),
		Approval: &audit.Approval{ID: ap.ID, Digest: ap.Digest, Status: status, ExpiresAt: ap.ExpiresAt.UTC(), By: h.Name, Note: req.Note},
	}); err != nil {
		return api.Approval{}, fail(ErrUnavailable, "the decision could not be recorded", err)
	}
	err = a.store.DecideApproval(ctx, ap, status, h.Name, now) // binds what was checked and recorded
	if errors.Is(err, store.ErrConflict) {
		return api.Approval{}, fail(ErrApprovalDecided, "the approval was decided by someone else meanwhile", nil)
	}
	if err != nil {
		return api.Approval{}, fail(ErrUnavailable, "the decision could not be stored", err)
	}
	a.log.InfoContext(ctx, "approval decided", "request_id", c.RequestID, "approval", id, "session", s.ID,
		"status", status, "by", h.Name)
	ap.Status, ap.DecidedBy, ap.DecidedAt = status, h.Name, now
	return approvalView(ap), nil
}

func approvalView(ap store.Approval) api.Approval {
	var action any = json.RawMessage(ap.Action)
	if !json.Valid(ap.Action) {
		action = nil
	}
	return api.Approval{
		ApprovalID: ap.ID, SessionID: ap.SessionID, Status: ap.Status, Agent: ap.Agent, Operator: ap.Operator,
		Action: action, Reasons: nonNil(ap.Reasons), Digest: ap.Digest, DecidedBy: ap.DecidedBy,
		CreatedAt: ap.CreatedAt, ExpiresAt: ap.ExpiresAt, DecidedAt: ap.DecidedAt,
	}
}

// validApprovalID reports whether id has the form newID("apr") gives.
func validApprovalID(id string) bool {
	return len(id) == 30 && strings.HasPrefix(id, "apr_") && validID("ses_"+id[4:])
}

// AgentApproval returns an approval of one of the calling agent's sessions, so that an agent
// can wait for a human without asking again: a read, recorded nowhere. Another session's
// approval, or another agent's session, is reported as missing.
func (a *Authority) AgentApproval(ctx context.Context, c Caller, session, id string) (api.Approval, error) {
	agent, err := a.authenticate(c)
	if err != nil {
		return api.Approval{}, err
	}
	if _, err := a.loadSession(ctx, agent, session); err != nil {
		return api.Approval{}, err
	}
	if !validApprovalID(id) {
		return api.Approval{}, fail(ErrNotFound, "no such approval", nil)
	}
	ap, err := a.store.GetApproval(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && ap.SessionID != session:
		return api.Approval{}, fail(ErrNotFound, "no such approval", nil)
	case err != nil:
		return api.Approval{}, fail(ErrUnavailable, "the approval could not be read", err)
	}
	return approvalView(ap), nil
}
