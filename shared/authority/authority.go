package authority

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/intent"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/metrics"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/target"
)

// Defaults for sessions.
const (
	// DefaultSessionTTL is a session's lifetime when the agent asks for none.
	DefaultSessionTTL = 15 * time.Minute
	// MaxSessionTTL is the longest lifetime an agent may ask for.
	MaxSessionTTL = time.Hour
	// MinSessionTTL is the shortest lifetime an agent may ask for.
	MinSessionTTL = time.Minute
	// MaxPromptBytes bounds the originating prompt.
	MaxPromptBytes = 16 << 10
	// DocumentName is the name of the active policy set, intent catalog and target registry.
	DocumentName = "default"
)

// minter mints the credential for one action (broker.Broker).
type minter interface {
	Mint(ctx context.Context, t target.Target, a api.Action, sc broker.Scope) (broker.Credential, error)
}

// executor performs one action (execute.HTTP).
type executor interface {
	Do(ctx context.Context, t target.Target, c broker.Credential, a api.Action) (execute.Result, error)
}

// Config wires an Authority.
type Config struct {
	Store    store.Store
	Broker   minter
	Executor executor
	Masker   *mask.Engine
	Log      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Metrics receives one Embedded Metric Format line per decided action; nil means none.
	Metrics *metrics.Emitter
	// Model is a Bedrock model asked beside the deterministic classifier; nil means none.
	Model *intent.Model
	// SQL parses the statements of sql actions (pgquery.New()); nil refuses sql actions.
	SQL sqlParser
	// Roles names the human operators and administrators; every other identity is an agent.
	Roles Roles
	// Tokens verifies operator tokens (and says which issuers are trusted for agents); nil
	// means no OIDC issuer is configured: operator tokens and bearer agents are refused.
	Tokens tokenVerifier
	// ReloadInterval is how often new policy and intent versions are looked for; 0 means
	// DefaultReloadInterval.
	ReloadInterval time.Duration
	// MaskKey is the deployment key of masking tokens (at least mask.MinKeyBytes); nil
	// means token and format modes redact and no token can be detokenized.
	MaskKey []byte
	// Masking holds the masking profiles; nil means the built-in profiles under MaskKey.
	Masking *mask.Catalog
	// Vault keeps the values behind the tokens a session was shown; nil means a vault over
	// the store's claims when MaskKey is set.
	Vault mask.Vault
	// Control configures kill switches, revocation and the action budget (kill.go).
	Control ControlConfig
}

// Authority runs the pipeline.
type Authority struct {
	store    store.Store
	chain    *audit.Chain
	offers   atomic.Pointer[offersOf] // offers.go: the last answer of Offers
	broker   minter
	executor executor
	masker   *mask.Engine
	log      *slog.Logger
	now      func() time.Time
	sql      sqlParser
	model    *intent.Model
	metrics  *metrics.Emitter

	docs    docs // the active policy sets and intent catalog (documents.go)
	roles   Roles
	tokens  tokenVerifier
	masking masking // masking.go
	control control // kill.go
	// deciding serialises the decisions of one session in this process.
	deciding sessionLocks
	// digestKey keys the digests of actions and prompts in records (canonical.go); nil
	// without a deployment key.
	digestKey []byte
}

