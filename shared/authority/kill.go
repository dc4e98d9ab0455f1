package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/revocation"
	"github.com/mandate-dev/mandate/shared/revoke"
	"github.com/mandate-dev/mandate/shared/store"
)

// Runtime control. A human operator sets a kill switch by scope (global, agent, operator,
// session); every request checks the kill switches with a strongly consistent read before
// anything else, and an action checks them again after its decision record is appended and
// before anything is minted. A session kill is also a record in the session's chain, which
// gives the ordering the pipeline guarantees:
//
//	no action whose decision record comes after the kill record in the session's chain is
//	performed.
//
// (The kill record is appended after the kill is stored; a decision appended after it is
// followed by a read that sees the stored kill.) Setting a kill also revokes what was minted
// before it: the IAM deny of shared/revoke on every aws target role, the broker's cached AWS
// credentials, the credentials of actions in flight (ephemeral database roles are dropped),
// and the revocation lists targets consult (shared/revocation). Lifting a kill needs a
// verified human operator; lifting a global kill needs two different ones within
// LiftWindow. Every step is a record in audit.ControlChain.

// Defaults of runtime control.
const (
	// DefaultMaxActions is a session's action budget when none is configured.
	DefaultMaxActions = 100
	// DefaultLiftWindow is how long a first human's request to lift a global kill waits
	// for a second, different human.
	DefaultLiftWindow = 15 * time.Minute
	// MaxReasonBytes bounds the reason of a kill or a lift.
	MaxReasonBytes = 1024
	// MaxKillIDBytes bounds what a kill names (an agent's ARN or issuer#subject, an
	// operator's name, a session id).
	MaxKillIDBytes = 512
	// maxLiftRounds bounds how many lapsed lift requests one kill can accumulate.
	maxLiftRounds = 16
	// RevocationTimeout bounds the revocation of one kill, which runs to completion even if
	// the caller goes away. The kill switch function's timeout MUST exceed it (infra).
	RevocationTimeout = 30 * time.Second
)

// ErrBudgetExhausted: the session has used its action budget; 403. Open a new session.
var ErrBudgetExhausted = errors.New("budget exhausted")

// RoleRevoker puts the deny that revokes credentials issued before a kill on IAM roles
// (*revoke.Revoker).
type RoleRevoker interface {
	Revoke(ctx context.Context, kills []revoke.Kill, roleARNs []string) error
}

var _ RoleRevoker = (*revoke.Revoker)(nil)

// ControlConfig configures runtime control.
type ControlConfig struct {
	// MaxActions is the number of actions a session may have decided; 0 means
	// DefaultMaxActions.
	MaxActions int
	// LiftWindow is the two-person window of a global lift; 0 means DefaultLiftWindow.
	LiftWindow time.Duration
	// IAM revokes credentials minted for targets with a role (aws, and sql on RDS); nil
	// means none can be revoked, which each kill reports when the registry has such targets.
	IAM RoleRevoker
	// Revocations are the revocation lists targets consult; each kill is published to all.
	Revocations []*revocation.List
}

// control is the authority's runtime control state.
type control struct {
	maxActions int
	window     time.Duration
	iam        RoleRevoker
	lists      []*revocation.List
	live       *liveSet
}

func newControl(cfg ControlConfig) control {
	c := control{maxActions: cfg.MaxActions, window: cfg.LiftWindow, iam: cfg.IAM, lists: cfg.Revocations, live: &liveSet{held: map[*held]struct{}{}}}
	if c.maxActions <= 0 {
		c.maxActions = DefaultMaxActions
	}
	if c.window <= 0 {
		c.window = DefaultLiftWindow
	}
	return c
}

