package revoke

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DocumentQuota is the most characters a revocation document may have: a customer-managed
// policy (which the revocation policy is) holds at most 6,144. A kill that would grow the
// document past it is refused with ErrFull, so a write never fails on IAM's quota.
const DocumentQuota = 6144

// Statement ids. The Sid of a deny is sidDeny, the scope's name and the Unix second its window
// starts, so each (scope, window) has one statement; Sids are alphanumeric, as IAM requires.
const (
	// sidPass allows everything: the revocation policy is the target role's permissions
	// boundary, which only limits what the role's own policies grant.
	sidPass = "MandateTargetPermissions"
	sidDeny = "MandateRevoke"
)

// ErrFull: the role's revocation document cannot hold another killed subject. The kill is
// still in force in Mandate (no new credential is minted for the subject), but credentials
// minted for it before the kill keep working on this role until they expire: report the
// revocation as degraded.
var ErrFull = errors.New("revoke: the role's revocation document is full")

// ErrForeign: the revocation policy holds a statement this package did not write. Nothing is
// written over it; an administrator must restore the policy (NewTargetRole's document).
var ErrForeign = errors.New("revoke: the revocation policy holds a statement Mandate did not write")

// conditionKey is the condition key each scope's subjects are matched by.
var conditionKey = map[string]string{
	ScopeAgent:    "aws:PrincipalTag/" + TagAgent,
	ScopeSession:  "aws:PrincipalTag/" + TagSession,
	ScopeOperator: "aws:SourceIdentity",
}

// scopeOrder orders the statements of a rendered document.
var scopeOrder = map[string]int{ScopeGlobal: 0, ScopeAgent: 1, ScopeOperator: 2, ScopeSession: 3}

// sidScope spells each scope in a Sid.
var sidScope = map[string]string{ScopeGlobal: "Global", ScopeAgent: "Agent", ScopeOperator: "Operator", ScopeSession: "Session"}

// Document is the revocation policy of one target role, compact by construction: one deny
// statement per scope and window (a window is as long as the longest credential lifetime),
// listing every subject of that scope killed in the window, and refusing credentials issued
// before the latest of those kills. So a role's document has at most two statements per
// scope in force, whatever the number of kills, and grows only by the subjects' values.
//
// The price is bounded over-revocation: a subject killed and lifted early in a window has
// its credentials issued before the window's latest kill refused too, at most one window
// (the credential lifetime) after its own kill. Mandate's broker mints a fresh credential on
// the next action, so such a refusal costs one retry, never a kill's escape.
type Document struct {
	window time.Duration
	st     map[docKey]*docStatement
}

type docKey struct {
	scope string
	start int64 // Unix second the window starts
}

type docStatement struct {
	at     time.Time // credentials issued before it are refused
	values map[string]struct{}
}

// NewDocument returns an empty revocation document whose windows are window long (the
// longest credential lifetime of the role).
func NewDocument(window time.Duration) *Document {
	if window <= 0 {
		window = time.Hour
	}
	return &Document{window: window, st: map[docKey]*docStatement{}}
}

// EmptyDocument is the revocation policy a target role starts with: everything passes.
func EmptyDocument() []byte { return NewDocument(time.Hour).Render() }

// Add puts kill k in the document; a subject already listed in k's window keeps the later
// time. It returns ErrFull, and leaves the document as it was, when the rendered document
// would pass DocumentQuota.
func (d *Document) Add(k Kill) error {
	if err := k.valid(); err != nil {
		return err
	}
	at := ceilSecond(k.At)
	key := docKey{k.Scope, at.Truncate(d.window).Unix()}
	prev, had := d.st[key]
	next := &docStatement{at: at, values: map[string]struct{}{}}
	if had {
		next.at = later(prev.at, at)
		for v := range prev.values {
			next.values[v] = struct{}{}
		}
	}
	if k.Scope != ScopeGlobal {
		next.values[k.Value] = struct{}{}
	}
	d.st[key] = next
	if len(d.Render()) > DocumentQuota {
		if had {
			d.st[key] = prev
		} else {
			delete(d.st, key)
		}
		return ErrFull
	}
	return nil
}

