package store

import (
	"context"
	"errors"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
)

var (
	// ErrNotFound means the item does not exist. Callers map it to 404 or treat it as absent.
	ErrNotFound = errors.New("store: not found")
	// ErrExists means a create-once write lost: the key (a sequence number, a version, an
	// idempotency key, an id) is already taken. Callers re-read and decide.
	ErrExists = errors.New("store: already exists")
	// ErrConflict means a conditional update did not hold (stale version, approval not in the
	// expected state). Callers re-read and retry, or refuse.
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable means the store is throttled or unreachable after retries. Callers fail
	// closed and answer 503 with Retry-After.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrTooLarge means an item exceeds the store's item size limit; nothing was written.
	ErrTooLarge = errors.New("store: item too large")
	// ErrClaimed means a Commit's claim is already held and unexpired: the request was
	// already received. Nothing was written; callers refuse the request as a replay.
	ErrClaimed = errors.New("store: already claimed")
)

// MaxItemBytes is the largest item any implementation accepts (DynamoDB's limit is 400 KB
// including attribute names; this leaves room for them).
const MaxItemBytes = 390 * 1024

// Store is everything Mandate persists.
type Store interface {
	Sessions
	Controls
	Approvals
	Documents
	Claims
	Audit
	Decisions
	Close() error
}

// Decision is what deciding one action makes durable, in one write: the request's replay
// claim, the session's counters as the decision saw them, and the decision record.
type Decision struct {
	// Claim, when set, is taken once as ClaimKey would take it; ErrClaimed if it is held
	// and unexpired.
	Claim *Claim
	// Counted, when set, is the session as the decision counted it: its Actions and
	// ByFamily are stored, with Version+1, if the stored Version still equals
	// Counted.Version (no other action counted in between); ErrConflict if it does not,
	// ErrNotFound if there is no session. Nothing else of the session is written.
	Counted *Session
	// Record is appended as AppendRecord appends it; ErrExists if its Seq is taken.
	Record Record
}

// Decisions commits decisions.
type Decisions interface {
	// Commit writes d's claim, counters and record together or not at all, durably, in one
	// transaction. When several conditions fail, the error names one of them.
	Commit(ctx context.Context, d Decision) error
}

// Session status values.
const (
	SessionOpen   = "open"
	SessionClosed = "closed"
)

// Session is an agent's session for one operator and one originating prompt.
type Session struct {
	ID               string
	Agent            string // the agent's identity (an ARN or issuer#subject)
	AgentKind        string // how the agent was authenticated: iam, oidc
	Operator         string
	OperatorVerified bool
	// OperatorMethod says how the operator was established: "asserted" (named by the agent),
	// "delegation" (an RFC 8693 token) or "id-token"; OperatorIssuer is the token's issuer.
	OperatorMethod string
	OperatorIssuer string
	PromptMasked   string // the prompt with sensitive values masked
	PromptHash     string // hex SHA-256 of the original prompt
	Purpose        string
	PurposeFlag    *api.PurposeFlag // set when the purpose contradicts the prompt
	Intents        []api.Intent
	Status         string
	CreatedAt      time.Time
	ExpiresAt      time.Time // hard expiry, checked in code on every request
	Actions        int       // actions decided in this session
	ByFamily       map[string]int
	// Version is the optimistic-concurrency counter: CreateSession stores it as given,
	// UpdateSession requires the stored version to equal it and stores Version+1.
	Version int64
}

// Sessions stores sessions by id.
type Sessions interface {
	// CreateSession stores a new session; ErrExists if the id is taken.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session; ErrNotFound if there is none.
	GetSession(ctx context.Context, id string) (Session, error)
	// UpdateSession replaces the session if the stored Version equals s.Version, storing
	// s.Version+1; ErrConflict if it does not, ErrNotFound if there is no session.
	UpdateSession(ctx context.Context, s Session) error
}

// Kill switch scopes.
const (
	ScopeGlobal   = "global"
	ScopeAgent    = "agent"
	ScopeOperator = "operator"
	ScopeSession  = "session"
)

// GlobalID is the id of the one global control.
const GlobalID = "*"

// ControlKey names a kill switch: a scope and an id within it.
type ControlKey struct {
	Scope string
	ID    string
}

// Control is an active kill switch.
type Control struct {
	Scope     string
	ID        string
	Reason    string
	By        string
	CreatedAt time.Time
}

// Controls stores kill switches keyed by scope#id.
type Controls interface {
	// PutControl creates or replaces a kill switch.
	PutControl(ctx context.Context, c Control) error
	// DeleteControl lifts a kill switch; ErrNotFound if none was set.
	DeleteControl(ctx context.Context, scope, id string) error
	// FindControls returns those of keys that are set, with strongly consistent reads.
	FindControls(ctx context.Context, keys []ControlKey) ([]Control, error)
	// ListControls returns every set kill switch.
	ListControls(ctx context.Context) ([]Control, error)
}