// New builds an Authority and loads the active policy set, intent catalog and target
// registry from the store.
func New(ctx context.Context, cfg Config) (*Authority, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("authority: no store"))
	}
	if cfg.Broker == nil {
		errs = append(errs, errors.New("authority: no broker"))
	}
	if cfg.Executor == nil {
		errs = append(errs, errors.New("authority: no executor"))
	}
	if cfg.Masker == nil {
		errs = append(errs, errors.New("authority: no masker"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	a := &Authority{
		store: cfg.Store, chain: audit.NewChain(cfg.Store, cfg.Now), broker: cfg.Broker,
		executor: cfg.Executor, masker: cfg.Masker, log: cfg.Log, now: cfg.Now, sql: cfg.SQL, model: cfg.Model, metrics: cfg.Metrics,
		roles: cfg.Roles, docs: docs{interval: cfg.ReloadInterval}, tokens: cfg.Tokens, digestKey: digestKey(cfg.MaskKey),
	}
	a.control = newControl(cfg.Control)
	if err := a.loadDocuments(ctx); err != nil {
		return nil, err
	}
	var err error
	if a.masking, err = newMasking(cfg); err != nil {
		return nil, err
	}
	return a, nil
}

// OpenSession opens a session for an operator with the originating prompt.
// A refusal is recorded in the agent's chain (refusals.go).
func (a *Authority) OpenSession(ctx context.Context, c Caller, req api.OpenSessionRequest) (api.Session, error) {
	agent, err := a.authenticate(c)
	if err != nil {
		return api.Session{}, err
	}
	if err := a.refuseHumans(agent); err != nil {
		return api.Session{}, err
	}
	s, err := a.openSession(ctx, c, agent, req)
	if err != nil {
		return api.Session{}, a.recordRefusedOpen(ctx, c, agent, req, err)
	}
	return s, nil
}

func (a *Authority) openSession(ctx context.Context, c Caller, agent principal, req api.OpenSessionRequest) (api.Session, error) {
	ttl, err := validateOpen(req)
	if err != nil {
		return api.Session{}, err
	}
	op, err := a.operatorOf(ctx, c, agent, req) // operator.go
	if err != nil {
		return api.Session{}, err
	}
	if err := a.claimSignature(ctx, c); err != nil {
		return api.Session{}, err
	}
	opKey, _ := a.operatorOfSession(store.Session{Operator: op.ID, OperatorVerified: op.Verified, OperatorIssuer: op.Issuer})
	if err := a.checkKills(ctx, agent.ID, opKey, ""); err != nil {
		return api.Session{}, err
	}

	cl := a.documents(ctx).classifier
	intents := cl.Classify(req.Prompt)
	masked, summary := a.masker.Text([]byte(req.Prompt))
	model := a.askModel(ctx, cl, string(masked)) // model.go: nil unless a model is configured
	if model != nil && model.Error == "" {
		intents = narrow(intents, model.Intents) // the model only ever removes intents
	}
	now := a.now().UTC()
	s := store.Session{
		ID: newID("ses"), Agent: agent.ID, AgentKind: agent.Kind,
		Operator: op.ID, OperatorVerified: op.Verified, OperatorMethod: op.Method, OperatorIssuer: op.Issuer,
		PromptMasked: string(masked), PromptHash: a.promptDigest(req.Prompt), Purpose: a.maskText(req.Purpose), // stored and recorded masked, like the prompt
		PurposeFlag: cl.CheckPurpose(intents, req.Purpose),
		Intents:     intents, Status: store.SessionOpen, CreatedAt: now, ExpiresAt: now.Add(ttl),
		ByFamily: map[string]int{},
	}
	// The chain starts before the session exists, so no action can ever run in a session
	// whose opening is not on record.
	if _, err := a.chain.Append(ctx, audit.Record{
		Session: s.ID, Type: audit.TypeSessionOpen, RequestID: c.RequestID, Identity: identityOf(s),
		Prompt:  &audit.Prompt{Masked: s.PromptMasked, HMAC: s.PromptHash, Purpose: s.Purpose, Masking: summary, PurposeFlag: s.PurposeFlag, Model: model},
		Intents: intents,
	}); err != nil {
		return api.Session{}, fail(ErrUnavailable, "the audit record could not be written", err)
	}
	if err := a.store.CreateSession(ctx, s); err != nil {
		return api.Session{}, fail(ErrUnavailable, "the session could not be stored", err)
	}
	a.log.InfoContext(ctx, "session opened", "request_id", c.RequestID, "agent", agent.ID,
		"operator", s.Operator, "session", s.ID, "intents", intentNames(intents))
	return sessionView(s), nil
}

// GetSession returns a session of the calling agent.
func (a *Authority) GetSession(ctx context.Context, c Caller, id string) (api.Session, error) {
	agent, err := a.authenticate(c)
	if err != nil {
		return api.Session{}, err
	}
	s, err := a.loadSession(ctx, agent, id)
	if err != nil {
		return api.Session{}, err
	}
	return sessionView(s), nil
}

// CloseSession closes a session of the calling agent; closing a closed session is a no-op.
func (a *Authority) CloseSession(ctx context.Context, c Caller, id string) (api.Session, error) {
	agent, err := a.authenticate(c)
	if err != nil {
		return api.Session{}, err
	}
	if err := a.claimSignature(ctx, c); err != nil {
		return api.Session{}, err
	}
	for range 8 {
		s, err := a.loadSession(ctx, agent, id)
		if err != nil {
			return api.Session{}, err
		}
		if s.Status == store.SessionClosed {
			return sessionView(s), nil
		}
		if _, err := a.chain.Append(ctx, audit.Record{Session: s.ID, Type: audit.TypeSessionClose, RequestID: c.RequestID, Identity: identityOf(s)}); err != nil {
			return api.Session{}, fail(ErrUnavailable, "the audit record could not be written", err)
		}
		s.Status = store.SessionClosed
		err = a.store.UpdateSession(ctx, s)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return api.Session{}, fail(ErrUnavailable, "the session could not be updated", err)
		}
		s.Version++
		return sessionView(s), nil
	}
	return api.Session{}, fail(ErrUnavailable, "the session is busy; retry", nil)
}

// Act runs one action through the pipeline.
func (a *Authority) Act(ctx context.Context, c Caller, id string, req api.ActionRequest) (api.ActionResponse, error) {
	if (req.IdempotencyKey != "" || c.IdempotencyKey != "") && ctx.Value(onceKey{}) == nil {
		return a.actOnce(ctx, c, id, req) // replay.go: runs Act once per key
	}
	start, wall := a.now(), time.Now()
	var m metrics.Action // one EMF line per decided action (shared/metrics)
	defer func() {
		if m.Verdict != "" {
			m.Total = time.Since(wall)
			a.metrics.Action(m)
		}
	}()
	agent, err := a.authenticate(c)
	if err != nil {
		return api.ActionResponse{}, err
	}
	// The replay claim is taken in the one write that records the decision, or the refusal.
	claim := a.replayClaim(ctx, c) // replay.go
	// Actions of one session are decided one at a time in this process, on the session as
	// read under the lock; other processes are held off by the decision commit's condition.
	unlock := sync.OnceFunc(a.deciding.lock(id)) // held until the decision is durable
	defer unlock()
	s, err := a.loadSession(ctx, agent, id)
	if err != nil {
		return api.ActionResponse{}, a.refuseRequest(ctx, c, agent, id, req.Action, err, claim) // refusals.go
	}
	dec := audit.Record{Session: s.ID, Type: audit.TypeDecision, RequestID: c.RequestID, Identity: identityOf(s)}
	dec.Action = a.describeRaw(req.Action)
	if err := a.checkLive(s); err != nil {
		var e *Error
		errors.As(err, &e)
		return api.ActionResponse{}, a.refuse(ctx, c, dec, e, claim)
	}

	if err := a.checkSessionKills(ctx, s); err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Kind != ErrKilled {
			return api.ActionResponse{}, err // the kill switches could not be read: fail closed
		}
		return api.ActionResponse{}, a.refuse(ctx, c, dec, e, claim)
	}
	// One canonical form, built once: policy, the digests, the record and the target see it
	// and nothing else (canonical.go).
	act, t, stmt, verr := a.canonical(ctx, req.Action)
	if act.Kind != "" {
		dec.Action = a.describe(act)
	}
	if verr != nil {
		return api.ActionResponse{}, a.refuse(ctx, c, dec, verr, claim)
	}
	outbound, known, verr := a.masking.request(ctx, s, t, act.Action) // secrets refused, tokens detokenized
	if verr != nil {
		return api.ActionResponse{}, a.refuse(ctx, c, dec, verr, claim)
	}

	// Decide on a count that includes this action, then make the decision durable in one
	// write: the replay claim, the counters and the decision record together, committed
	// only if no other action counted in between; otherwise re-read, decide again.
	var (
		d        policy.Decision
		decided  audit.Record
		approved bool // the approval is spent: a decision taken again is an allow
	)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if s, err = a.loadSession(ctx, agent, id); err != nil {
				return api.ActionResponse{}, err
			}
			if err := a.checkLive(s); err != nil {
				var e *Error
				errors.As(err, &e)
				return api.ActionResponse{}, a.refuse(ctx, c, dec, e, claim)
			}
		}
		counted, verr := a.count(s, policy.Family(act.Name))
		if verr != nil {
			return api.ActionResponse{}, a.refuse(ctx, c, dec, verr, claim)
		}
		stage := time.Now()
		var (
			version int64
			shadow  []audit.Shadow
		)
		d, version, shadow = a.evaluate(ctx, a.policyRequest(s, counted, act, t, stmt))
		m.Policy = time.Since(stage)
		dec.Verdict = &audit.Verdict{Decision: d.Verdict, Reasons: nonNil(d.Reasons), PolicyVersion: version, Errors: d.Errors, Shadow: shadow}
		if d.Verdict == api.VerdictApproval && req.ApprovalID != "" {
			// A human approved this exact action: spend the approval, then decide allow.
			if !approved {
				if err := a.consumeApproval(ctx, c, s, act, req.ApprovalID); err != nil {
					return api.ActionResponse{}, a.refuse(ctx, c, dec, err, claim)
				}
				approved = true
			}
			d.Verdict, dec.Verdict.Decision, dec.Verdict.ApprovalID = api.VerdictAllow, api.VerdictAllow, req.ApprovalID
		}
		stage = time.Now()
		decided, err = a.chain.Commit(ctx, dec, store.Decision{Claim: claim, Counted: &counted})
		m.Decision = time.Since(stage)
		if !errors.Is(err, store.ErrConflict) {
			break
		}
		if attempt+1 >= MaxDecideAttempts {
			return api.ActionResponse{}, fail(ErrUnavailable, "the session is busy; nothing was executed; retry", err)
		}
		// Another process counted in between: back off a little, read the session again.
		if err := sleep(ctx, attempt); err != nil {
			return api.ActionResponse{}, fail(ErrUnavailable, "the session is busy; nothing was executed; retry", err)
		}
	}
	unlock()
	switch {
	case errors.Is(err, store.ErrClaimed):
		return api.ActionResponse{}, a.refuseRequest(ctx, c, agent, id, req.Action, a.replayed(ctx, c), nil)
	case err != nil:
		return api.ActionResponse{}, fail(ErrUnavailable, "the decision record could not be written; nothing was executed", err)
	}
	m.Verdict, m.Target = d.Verdict, t.Name
	var stage time.Time
	ref := &api.RecordRef{Seq: decided.Seq, Hash: decided.Hash}
	if d.Verdict == api.VerdictApproval {
		return a.requestApproval(ctx, c, s, act, d, decided)
	}
	if d.Verdict != api.VerdictAllow {
		a.log.InfoContext(ctx, "action denied", "request_id", c.RequestID, "agent", s.Agent, "session", s.ID,
			"action", dec.Action.Name, "reasons", d.Reasons)
		return api.ActionResponse{}, &Error{Kind: ErrDenied, Detail: "policy denied the action", Reasons: nonNil(d.Reasons), Record: ref}
	}

	if err := a.recheckKills(ctx, c, s, decided); err != nil { // kill.go: a kill stored before now wins
		return api.ActionResponse{}, err
	}
	res := audit.Record{Session: s.ID, Type: audit.TypeResult, RequestID: c.RequestID, Identity: identityOf(s),
		Result: &audit.Result{DecisionSeq: decided.Seq, Masking: map[string]int{}}}
	stage = time.Now()
	cred, err := a.broker.Mint(ctx, t, act.Action, broker.Scope{Session: s.ID, Record: decided.Hash, Agent: s.Agent,
		Operator: s.Operator, OperatorVerified: s.OperatorVerified, Intent: primaryIntent(s.Intents), Statement: stmt})
	if err != nil {
		res.Result.Outcome = "failed"
		a.appendResult(ctx, res)
		return api.ActionResponse{}, mintFailure(err)
	}
	m.Broker = time.Since(stage)
	res.Result.Credential = cred.Describe()
	live := a.control.live.hold(s, cred) // kill.go: a kill drops it while the action runs
	stage = time.Now()
	out, err := a.executor.Do(ctx, t, cred, outbound)
	m.Execute = time.Since(stage)
	if rerr := live.release(ctx); rerr != nil {
		a.log.ErrorContext(ctx, "minted credential not dropped", "session", s.ID, "error", rerr)
	}
	if err != nil {
		res.Result.Outcome = "target-error"
		res.Result.DurationMS = a.now().Sub(start).Milliseconds()
		a.appendResult(ctx, res)
		if errors.Is(err, execute.ErrBadAction) {
			return api.ActionResponse{}, fail(ErrInvalid, "the action could not be sent to the target", err)
		}
		return api.ActionResponse{}, fail(ErrTargetFailed, "the target did not answer", err)
	}
	stage = time.Now()
	// What Mandate itself put into the request (detokenized values, the minted credential)
	// is masked out of the answer whatever the target does with it.
	known = append(known, cred.Secrets()...)
	masked, profile, merr := a.masking.response(ctx, s, t, d, out, known)
	m.Mask = time.Since(stage)
	if masked.Body == nil && merr != nil {
		res.Result.Outcome = "mask-failed"
		a.appendResult(ctx, res)
		return api.ActionResponse{}, fail(ErrUnavailable, "the result could not be masked; the response is withheld", merr)
	}
	if merr != nil {
		a.log.ErrorContext(ctx, "masking profile not found; masked with "+profile, "session", s.ID, "error", merr)
	}
	maskedBody, summary := masked.Body, masked.Summary
	digest := sha256.Sum256(out.Body)
	res.Result.Status, res.Result.Outcome, res.Result.Reason = out.Status, "ok", out.Reason
	if out.Outcome != "" {
		res.Result.Outcome = out.Outcome
	}
	res.Result.ResponseSHA256, res.Result.ResponseBytes = hex.EncodeToString(digest[:]), len(out.Body)
	res.Result.Truncated, res.Result.Masking = out.Truncated || masked.Truncated, counts(summary)
	for class, n := range out.Masked {
		res.Result.Masking[class] += n
	}
	res.Result.MaskFindings = maskFindings(masked.FindingsN(audit.MaxMaskFindings))
	res.Result.DurationMS = a.now().Sub(start).Milliseconds()
	stage = time.Now()
	// The result record rides the store's next commit instead of waiting for one of its own
	// (an embedded store; DynamoDB writes it now): the decision was durable before anything
	// ran, and a crash before this record is on disk leaves a decision without a result,
	// which verify reports, never a result without its decision.
	done, err := a.chain.AppendLater(ctx, res, func(err error) {
		a.log.Error("result record not written", "session", s.ID, "decision_seq", decided.Seq, "error", err)
	})
	m.Result, m.Masked = time.Since(stage), res.Result.Masking
	if err != nil {
		// The action ran but its result is not on record: withhold the response.
		return api.ActionResponse{}, fail(ErrUnavailable, "the result record could not be written; the response is withheld", err)
	}
	a.log.InfoContext(ctx, "action performed", "request_id", c.RequestID, "agent", s.Agent, "session", s.ID,
		"action", dec.Action.Name, "status", out.Status, "masked", res.Result.Masking, "ms", res.Result.DurationMS)
	return api.ActionResponse{
		Verdict: api.VerdictAllow, Reasons: nonNil(d.Reasons), Status: out.Status,
		Result: decodeResult(maskedBody, out.Truncated), Masking: res.Result.Masking,
		Record: api.RecordRef{Seq: done.Seq, Hash: done.Hash},
	}, nil
}