// Kill sets a kill switch as the calling human operator, records it, and revokes the
// credentials minted before it. The kill is in force once it is stored, whatever the
// revocation reports.
func (a *Authority) Kill(ctx context.Context, c Caller, req api.KillRequest) (api.Kill, error) {
	h, err := a.authenticateHuman(c, RoleOperator)
	if err != nil {
		return api.Kill{}, err
	}
	scope, id, err := killKey(req.Scope, req.ID)
	if err != nil {
		return api.Kill{}, err
	}
	if id, err = a.resolveKillID(ctx, scope, id); err != nil {
		return api.Kill{}, err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return api.Kill{}, fail(ErrInvalid, "reason is required: every refusal the kill causes shows it", nil)
	}
	if err := checkReason(req.Reason); err != nil {
		return api.Kill{}, err
	}
	if err := a.claimSignature(ctx, c); err != nil {
		return api.Kill{}, err
	}
	now := a.now().UTC()
	k := audit.Kill{Scope: scope, ID: id, Reason: req.Reason, By: []string{h.Name}, At: now}
	rec, err := a.chain.Append(ctx, audit.Record{Session: audit.ControlChain, Type: audit.TypeKill, RequestID: c.RequestID, Identity: humanIdentity(h), Kill: &k})
	if err != nil {
		return api.Kill{}, fail(ErrUnavailable, "the kill could not be recorded; it is not in force", err)
	}
	if err := a.store.PutControl(ctx, store.Control{Scope: scope, ID: id, Reason: req.Reason, By: h.Name, CreatedAt: now}); err != nil {
		return api.Kill{}, fail(ErrUnavailable, "the kill could not be stored; it is not in force", err)
	}
	if scope == store.ScopeSession {
		a.recordInSession(ctx, c, id, audit.TypeKill, k) // after the store: see the ordering above
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RevocationTimeout)
	defer cancel()
	rev := a.revokeMinted(rctx, scope, id, now)
	done := k
	done.Roles, done.Dropped, done.Published, done.Failed = rev.Roles, rev.Dropped, rev.Published, rev.Failed
	if _, err := a.chain.Append(rctx, audit.Record{Session: audit.ControlChain, Type: audit.TypeKillRevoke, RequestID: c.RequestID, Identity: humanIdentity(h), Kill: &done}); err != nil {
		a.log.ErrorContext(ctx, "revocation record not written", "request_id", c.RequestID, "scope", scope, "id", id, "error", err)
	}
	a.log.InfoContext(ctx, "kill switch set", "request_id", c.RequestID, "scope", scope, "id", id, "by", h.Name,
		"roles", len(rev.Roles), "dropped", rev.Dropped, "published", rev.Published, "failed", len(rev.Failed))
	return api.Kill{Scope: scope, ID: id, Reason: req.Reason, By: h.Name, CreatedAt: now,
		Record: &api.RecordRef{Seq: rec.Seq, Hash: rec.Hash}, Revocation: &rev}, nil
}

// ListKills returns the kill switches in force to a human operator.
func (a *Authority) ListKills(ctx context.Context, c Caller) (api.KillList, error) {
	if _, err := a.authenticateHuman(c, RoleOperator); err != nil {
		return api.KillList{}, err
	}
	list, err := a.store.ListControls(ctx)
	if err != nil {
		return api.KillList{}, fail(ErrUnavailable, "kill switches could not be read", err)
	}
	out := api.KillList{Kills: make([]api.Kill, 0, len(list))}
	now := a.now()
	for _, k := range list {
		kill := api.Kill{Scope: k.Scope, ID: k.ID, Reason: k.Reason, By: k.By, CreatedAt: k.CreatedAt}
		if k.Scope == store.ScopeGlobal {
			p, err := a.pending(ctx, liftBase(k), now)
			if err != nil {
				return api.KillList{}, err
			}
			kill.PendingLift = p
		}
		out.Kills = append(out.Kills, kill)
	}
	return out, nil
}

