package authority

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/store"
)

// Kinds of refusal of this file. The edge maps each to 409.
var (
	// ErrReplayed: an exact copy of a signed mutating request that was already received
	// (SigV4 has no nonce; the signature is claimed once). The client must sign each attempt
	// anew; AWS SDKs do.
	ErrReplayed = errors.New("replayed request")
	// ErrIdempotencyConflict: the idempotency key was already used for a different request.
	// Use a new key for a new request.
	ErrIdempotencyConflict = errors.New("idempotency key reused")
	// ErrIdempotencyInProgress: a request with this idempotency key is still being processed
	// (or failed without an answer); retry after a short wait.
	ErrIdempotencyInProgress = errors.New("idempotent request in progress")
)

// Idempotency and replay windows.
const (
	// IdempotencyTTL is how long an idempotency key's answer is kept and replayed.
	IdempotencyTTL = 24 * time.Hour
	// IdempotencyLockTTL is how long a request holds its key while it runs; a request that
	// failed without an answer (or crashed) frees its key after this.
	IdempotencyLockTTL = 2 * time.Minute
	// MaxIdempotencyKeyBytes bounds an idempotency key.
	MaxIdempotencyKeyBytes = 255
	// signatureWindow is how long a signature is remembered: as long as it can verify (a
	// header signature up to MaxSkew ahead or behind the clock, a presigned one up to
	// MaxPresignExpiry after it was made), with a minute to spare.
	signatureWindow = 2*identity.MaxSkew + identity.MaxPresignExpiry + time.Minute
)

type onceKey struct{}

// claimSignature refuses an exact replay of a signed mutating request: the request's SigV4
// signature is claimed once, with a conditional write, for as long as it can verify. Requests
// without a signature (bearer tokens) are not checked: a bearer token is replayable by nature,
// and retries are made safe with idempotency keys. It does nothing inside actOnce, which
// claimed already. Act does not call it: an action's claim is taken in the one write that
// records its decision (replayClaim).
func (a *Authority) claimSignature(ctx context.Context, c Caller) error {
	claim := a.replayClaim(ctx, c)
	if claim == nil {
		return nil
	}
	_, err := a.store.ClaimKey(ctx, *claim)
	switch {
	case errors.Is(err, store.ErrExists):
		return a.replayed(ctx, c)
	case err != nil:
		return fail(ErrUnavailable, "the request could not be checked for replay", err)
	}
	return nil
}

// replayClaim is the claim that refuses a replay of c's signed request, or nil when there is
// nothing to claim (no signature, or inside actOnce, which claimed already).
func (a *Authority) replayClaim(ctx context.Context, c Caller) *store.Claim {
	if c.Signature == "" || ctx.Value(onceKey{}) != nil {
		return nil
	}
	sum := sha256.Sum256([]byte(c.Signature))
	return &store.Claim{Key: "sigv4#" + hex.EncodeToString(sum[:]), Digest: "replay", ExpiresAt: a.now().Add(signatureWindow)}
}

// replayed is the refusal of a signed request that was already received.
func (a *Authority) replayed(ctx context.Context, c Caller) *Error {
	a.log.WarnContext(ctx, "replayed request refused", "request_id", c.RequestID, "source", c.SourceIP)
	return fail(ErrReplayed, "this signed request was already received; sign each attempt anew: send a random X-Mandate-Nonce header inside the signature "+
		"(the Go client does; with curl --aws-sigv4 add -H \"X-Mandate-Nonce: $(openssl rand -hex 16)\"), and give retries one Idempotency-Key so the action runs once", nil)
}

// storedAnswer is what an idempotency key replays: the response, or the refusal.
type storedAnswer struct {
	Response *api.ActionResponse `json:"response,omitempty"`
	Error    *storedError        `json:"error,omitempty"`
}

type storedError struct {
	Kind    string         `json:"kind"`
	Detail  string         `json:"detail"`
	Reasons []string       `json:"reasons,omitempty"`
	Record  *api.RecordRef `json:"record,omitempty"`
}

// replayableKinds are the refusals an idempotency key answers again. ErrUnavailable and
// ErrTargetFailed are not stored: nothing (or nothing known) happened, so a retry runs again
// once the key's lock expires.
var replayableKinds = []error{ErrInvalid, ErrNonCanonical, ErrBudgetExhausted, ErrSessionNotFound, ErrSessionExpired, ErrSessionClosed, ErrKilled,
	ErrDenied, ErrUnknownTarget, ErrUnsupported, ErrForbidden, ErrApprovalNotFound, ErrApprovalPending,
	ErrApprovalInvalid, ErrApprovalDecided}