// mintFailure maps a broker error: an action no credential can be scoped to is the caller's
// (400); anything else (STS or Secrets Manager down, throttled or refusing) is ours, and
// the caller may retry (503). Nothing was executed either way.
func mintFailure(err error) *Error {
	if errors.Is(err, broker.ErrUnsupported) || errors.Is(err, broker.ErrNotGrantable) || errors.Is(err, broker.ErrPolicyTooLarge) {
		return fail(ErrUnsupported, "no credential can be scoped to this action", err)
	}
	return fail(ErrUnavailable, "no credential could be minted for this action; nothing was executed", err)
}

// Audit returns a session's chain, verified.
func (a *Authority) Audit(ctx context.Context, c Caller, id string) (api.AuditResponse, error) {
	agent, err := a.authenticate(c)
	if err != nil {
		return api.AuditResponse{}, err
	}
	if _, err := a.loadSession(ctx, agent, id); err != nil {
		return api.AuditResponse{}, err
	}
	rep, err := audit.VerifyChain(ctx, a.store, id)
	if err != nil {
		return api.AuditResponse{}, fail(ErrUnavailable, "the audit chain could not be read", err)
	}
	out := api.AuditResponse{SessionID: id, Verified: rep.Break == nil, Records: make([]any, 0, len(rep.Records))}
	for _, r := range rep.Records {
		out.Records = append(out.Records, r)
	}
	if rep.Break != nil {
		out.Problems = []string{rep.Break.Error()}
	}
	return out, nil
}