// LiftKill lifts a kill switch as the calling human operator. A global kill needs two
// different humans: the first call records a pending lift (Status LiftPending), a call by
// another human before it lapses lifts the kill; the same human twice is refused.
// Credentials revoked by the kill stay revoked.
func (a *Authority) LiftKill(ctx context.Context, c Caller, scope, id string, req api.LiftRequest) (api.Lift, error) {
	h, err := a.authenticateHuman(c, RoleOperator)
	if err != nil {
		return api.Lift{}, err
	}
	scope, id, err = killKey(scope, id)
	if err != nil {
		return api.Lift{}, err
	}
	if err := a.checkHumanKills(ctx, h); err != nil { // roles.go: a stopped person lifts nothing
		return api.Lift{}, err
	}
	if id, err = a.resolveKillID(ctx, scope, id); err != nil {
		return api.Lift{}, err
	}
	if err := checkReason(req.Reason); err != nil {
		return api.Lift{}, err
	}
	if err := a.claimSignature(ctx, c); err != nil {
		return api.Lift{}, err
	}
	kills, err := a.store.FindControls(ctx, []store.ControlKey{{Scope: scope, ID: id}})
	if err != nil {
		return api.Lift{}, fail(ErrUnavailable, "kill switches could not be read", err)
	}
	if len(kills) == 0 {
		return api.Lift{}, fail(ErrNotFound, fmt.Sprintf("no %s kill switch for %q is in force", scope, id), nil)
	}
	k := kills[0]
	now := a.now().UTC()
	by := []string{h.Name}
	if scope == store.ScopeGlobal {
		first, pending, err := a.secondHuman(ctx, c, h, k, req.Reason, now)
		if err != nil || pending != nil {
			return derefLift(pending), err
		}
		by = []string{first, h.Name}
	}
	lift := audit.Kill{Scope: scope, ID: id, Reason: req.Reason, By: by, At: k.CreatedAt.UTC()}
	rec, err := a.chain.Append(ctx, audit.Record{Session: audit.ControlChain, Type: audit.TypeKillLift, RequestID: c.RequestID, Identity: humanIdentity(h), Kill: &lift})
	if err != nil {
		return api.Lift{}, fail(ErrUnavailable, "the lift could not be recorded; the kill stays in force", err)
	}
	if err := a.store.DeleteControl(ctx, scope, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return api.Lift{}, fail(ErrUnavailable, "the kill could not be lifted; it stays in force", err)
	}
	if scope == store.ScopeSession {
		a.recordInSession(ctx, c, id, audit.TypeKillLift, lift)
	}
	a.log.InfoContext(ctx, "kill switch lifted", "request_id", c.RequestID, "scope", scope, "id", id, "by", by)
	return api.Lift{Scope: scope, ID: id, Status: api.LiftDone, By: by, Record: &api.RecordRef{Seq: rec.Seq, Hash: rec.Hash}}, nil
}

// pendingLift is a first human's request to lift a global kill, kept as a store claim until
// a second human confirms it or it lapses.
type pendingLift struct {
	By        string    `json:"by"` // the person (roles.go)
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at"`
}

// secondHuman applies the two-person rule to lifting kill k. It returns the first human's
// name when h confirms another human's pending request, or the pending lift h's own request
// started. The round is keyed by the kill (its scope, id and time), so a new kill starts over.
func (a *Authority) secondHuman(ctx context.Context, c Caller, h human, k store.Control, reason string, now time.Time) (string, *api.Lift, error) {
	first, exp, ref, err := a.twoPerson(ctx, h, liftBase(k), now, func(exp time.Time) (*api.RecordRef, error) {
		rec := audit.Kill{Scope: k.Scope, ID: k.ID, Reason: reason, By: []string{h.Name}, At: k.CreatedAt.UTC(), ExpiresAt: &exp}
		r, err := a.chain.Append(ctx, audit.Record{Session: audit.ControlChain, Type: audit.TypeKillLiftRequest, RequestID: c.RequestID, Identity: humanIdentity(h), Kill: &rec})
		if err != nil {
			return nil, err
		}
		a.log.InfoContext(ctx, "global kill lift requested; waiting for a second human", "request_id", c.RequestID, "by", h.Name, "expires_at", exp)
		return &api.RecordRef{Seq: r.Seq, Hash: r.Hash}, nil
	})
	if err != nil || exp == nil {
		return first, nil, err
	}
	return "", &api.Lift{Scope: k.Scope, ID: k.ID, Status: api.LiftPending, By: []string{h.Name}, ExpiresAt: exp, Record: ref}, nil
}

