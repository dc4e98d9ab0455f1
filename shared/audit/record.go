package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/mandate-dev/mandate/shared/api"
)

// Version is the record schema version written by this package.
const Version = 1

// Record types.
const (
	TypeSessionOpen  = "session.open"
	TypeSessionClose = "session.close"
	TypeDecision     = "decision"
	TypeResult       = "result"
	// TypeSessionRefuse is a session open that was refused; it is recorded in the agent's
	// chain (AgentChain), since no session exists.
	TypeSessionRefuse = "session.refuse"
)

// AgentChain is the chain of an agent's refusals that have no session: "agent." and 32 hex
// digits of the SHA-256 of the agent's id.
func AgentChain(agent string) string {
	sum := sha256.Sum256([]byte(agent))
	return "agent." + hex.EncodeToString(sum[:16])
}

// Record is one link of a session's chain.
type Record struct {
	Version   int       `json:"v"`
	Session   string    `json:"session"`
	Seq       uint64    `json:"seq"`
	PrevHash  string    `json:"prev_hash"`
	Type      string    `json:"type"`
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id,omitempty"`

	Identity Identity `json:"identity"`
	// Client is where the request that made the record came from; absent in records
	// written before it existed and in records no request made.
	Client   *Client      `json:"client,omitempty"`
	Prompt   *Prompt      `json:"prompt,omitempty"`
	Intents  []api.Intent `json:"intents,omitempty"`
	Action   *Action      `json:"action,omitempty"`
	Verdict  *Verdict     `json:"verdict,omitempty"`
	Result   *Result      `json:"result,omitempty"`
	Approval *Approval    `json:"approval,omitempty"`
	Admin    *Admin       `json:"admin,omitempty"`
	Kill     *Kill        `json:"kill,omitempty"`

	// Hash is the record's own hash; it is not part of what is hashed.
	Hash string `json:"hash,omitempty"`
}