// refuse records a refusal in the session's chain, in one write with the request's replay
// claim (nil: none), and returns it. A request whose claim is already held is refused as a
// replay instead.
func (a *Authority) refuse(ctx context.Context, c Caller, dec audit.Record, e *Error, claim *store.Claim) error {
	reasons := e.reasons()
	dec.Verdict = &audit.Verdict{Decision: api.VerdictDeny, Reasons: reasons, PolicyVersion: a.current().policyVersion}
	r, err := a.chain.Commit(ctx, dec, store.Decision{Claim: claim})
	if errors.Is(err, store.ErrClaimed) {
		return a.refuse(ctx, c, dec, a.replayed(ctx, c), nil)
	}
	if err != nil {
		return fail(ErrUnavailable, "the refusal could not be recorded", err)
	}
	e.Record = &api.RecordRef{Seq: r.Seq, Hash: r.Hash}
	return e
}

func (a *Authority) appendResult(ctx context.Context, r audit.Record) {
	if _, err := a.chain.Append(ctx, r); err != nil {
		a.log.ErrorContext(ctx, "result record not written", "session", r.Session, "error", err)
	}
}

func (a *Authority) loadSession(ctx context.Context, agent principal, id string) (store.Session, error) {
	if !validID(id) {
		return store.Session{}, fail(ErrSessionNotFound, "no such session", nil)
	}
	s, err := a.store.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, fail(ErrSessionNotFound, "no such session", nil)
	}
	if err != nil {
		return store.Session{}, fail(ErrUnavailable, "the session could not be read", err)
	}
	if s.Agent != agent.ID {
		// Another agent's session is reported exactly like a missing one.
		return store.Session{}, fail(ErrSessionNotFound, "no such session", nil)
	}
	return s, nil
}