// Covers reports whether the document refuses every credential k refuses: one whose
// subject k names, issued before k's time.
func (d *Document) Covers(k Kill) bool {
	at := ceilSecond(k.At)
	s, ok := d.st[docKey{k.Scope, at.Truncate(d.window).Unix()}]
	if !ok || s.at.Before(at) {
		return false
	}
	if k.Scope == ScopeGlobal {
		return true
	}
	_, ok = s.values[k.Value]
	return ok
}

// Merge adds every kill of o to d (windows of o are taken as they are).
func (d *Document) Merge(o *Document) {
	for key, s := range o.st {
		cur, ok := d.st[key]
		if !ok {
			cur = &docStatement{at: s.at, values: map[string]struct{}{}}
			d.st[key] = cur
		}
		cur.at = later(cur.at, s.at)
		for v := range s.values {
			cur.values[v] = struct{}{}
		}
	}
}

// Sweep removes the statements whose latest kill is at least a window before now: every
// credential they refuse was issued before that kill and has expired. It returns how many it
// removed.
func (d *Document) Sweep(now time.Time) int {
	n := 0
	for key, s := range d.st {
		if !now.Before(s.at.Add(d.window)) {
			delete(d.st, key)
			n++
		}
	}
	return n
}

// Equal reports whether d and o refuse the same credentials.
func (d *Document) Equal(o *Document) bool { return string(d.Render()) == string(o.Render()) }

// Refuses reports whether the document refuses a credential with the given session tags
// (agent, session), SourceIdentity (operator) and issue time, as IAM evaluates it.
func (d *Document) Refuses(agent, session, operator string, issued time.Time) bool {
	subject := map[string]string{ScopeAgent: agent, ScopeSession: session, ScopeOperator: operator}
	for key, s := range d.st {
		if !issued.Before(s.at) {
			continue
		}
		if key.scope == ScopeGlobal {
			return true
		}
		if _, ok := s.values[subject[key.scope]]; ok && subject[key.scope] != "" {
			return true
		}
	}
	return false
}

// policyJSON and statementJSON fix the rendered field order. The rendering must stay
// deterministic: an unchanged document is never written again.
type policyJSON struct {
	Version   string
	Statement []statementJSON
}

type statementJSON struct {
	Sid       string
	Effect    string
	Action    string
	Resource  string
	Condition map[string]map[string]any `json:",omitempty"`
}

// Render returns the policy document: the pass-through Allow, then one deny per scope and
// window, in a fixed order, with sorted values, and no whitespace.
func (d *Document) Render() []byte {
	p := policyJSON{Version: "2012-10-17", Statement: []statementJSON{{Sid: sidPass, Effect: "Allow", Action: "*", Resource: "*"}}}
	keys := make([]docKey, 0, len(d.st))
	for k := range d.st {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b docKey) int {
		return cmp.Or(cmp.Compare(scopeOrder[a.scope], scopeOrder[b.scope]), cmp.Compare(a.start, b.start))
	})
	for _, k := range keys {
		s := d.st[k]
		cond := map[string]map[string]any{"DateLessThan": {"aws:TokenIssueTime": s.at.UTC().Format(time.RFC3339)}}
		if k.scope != ScopeGlobal {
			values := make([]string, 0, len(s.values))
			for v := range s.values {
				values = append(values, v)
			}
			slices.Sort(values)
			cond["StringEquals"] = map[string]any{conditionKey[k.scope]: values}
		}
		p.Statement = append(p.Statement, statementJSON{
			Sid: sidDeny + sidScope[k.scope] + strconv.FormatInt(k.start, 10), Effect: "Deny", Action: "*", Resource: "*", Condition: cond,
		})
	}
	out, err := json.Marshal(p)
	if err != nil {
		panic("revoke: render: " + err.Error()) // strings and maps of strings always marshal
	}
	return out
}