// actOnce runs Act under an idempotency key: the first request with a key runs and its answer
// is stored; the same request again (same session, same action and approval) gets the stored
// answer; a different request with the key is ErrIdempotencyConflict. Keys are scoped to the
// agent, so agents cannot collide.
func (a *Authority) actOnce(ctx context.Context, c Caller, id string, req api.ActionRequest) (api.ActionResponse, error) {
	agent, err := a.authenticate(c)
	if err != nil {
		return api.ActionResponse{}, err
	}
	refuse := func(err error) (api.ActionResponse, error) { // refusals.go: on record
		return api.ActionResponse{}, a.refuseRequest(ctx, c, agent, id, req.Action, err, nil)
	}
	key := req.IdempotencyKey
	if c.IdempotencyKey != "" {
		if key != "" && key != c.IdempotencyKey {
			return refuse(fail(ErrInvalid, "the Idempotency-Key header and idempotency_key differ", nil))
		}
		key = c.IdempotencyKey
	}
	if len(key) > MaxIdempotencyKeyBytes {
		return refuse(fail(ErrInvalid, fmt.Sprintf("the idempotency key is longer than %d bytes", MaxIdempotencyKeyBytes), nil))
	}
	if err := a.claimSignature(ctx, c); err != nil {
		return refuse(err)
	}
	ctx = context.WithValue(ctx, onceKey{}, true)
	req.IdempotencyKey = ""
	digest, err := a.idempotencyDigest(id, req)
	if err != nil {
		return refuse(fail(ErrInvalid, "the action cannot be encoded", err))
	}
	scope := sha256.Sum256([]byte(agent.ID + "\x00" + key))
	base := "idem#" + hex.EncodeToString(scope[:])
	now := a.now()

	// An answer already stored? (The probe writes an already-expired claim when there is none,
	// which any later claim replaces.)
	held, err := a.store.ClaimKey(ctx, store.Claim{Key: base + "#answer", ExpiresAt: now})
	switch {
	case errors.Is(err, store.ErrExists):
		if held.Digest != digest {
			return refuse(fail(ErrIdempotencyConflict, "this idempotency key was used for a different request", nil))
		}
		// A stored answer is not replayed past a kill switch: the agent is stopped.
		if s, err := a.store.GetSession(ctx, id); err == nil && s.Agent == agent.ID {
			if err := a.checkSessionKills(ctx, s); err != nil {
				return refuse(err)
			}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return api.ActionResponse{}, fail(ErrUnavailable, "the session could not be read", err)
		}
		return replay(held.Result)
	case err != nil:
		return api.ActionResponse{}, fail(ErrUnavailable, "the idempotency key could not be checked", err)
	}
	held, err = a.store.ClaimKey(ctx, store.Claim{Key: base + "#lock", Digest: digest, ExpiresAt: now.Add(IdempotencyLockTTL)})
	switch {
	case errors.Is(err, store.ErrExists) && held.Digest != digest:
		return refuse(fail(ErrIdempotencyConflict, "this idempotency key was used for a different request", nil))
	case errors.Is(err, store.ErrExists):
		return refuse(fail(ErrIdempotencyInProgress, "a request with this idempotency key is in progress; retry shortly", nil))
	case err != nil:
		return api.ActionResponse{}, fail(ErrUnavailable, "the idempotency key could not be claimed", err)
	}

	resp, actErr := a.Act(ctx, c, id, req)
	answer, ok := answerOf(resp, actErr)
	if !ok {
		return resp, actErr
	}
	body, err := json.Marshal(answer)
	if err == nil {
		_, err = a.store.ClaimKey(ctx, store.Claim{Key: base + "#answer", Digest: digest, Result: body, ExpiresAt: a.now().Add(IdempotencyTTL)})
	}
	if err != nil && !errors.Is(err, store.ErrExists) {
		a.log.ErrorContext(ctx, "idempotent answer not stored", "request_id", c.RequestID, "session", id, "error", err)
	}
	return resp, actErr
}

// answerOf is the storable form of Act's outcome; false for outcomes that are not replayed.
func answerOf(resp api.ActionResponse, err error) (storedAnswer, bool) {
	if err == nil {
		return storedAnswer{Response: &resp}, true
	}
	var e *Error
	if !errors.As(err, &e) {
		return storedAnswer{}, false
	}
	for _, k := range replayableKinds {
		if e.Kind == k {
			return storedAnswer{Error: &storedError{Kind: k.Error(), Detail: e.Detail, Reasons: e.Reasons, Record: e.Record}}, true
		}
	}
	return storedAnswer{}, false
}

// replay returns a stored answer.
func replay(raw []byte) (api.ActionResponse, error) {
	var s storedAnswer
	if err := json.Unmarshal(raw, &s); err != nil {
		return api.ActionResponse{}, fail(ErrUnavailable, "the stored answer could not be read", err)
	}
	if s.Response != nil {
		return *s.Response, nil
	}
	if s.Error != nil {
		for _, k := range replayableKinds {
			if k.Error() == s.Error.Kind {
				return api.ActionResponse{}, &Error{Kind: k, Detail: s.Error.Detail, Reasons: s.Error.Reasons, Record: s.Error.Record}
			}
		}
	}
	return api.ActionResponse{}, fail(ErrUnavailable, "the stored answer could not be read", errors.New("authority: unknown stored answer"))
}

// idempotencyDigest says which request an idempotency key was used for: the keyed digest of
// the session, the approval and the canonical action, so two spellings of one action are
// one request. An action with no canonical form (it will be refused) is digested as written.
func (a *Authority) idempotencyDigest(session string, req api.ActionRequest) (string, error) {
	body, err := json.Marshal(req.Action)
	if c, perr := action.Parse(req.Action); perr == nil {
		body, err = c.Canonical()
	}
	if err != nil {
		return "", err
	}
	return action.Keyed(a.digestKey, domainIdem+":"+session+":"+req.ApprovalID, body), nil
}