func (a *Authority) checkLive(s store.Session) error {
	if s.Status != store.SessionOpen {
		return fail(ErrSessionClosed, "the session is closed; open a new one", nil)
	}
	if !a.now().Before(s.ExpiresAt) {
		return fail(ErrSessionExpired, "the session expired at "+s.ExpiresAt.UTC().Format(time.RFC3339), nil)
	}
	return nil
}

// checkSessionKills refuses if a kill switch covers the session, its agent, the person behind
// it or all.
func (a *Authority) checkSessionKills(ctx context.Context, s store.Session) error {
	op, _ := a.operatorOfSession(s)
	return a.checkKills(ctx, s.Agent, op, s.ID)
}

// checkKills refuses if a kill switch covers the agent, the operator (a person key,
// roles.go), the session or all.
func (a *Authority) checkKills(ctx context.Context, agent, operator, session string) error {
	keys := []store.ControlKey{{Scope: store.ScopeGlobal, ID: store.GlobalID}, {Scope: store.ScopeAgent, ID: agent}}
	if operator != "" {
		keys = append(keys, store.ControlKey{Scope: store.ScopeOperator, ID: operator})
	}
	if session != "" {
		keys = append(keys, store.ControlKey{Scope: store.ScopeSession, ID: session})
	}
	kills, err := a.store.FindControls(ctx, keys)
	if err != nil {
		return fail(ErrUnavailable, "kill switches could not be read", err)
	}
	if len(kills) == 0 {
		return nil
	}
	k := kills[0]
	return &Error{Kind: ErrKilled, Detail: fmt.Sprintf("stopped by a %s kill switch: %s", k.Scope, k.Reason),
		Reasons: []string{"kill:" + k.Scope + ":" + k.ID}}
}