// Approval status values.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalDenied   = "denied"
	ApprovalConsumed = "consumed"
)

// Approval is a pending or decided request for a human to approve one exact action.
type Approval struct {
	ID        string
	SessionID string
	Digest    string // digest of (session, kind, target, resource, canonical parameters)
	Status    string
	Agent     string
	Operator  string
	Action    []byte // the action as canonical JSON, for the approver to read
	Reasons   []string
	DecidedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	DecidedAt time.Time
}

// Approvals stores approvals by id.
type Approvals interface {
	// CreateApproval stores a new approval; ErrExists if the id is taken.
	CreateApproval(ctx context.Context, a Approval) error
	// GetApproval returns the approval; ErrNotFound if there is none.
	GetApproval(ctx context.Context, id string) (Approval, error)
	// ListApprovals returns approvals with the given status ("" for all).
	ListApprovals(ctx context.Context, status string) ([]Approval, error)
	// DecideApproval moves a pending approval to approved or denied, recording who and when.
	// a is the approval as the decider read and checked it: the decision binds its digest,
	// expiry and session, whatever the stored request says by then. ErrConflict if it is not
	// pending (or no longer the one read), ErrNotFound if there is none.
	DecideApproval(ctx context.Context, a Approval, status, by string, at time.Time) error
	// ConsumeApproval moves an approved approval whose digest equals digest and whose expiry
	// is after now to consumed, once; ErrConflict otherwise, ErrNotFound if there is none.
	ConsumeApproval(ctx context.Context, id, digest string, now time.Time) error
}

// Document kinds.
const (
	KindPolicies = "policies"
	KindIntents  = "intents"
	KindTargets  = "targets"
)

// Document is one immutable version of a named policy set, intent catalog or target
// registry.
type Document struct {
	Kind      string
	Name      string
	Version   int64 // from 1, increasing
	Body      []byte
	CreatedBy string
	CreatedAt time.Time
}

// Documents stores versioned documents by kind, name and version.
type Documents interface {
	// PutDocument stores a new version; ErrExists if that version is taken (a version is
	// never overwritten).
	PutDocument(ctx context.Context, d Document) error
	// GetDocument returns one version; ErrNotFound if there is none.
	GetDocument(ctx context.Context, kind, name string, version int64) (Document, error)
	// LatestDocument returns the highest version; ErrNotFound if there is none.
	LatestDocument(ctx context.Context, kind, name string) (Document, error)
}

// Claim is an idempotency key or replay nonce taken once.
type Claim struct {
	Key       string
	Digest    string // what the key was claimed for; a different digest under one key is a conflict
	Result    []byte // an optional stored response for replaying the same request
	ExpiresAt time.Time
}

// Claims stores idempotency claims.
type Claims interface {
	// ClaimKey takes c.Key once. If the key is already held and unexpired it returns the
	// existing claim and ErrExists; an expired claim is replaced.
	ClaimKey(ctx context.Context, c Claim) (Claim, error)
	// HeldClaim returns the claim under key while it is held (unexpired), ErrNotFound
	// otherwise. It writes nothing.
	HeldClaim(ctx context.Context, key string) (Claim, error)
}

// Record is one stored audit record. Body is the record's canonical JSON, which already
// contains the other fields; they are kept beside it as keys and for conditions.
type Record struct {
	SessionID string
	Seq       uint64 // from 1, without gaps
	Hash      string // hex
	PrevHash  string // hex; empty for Seq 1
	Body      []byte
}

// Audit stores each session's hash chain keyed by (session id, sequence).
type Audit interface {
	// AppendRecord stores r; ErrExists if r.Seq is taken in that session. Appending the exact
	// same record twice is success (an idempotent retry), not ErrExists.
	AppendRecord(ctx context.Context, r Record) error
	// LastRecord returns the record with the highest sequence; ErrNotFound for an empty chain.
	LastRecord(ctx context.Context, sessionID string) (Record, error)
	// Records returns up to limit records with Seq >= fromSeq in order (limit <= 0: all).
	Records(ctx context.Context, sessionID string, fromSeq uint64, limit int) ([]Record, error)
	// Chains returns the ids of every session that has at least one record, sorted.
	Chains(ctx context.Context) ([]string, error)
}

// DeferredAudit is an Audit that can store a record without the caller waiting for it to be
// durable: the record rides the store's next commit. Writes made after the call commit after
// the record or with it, never before it, and a record whose PrevHash is not the hash of the
// record before it is refused with ErrExists, so nothing built on a lost deferred record is
// stored. A crash may lose the record (and what was queued after it); the chain then ends
// before it.
type DeferredAudit interface {
	// AppendRecordLater queues r and returns; done gets the outcome of its write. It returns
	// an error, and never calls done, for a record it refuses at once.
	AppendRecordLater(r Record, done func(error)) error
}