// twoPerson applies the two-person rule to one change, named by base: the first human's
// request is recorded (by record, which returns the record's reference) and kept as a store
// claim until the window ends; a different human within the window confirms it, and
// twoPerson returns the first human's name. It returns the expiry and record of a request
// that now waits for a second human, or an error (the same human twice is ErrForbidden).
// Each round of requests is one claim, taken once; a round that lapsed by the authority's
// clock is followed by the next.
func (a *Authority) twoPerson(ctx context.Context, h human, base string, now time.Time, record func(exp time.Time) (*api.RecordRef, error)) (string, *time.Time, *api.RecordRef, error) {
	mine := pendingLift{By: h.Person, Name: h.Name, ExpiresAt: now.Add(a.control.window)}
	raw, err := json.Marshal(mine)
	if err != nil {
		return "", nil, nil, fail(ErrUnavailable, "the request could not be encoded", err)
	}
	for round := range maxLiftRounds {
		// The store keeps the claim a day past the window, so only the authority's clock
		// decides when a round lapses.
		held, err := a.store.ClaimKey(ctx, store.Claim{Key: base + strconv.Itoa(round), Digest: h.Person, Result: raw, ExpiresAt: mine.ExpiresAt.Add(24 * time.Hour)})
		if err == nil {
			ref, err := record(mine.ExpiresAt)
			if err != nil {
				return "", nil, nil, fail(ErrUnavailable, "the request could not be recorded", err)
			}
			exp := mine.ExpiresAt
			return "", &exp, ref, nil
		}
		if !errors.Is(err, store.ErrExists) {
			return "", nil, nil, fail(ErrUnavailable, "the request could not be stored", err)
		}
		var p pendingLift
		if json.Unmarshal(held.Result, &p) != nil || !now.Before(p.ExpiresAt) {
			continue // lapsed (or unreadable, which confirms nothing): the next round
		}
		if p.By == h.Person { // the same person, whichever identity they signed with
			return "", nil, nil, fail(ErrForbidden, "you already asked for this change; a second, different human must confirm it before "+
				p.ExpiresAt.UTC().Format(time.RFC3339), nil)
		}
		return p.Name, nil, nil, nil
	}
	return "", nil, nil, fail(ErrConflict, "this change has too many lapsed requests; start over", nil)
}

// liftBase names the two-person rounds of lifting kill k: keyed by the kill (its scope, id
// and time), so a new kill starts over.
func liftBase(k store.Control) string {
	return "lift#" + k.Scope + "#" + k.ID + "#" + k.CreatedAt.UTC().Format(time.RFC3339Nano) + "#"
}

// pending returns the request of twoPerson's rounds under base that waits for a second
// human at now, or nil. It writes nothing.
func (a *Authority) pending(ctx context.Context, base string, now time.Time) (*api.Pending, error) {
	for round := range maxLiftRounds {
		held, err := a.store.HeldClaim(ctx, base+strconv.Itoa(round))
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil // a free round: nothing waits
		}
		if err != nil {
			return nil, fail(ErrUnavailable, "pending requests could not be read", err)
		}
		var p pendingLift
		if json.Unmarshal(held.Result, &p) != nil || !now.Before(p.ExpiresAt) {
			continue // lapsed: twoPerson goes on to the next round too
		}
		return &api.Pending{By: p.Name, ExpiresAt: p.ExpiresAt.UTC()}, nil
	}
	return nil, nil
}

// revokeMinted revokes what was minted before a kill at time at, everywhere it can, and
// says what it did.
func (a *Authority) revokeMinted(ctx context.Context, scope, id string, at time.Time) api.Revocation {
	rev := api.Revocation{Roles: []string{}}
	var roles []string
	for _, t := range a.registry(ctx).Targets() {
		if t.RoleARN != "" { // aws targets, and sql targets on RDS with IAM authentication
			roles = append(roles, t.RoleARN)
		}
	}
	switch {
	case len(roles) > 0 && a.control.iam == nil:
		rev.Failed = append(rev.Failed, fmt.Sprintf("%d target role(s): no IAM client is configured", len(roles)))
	case len(roles) > 0:
		for _, role := range roles {
			if err := a.control.iam.Revoke(ctx, iamKills(scope, id, at), []string{role}); err != nil {
				a.log.ErrorContext(ctx, "revocation not put on target role", "role", role, "scope", scope, "error", err)
				rev.Failed = append(rev.Failed, "target role "+role+": "+revokeFailure(err))
				continue
			}
			rev.Roles = append(rev.Roles, role)
		}
	}
	if f, ok := a.broker.(interface{ Forget(session string) }); ok {
		if scope == store.ScopeSession {
			f.Forget(id)
		} else {
			f.Forget("") // cached credentials do not say whose they are: drop them all
		}
	}
	for _, l := range a.control.lists {
		l.Revoke(revocation.Kill{Scope: scope, ID: id, At: at})
		rev.Published++
	}
	n, failed := a.control.live.drop(ctx, scope, id)
	rev.Dropped = n
	if failed > 0 {
		rev.Failed = append(rev.Failed, fmt.Sprintf("%d live credential(s) of actions in flight", failed))
	}
	rev.Status = api.RevocationComplete
	if len(rev.Failed) > 0 {
		rev.Status = api.RevocationDegraded
	}
	return rev
}