// MaxDecideAttempts bounds how often an action is decided again because another action of
// its session counted in between.
const MaxDecideAttempts = 16

// count is the session with this action counted, as policy decides it, or the budget's
// refusal (kill.go) if the session has used it up. Nothing is written: the counters are
// committed with the decision, only if no other action counted in between.
func (a *Authority) count(s store.Session, family string) (store.Session, *Error) {
	if a.control.maxActions > 0 {
		if err := a.checkBudget(s); err != nil {
			return s, err
		}
	}
	byFamily := make(map[string]int, len(s.ByFamily)+1)
	for k, v := range s.ByFamily {
		byFamily[k] = v
	}
	byFamily[family]++
	s.Actions++
	s.ByFamily = byFamily
	return s, nil
}

// sessionLocks are striped locks by session id.
type sessionLocks [64]sync.Mutex

// lock locks id's stripe and returns its unlock.
func (l *sessionLocks) lock(id string) func() {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	mu := &l[h%uint32(len(l))]
	mu.Lock()
	return mu.Unlock
}

// sleep waits a little longer after each lost attempt, with jitter, unless ctx ends first.
func sleep(ctx context.Context, attempt int) error {
	t := time.NewTimer(time.Duration(mrand.Int64N(int64(attempt+1) * int64(200*time.Microsecond))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// policyRequest is the canonical action in a session, as policy decides it.
func (a *Authority) policyRequest(s, counted store.Session, act action.Action, t target.Target, stmt *sqlparse.Statement) policy.Request {
	person, known := a.operatorOfSession(s)
	if !known {
		person = ""
	}
	return policy.Request{
		Agent: s.Agent, AgentKind: s.AgentKind, Operator: s.Operator, OperatorVerified: s.OperatorVerified, OperatorPerson: person,
		Action: act.Name, Target: t.Name, TargetKind: t.Kind, Resource: act.Resource, Intents: s.Intents,
		SessionAgeSeconds: int64(a.now().Sub(s.CreatedAt).Seconds()), SessionActions: counted.Actions, SessionByFamily: counted.ByFamily,
		Now: a.now(), SQL: sqlContext(stmt, t), HTTP: act.HTTP,
	}
}

func (a *Authority) validate(ctx context.Context, act api.Action) (target.Target, *Error) {
	if act.Kind != api.KindHTTP && act.Kind != api.KindSQL && act.Kind != api.KindAWS {
		return target.Target{}, fail(ErrUnsupported, fmt.Sprintf("action kind %q is not supported", act.Kind), nil)
	}
	t, err := a.registry(ctx).Lookup(act.Target)
	if err != nil {
		return target.Target{}, fail(ErrUnknownTarget, fmt.Sprintf("no target named %q", act.Target), nil)
	}
	if t.Kind != act.Kind {
		return target.Target{}, fail(ErrInvalid, fmt.Sprintf("target %q takes %s actions", t.Name, t.Kind), nil)
	}
	return t, nil // the kind-specific checks are in checkKind (kinds.go)
}

func validateOpen(req api.OpenSessionRequest) (time.Duration, error) {
	switch {
	case strings.TrimSpace(req.Prompt) == "":
		return 0, fail(ErrInvalid, "prompt is required", nil)
	case len(req.Prompt) > MaxPromptBytes:
		return 0, fail(ErrInvalid, fmt.Sprintf("prompt is longer than %d bytes", MaxPromptBytes), nil)
	case len(req.Operator) > 256:
		return 0, fail(ErrInvalid, "operator is at most 256 bytes", nil)
	}
	if req.TTL == "" {
		return DefaultSessionTTL, nil
	}
	ttl, err := time.ParseDuration(req.TTL)
	if err != nil || ttl < MinSessionTTL || ttl > MaxSessionTTL {
		return 0, fail(ErrInvalid, fmt.Sprintf("ttl must be a duration between %s and %s", MinSessionTTL, MaxSessionTTL), nil)
	}
	return ttl, nil
}

func identityOf(s store.Session) audit.Identity {
	return audit.Identity{Agent: s.Agent, AgentKind: s.AgentKind, Operator: s.Operator, OperatorVerified: s.OperatorVerified,
		OperatorMethod: s.OperatorMethod, OperatorIssuer: s.OperatorIssuer}
}

func sessionView(s store.Session) api.Session {
	return api.Session{SessionID: s.ID, Agent: s.Agent, Operator: api.Operator{ID: s.Operator, Verified: s.OperatorVerified},
		Intents: s.Intents, Status: s.Status, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, Actions: s.Actions}
}

func intentNames(in []api.Intent) []string {
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = x.Name
	}
	return out
}

// maskFindings keeps where the first masked values were, for the result record.
func maskFindings(fs []mask.Finding) []audit.MaskFinding {
	if len(fs) == 0 {
		return nil
	}
	out := make([]audit.MaskFinding, 0, min(len(fs), audit.MaxMaskFindings))
	for _, f := range fs[:min(len(fs), audit.MaxMaskFindings)] {
		out = append(out, audit.MaskFinding{Detector: f.Detector, Path: f.Path, Key: f.Key, Encoding: f.Encoding})
	}
	return out
}

func counts(s mask.Summary) map[string]int {
	out := make(map[string]int, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func slug(kind error) string { return strings.ReplaceAll(kind.Error(), " ", "-") }

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns prefix_ and 128 random bits.
func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return prefix + "_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

func validID(id string) bool {
	if len(id) != 30 || !strings.HasPrefix(id, "ses_") {
		return false
	}
	for _, c := range id[4:] {
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}