// ParseDocument reads a revocation document as Render wrote it (IAM returns it
// URL-encoded). A statement Render would not have written is ErrForeign.
func ParseDocument(raw string, window time.Duration) (*Document, error) {
	if strings.HasPrefix(raw, "%7B") || strings.HasPrefix(raw, "%7b") {
		dec, err := url.QueryUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: not URL-encoded JSON", ErrForeign)
		}
		raw = dec
	}
	var p struct {
		Version   string
		Statement []struct {
			Sid, Effect, Action, Resource string
			Condition                     map[string]map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForeign, err)
	}
	if p.Version != "2012-10-17" || len(p.Statement) == 0 {
		return nil, fmt.Errorf("%w: no statements of version 2012-10-17", ErrForeign)
	}
	d := NewDocument(window)
	for i, s := range p.Statement {
		if s.Action != "*" || s.Resource != "*" {
			return nil, fmt.Errorf("%w: statement %d", ErrForeign, i)
		}
		if i == 0 {
			if s.Sid != sidPass || s.Effect != "Allow" || s.Condition != nil {
				return nil, fmt.Errorf("%w: the first statement is not %s", ErrForeign, sidPass)
			}
			continue
		}
		scope, start, ok := parseSid(s.Sid)
		if !ok || s.Effect != "Deny" {
			return nil, fmt.Errorf("%w: statement %d (%q)", ErrForeign, i, s.Sid)
		}
		var at string
		if json.Unmarshal(s.Condition["DateLessThan"]["aws:TokenIssueTime"], &at) != nil {
			return nil, fmt.Errorf("%w: statement %d has no issue time", ErrForeign, i)
		}
		t, err := time.Parse(time.RFC3339, at)
		if err != nil || t.Truncate(d.window).Unix() != start || !t.Equal(t.Truncate(time.Second)) {
			return nil, fmt.Errorf("%w: statement %d has the issue time %q", ErrForeign, i, at)
		}
		st := &docStatement{at: t.UTC(), values: map[string]struct{}{}}
		want := 1
		if scope != ScopeGlobal {
			want = 2
			var values []string
			if json.Unmarshal(s.Condition["StringEquals"][conditionKey[scope]], &values) != nil || len(values) == 0 || len(s.Condition["StringEquals"]) != 1 {
				return nil, fmt.Errorf("%w: statement %d lists no %s", ErrForeign, i, scope)
			}
			for _, v := range values {
				if v == "" {
					return nil, fmt.Errorf("%w: statement %d lists an empty %s", ErrForeign, i, scope)
				}
				st.values[v] = struct{}{}
			}
		}
		if len(s.Condition) != want || len(s.Condition["DateLessThan"]) != 1 {
			return nil, fmt.Errorf("%w: statement %d has other conditions", ErrForeign, i)
		}
		key := docKey{scope, start}
		if _, dup := d.st[key]; dup {
			return nil, fmt.Errorf("%w: statement %d repeats %q", ErrForeign, i, s.Sid)
		}
		d.st[key] = st
	}
	return d, nil
}

// parseSid reads the scope and window start of a deny's Sid.
func parseSid(sid string) (string, int64, bool) {
	rest, ok := strings.CutPrefix(sid, sidDeny)
	if !ok {
		return "", 0, false
	}
	for scope, word := range sidScope {
		if num, ok := strings.CutPrefix(rest, word); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil || strconv.FormatInt(n, 10) != num {
				return "", 0, false
			}
			return scope, n, true
		}
	}
	return "", 0, false
}

// valid checks a kill before it enters a document.
func (k Kill) valid() error {
	if _, ok := scopeOrder[k.Scope]; !ok {
		return fmt.Errorf("revoke: unknown scope %q", k.Scope)
	}
	if k.Scope != ScopeGlobal && k.Value == "" {
		return fmt.Errorf("revoke: a %s kill needs the value its credentials carry", k.Scope)
	}
	if k.Scope == ScopeGlobal && k.Value != "" {
		return errors.New("revoke: a global kill has no value")
	}
	if k.At.IsZero() {
		return errors.New("revoke: the kill's time is required")
	}
	return nil
}

// ceilSecond rounds t up to a whole second: aws:TokenIssueTime has whole seconds, and a
// deny that ended before the kill would let a credential issued just before it through.
func ceilSecond(t time.Time) time.Time {
	t = t.UTC()
	if s := t.Truncate(time.Second); !s.Equal(t) {
		return s.Add(time.Second)
	}
	return t
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