// revokeFailure says, without IAM's own text, why a target role was not revoked on.
func revokeFailure(err error) string {
	switch {
	case errors.Is(err, revoke.ErrFull):
		return "its revocation policy is full; credentials minted before the kill work there until they expire"
	case errors.Is(err, revoke.ErrAccount):
		return "the revocation role of its account could not be assumed"
	case errors.Is(err, revoke.ErrNoPolicy):
		return "it has no revocation policy (permissions boundary under " + revoke.PolicyPath + ")"
	case errors.Is(err, revoke.ErrForeign):
		return "its revocation policy holds statements Mandate did not write"
	}
	return "IAM refused or did not answer"
}

// iamKills are the revocations of shared/revoke that cover a kill: credentials carry the
// agent and session as session tags and the operator as SourceIdentity (verified or
// asserted), each as the broker writes it. At is rounded up to the next second, since
// aws:TokenIssueTime has whole seconds.
func iamKills(scope, id string, at time.Time) []revoke.Kill {
	at = at.Truncate(time.Second).Add(time.Second)
	switch scope {
	case store.ScopeAgent, store.ScopeSession:
		return []revoke.Kill{{Scope: scope, Value: broker.TagValue(id), At: at}}
	case store.ScopeOperator:
		return []revoke.Kill{
			{Scope: scope, Value: broker.SourceIdentity(id, true), At: at},
			{Scope: scope, Value: broker.SourceIdentity(id, false), At: at},
		}
	}
	return []revoke.Kill{{Scope: revoke.ScopeGlobal, At: at}}
}

// recheckKills runs after an allowed action's decision record is appended and before
// anything is minted. A kill that was stored before this read refuses the action; the
// refusal is the decision's result record.
func (a *Authority) recheckKills(ctx context.Context, c Caller, s store.Session, decided audit.Record) error {
	err := a.checkSessionKills(ctx, s)
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e.Kind == ErrKilled {
		a.appendResult(ctx, audit.Record{Session: s.ID, Type: audit.TypeResult, RequestID: c.RequestID, Identity: identityOf(s),
			Result: &audit.Result{DecisionSeq: decided.Seq, Outcome: "killed", Masking: map[string]int{}}})
		e.Detail += "; the action was decided but not performed"
		e.Record = &api.RecordRef{Seq: decided.Seq, Hash: decided.Hash}
	}
	return err
}

// resolveKillID turns the id a kill names into the id kills are kept under: an operator's
// person (any spelling of any of their names), an agent's id (by its id, configured name or
// access key id), a session that exists. Naming nobody is ErrNotFound and nothing is stored.
func (a *Authority) resolveKillID(ctx context.Context, scope, id string) (string, error) {
	switch scope {
	case store.ScopeOperator:
		key, known := a.personKey(id)
		if !known && a.directory().Len() > 0 {
			return "", fail(ErrNotFound, fmt.Sprintf("no person named %q is in the directory; kill the agent or the session instead", clipField(id)), nil)
		}
		return key, nil
	case store.ScopeAgent:
		if a.roles.Agents == nil {
			return id, nil
		}
		if agent, ok := a.roles.Agents[id]; ok {
			return agent, nil
		}
		if strings.HasPrefix(id, "arn:") || strings.HasPrefix(id, "https://") {
			return id, nil // an identity no list holds: an IAM principal or an OIDC agent
		}
		return "", fail(ErrNotFound, fmt.Sprintf("no agent is known as %q (give its name, access key id or id)", clipField(id)), nil)
	case store.ScopeSession:
		_, err := a.store.GetSession(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return "", fail(ErrNotFound, fmt.Sprintf("no session %q", clipField(id)), nil)
		case err != nil:
			return "", fail(ErrUnavailable, "the session could not be read", err)
		}
	}
	return id, nil
}