// Client is the network origin of the request behind a record, as API Gateway (or the local
// gateway) saw it.
type Client struct {
	SourceIP  string `json:"source_ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

type clientKey struct{}

// WithClient returns ctx carrying the client of the request being served: every record
// appended under it names it (Chain.Append).
func WithClient(ctx context.Context, c Client) context.Context {
	if c == (Client{}) {
		return ctx
	}
	return context.WithValue(ctx, clientKey{}, c)
}

// Identity is the blended identity behind a record.
type Identity struct {
	Agent            string `json:"agent"`
	AgentKind        string `json:"agent_kind"`
	Operator         string `json:"operator"`
	OperatorVerified bool   `json:"operator_verified"`
	// OperatorMethod and OperatorIssuer say how the operator was established (asserted,
	// delegation, id-token) and by which issuer; empty in records written before they existed.
	OperatorMethod string `json:"operator_method,omitempty"`
	OperatorIssuer string `json:"operator_issuer,omitempty"`
}

// Prompt is the originating prompt, masked, with a keyed digest of the original.
type Prompt struct {
	// HMAC is hex(HMAC-SHA256) of the original prompt under the deployment key (see
	// shared/action.Keyed, domain "prompt"): it proves which prompt it was to whoever holds
	// the prompt and the key, and lets nobody else test guesses of what the mask hides.
	// Empty when the deployment has no key.
	HMAC   string `json:"hmac,omitempty"`
	Masked string `json:"masked"`
	// SHA256 is the bare hash that records written before HMAC existed carry; never written now.
	SHA256  string         `json:"sha256,omitempty"`
	Purpose string         `json:"purpose,omitempty"`
	Masking map[string]int `json:"masking,omitempty"`
	// PurposeFlag is set when the declared purpose contradicts the prompt.
	PurposeFlag *api.PurposeFlag `json:"purpose_flag,omitempty"`
	// Model is the model-backed classifier's verdict, when one is configured.
	Model *Model `json:"model,omitempty"`
}

// Action describes what was asked, in its canonical form (shared/action), masked: the
// resource, query and statement pass through the masking engine before they are recorded,
// and the body and parameters are represented only by the digest.
type Action struct {
	Kind     string `json:"kind"`
	Target   string `json:"target"`
	Name     string `json:"name"` // the policy action, e.g. http:GET
	Resource string `json:"resource"`
	// Query is an http action's canonical query ("a=1&b=2", values masked); empty if none.
	Query string `json:"query,omitempty"`
	// Statement is a sql action's statement, masked.
	Statement string `json:"statement,omitempty"`
	// Digest is the keyed digest (HMAC-SHA256 under the deployment key) of the canonical
	// action before masking, so equal actions correlate and nobody can test a guess.
	Digest string `json:"digest"`
}

// Verdict is the policy decision.
type Verdict struct {
	Decision      string   `json:"decision"`
	Reasons       []string `json:"reasons"`
	PolicyVersion int64    `json:"policy_version"`
	Errors        []string `json:"errors,omitempty"`
	// ApprovalID is the approval this decision requested or consumed.
	ApprovalID string `json:"approval_id,omitempty"`
	// Shadow holds the verdicts of log-only policy sets, recorded beside the enforced one.
	Shadow []Shadow `json:"shadow,omitempty"`
}

// Result is what came of an executed (or failed) action.
type Result struct {
	DecisionSeq uint64 `json:"decision_seq"`
	Status      int    `json:"status"`
	Outcome     string `json:"outcome"` // ok, target-error, failed, rolled-back ...
	// Reason says why the outcome is not "ok" when the executor said why (a write rolled back
	// because it changed a table its statement does not name).
	Reason         string         `json:"reason,omitempty"`
	ResponseSHA256 string         `json:"response_sha256,omitempty"`
	ResponseBytes  int            `json:"response_bytes"`
	Truncated      bool           `json:"truncated,omitempty"`
	Masking        map[string]int `json:"masking"`
	// MaskFindings says where the first masked values were (at most MaxMaskFindings):
	// detector, path and encodings, never a value.
	MaskFindings []MaskFinding `json:"mask_findings,omitempty"`
	DurationMS   int64         `json:"duration_ms"`
	Credential   string        `json:"credential,omitempty"` // what was minted, never its value
}

// MaskFinding is where one masked value of a response was (shared/mask.Finding): the
// detector, the path (a JSON pointer, "row 2 column 3", an XML path, "line 4 column 9"),
// whether it was in a JSON key, and the encodings it was found under. Never the value.
type MaskFinding struct {
	Detector string `json:"detector"`
	Encoding string `json:"encoding,omitempty"`
	Key      bool   `json:"key,omitempty"`
	Path     string `json:"path"`
}

// MaxMaskFindings is how many findings a result record keeps; Masking counts them all.
const MaxMaskFindings = 32

// leafPrefix is the RFC 6962 leaf domain separator.
const leafPrefix = 0x00

// Canonical returns the RFC 8785 encoding of r without its hash. It must never change.
func Canonical(r Record) ([]byte, error) {
	b, _, err := encodeRecord(nil, &r)
	if errors.Is(err, errNotExact) {
		return canonicalReference(r)
	}
	return b, err
}

// canonicalReference is the encoding by definition: r without its hash through encoding/json
// and then RFC 8785 (github.com/gowebpki/jcs). The fast encoder (canonical.go) writes the
// same bytes; this path encodes the records it declines.
func canonicalReference(r Record) ([]byte, error) {
	r.Hash = ""
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("audit: encode record: %w", err)
	}
	out, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("audit: canonicalise record: %w", err)
	}
	return out, nil
}

// LeafHash returns hex(SHA-256(0x00 || canonical)).
func LeafHash(canonical []byte) string {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// hashMember is the length of `"hash":"<64 hex>",`.
const hashMember = len(`"hash":"",`) + 2*sha256.Size

// Seal fills r.Hash and returns the bytes that are stored: the canonical encoding with the
// hash included.
func Seal(r *Record) ([]byte, error) {
	buf := scratch.Get().(*[]byte)
	defer scratch.Put(buf)
	// The leaf prefix and the encoding without hash, in one buffer: one SHA-256 call.
	leaf, at, err := encodeRecord(append((*buf)[:0], leafPrefix), r)
	if errors.Is(err, errNotExact) {
		return sealReference(r)
	}
	if err != nil {
		return nil, err
	}
	if cap(leaf) <= 64<<10 {
		*buf = leaf
	}
	sum := sha256.Sum256(leaf)
	c := leaf[1:]
	at-- // an offset into c
	out := make([]byte, 0, len(c)+hashMember)
	out = append(out, c[:at]...)
	out = append(out, `"hash":"`...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, '"', ',')
	out = append(out, c[at:]...)
	r.Hash = string(out[at+len(`"hash":"`) : at+len(`"hash":"`)+2*sha256.Size])
	return out, nil
}

// sealReference is Seal over the reference encoding.
func sealReference(r *Record) ([]byte, error) {
	c, err := canonicalReference(*r)
	if err != nil {
		return nil, err
	}
	r.Hash = LeafHash(c)
	return withHash(c, r.Hash), nil
}

// Digest returns hex(SHA-256(canonical JSON of v)): the digest of an action or response.
func Digest(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit: digest: %w", err)
	}
	c, err := jcs.Transform(raw)
	if err != nil {
		return "", fmt.Errorf("audit: digest: %w", err)
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}