// checkBudget refuses an action once the session has used its action budget.
func (a *Authority) checkBudget(s store.Session) *Error {
	if s.Actions < a.control.maxActions {
		return nil
	}
	return &Error{Kind: ErrBudgetExhausted, Reasons: []string{"budget-exhausted"},
		Detail: fmt.Sprintf("the session has used its budget of %d actions; open a new session", a.control.maxActions)}
}

// recordInSession adds a kill event to the chain of the session it names, if there is one.
// The kill is in force either way; a failure is logged.
func (a *Authority) recordInSession(ctx context.Context, c Caller, id string, typ string, k audit.Kill) {
	s, err := a.store.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err == nil {
		_, err = a.chain.Append(ctx, audit.Record{Session: s.ID, Type: typ, RequestID: c.RequestID, Identity: identityOf(s), Kill: &k})
	}
	if err != nil {
		a.log.ErrorContext(ctx, "kill event not recorded in the session's chain", "request_id", c.RequestID, "session", id, "type", typ, "error", err)
	}
}

// killKey validates a kill's scope and id; the global kill's id is store.GlobalID.
func killKey(scope, id string) (string, string, error) {
	switch scope {
	case store.ScopeGlobal:
		if id != "" && id != store.GlobalID {
			return "", "", fail(ErrInvalid, `a global kill has no id (or "*")`, nil)
		}
		return scope, store.GlobalID, nil
	case store.ScopeSession:
		if !validID(id) {
			return "", "", fail(ErrInvalid, "id must be a session id", nil)
		}
	case store.ScopeAgent, store.ScopeOperator:
		if id == "" || len(id) > MaxKillIDBytes || !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
			return "", "", fail(ErrInvalid, fmt.Sprintf("id must name the %s in at most %d bytes of text", scope, MaxKillIDBytes), nil)
		}
	default:
		return "", "", fail(ErrInvalid, "scope must be global, agent, operator or session", nil)
	}
	return scope, id, nil
}

func checkReason(r string) error {
	if len(r) > MaxReasonBytes || !utf8.ValidString(r) {
		return fail(ErrInvalid, fmt.Sprintf("reason must be text of at most %d bytes", MaxReasonBytes), nil)
	}
	return nil
}

func humanIdentity(h human) audit.Identity {
	return audit.Identity{Operator: h.Name, OperatorVerified: true}
}

func derefLift(l *api.Lift) api.Lift {
	if l == nil {
		return api.Lift{}
	}
	return *l
}

// liveSet holds the credentials of actions in flight, so a kill can drop them (ephemeral
// database roles) before the action finishes.
type liveSet struct {
	mu   sync.Mutex
	held map[*held]struct{}
}

// held is one credential in flight.
type held struct {
	set                      *liveSet
	agent, operator, session string
	cred                     broker.Credential
	once                     sync.Once
	err                      error
}

// hold registers a freshly minted credential of session s.
func (l *liveSet) hold(s store.Session, c broker.Credential) *held {
	h := &held{set: l, agent: s.Agent, operator: s.Operator, session: s.ID, cred: c}
	l.mu.Lock()
	l.held[h] = struct{}{}
	l.mu.Unlock()
	return h
}

// release drops the credential once, whoever asks first (the pipeline or a kill).
func (h *held) release(ctx context.Context) error {
	h.once.Do(func() {
		h.set.mu.Lock()
		delete(h.set.held, h)
		h.set.mu.Unlock()
		h.err = h.cred.Release(ctx)
	})
	return h.err
}

// drop releases every held credential a kill of scope and id covers; it returns how many
// dropped something (database roles) and how many failed.
func (l *liveSet) drop(ctx context.Context, scope, id string) (dropped, failed int) {
	l.mu.Lock()
	var hit []*held
	for h := range l.held {
		if scope == store.ScopeGlobal || (scope == store.ScopeAgent && h.agent == id) ||
			(scope == store.ScopeOperator && h.operator == id) || (scope == store.ScopeSession && h.session == id) {
			hit = append(hit, h)
		}
	}
	l.mu.Unlock()
	for _, h := range hit {
		if err := h.release(ctx); err != nil {
			failed++
			continue
		}
		if h.cred.SQL != nil {
			dropped++
		}
	}
	return dropped, failed
}
