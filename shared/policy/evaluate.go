package policy

import (
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cedar-policy/cedar-go"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"

	"github.com/mandate-dev/mandate/shared/api"
)

// ReasonDefaultDeny is the reason of a deny that no policy decided: no permit matched and no
// forbid matched. It is reserved: no policy may use it as its @id.
const ReasonDefaultDeny = "default-deny"

// Verdicts, as api spells them.
const (
	verdictAllow    = api.VerdictAllow
	verdictDeny     = api.VerdictDeny
	verdictApproval = api.VerdictApproval
)

// Request is one action to decide, with the context policy may look at.
type Request struct {
	// Agent is the authenticated workload identity; the Cedar principal Agent::"<Agent>".
	Agent string
	// AgentKind says how the agent was authenticated ("sigv4", "iam", "oidc", ...).
	AgentKind string
	// Operator is the human behind the agent and OperatorVerified whether that was proven.
	Operator         string
	OperatorVerified bool
	// OperatorPerson is the person the operator is in the directory of people (shared/person);
	// "" when nobody (context.operator.known is false).
	OperatorPerson string
	// Action is "<service>:<operation>": "http:GET", "sql:SELECT", "dynamodb:GetItem".
	Action string
	// Target names the registry entry acted on and TargetKind its kind (http, sql, aws);
	// Resource is the path, table or ARN within it.
	Target     string
	TargetKind string
	Resource   string
	// Intents are the session's classified intents, as the classifier returned them.
	Intents []api.Intent
	// SessionAgeSeconds is the age of the session, SessionActions the number of actions it
	// has been asked for, this one included (counted atomically before it is decided, so
	// parallel requests never decide on the same count).
	SessionAgeSeconds int64
	SessionActions    int
	// SessionByFamily counts the session's actions, this one included, by action family
	// (FamilyRead, FamilyWrite, FamilyDelete); other keys are ignored.
	SessionByFamily map[string]int
	// Now is the time of the decision; the zero value means time.Now().
	Now time.Time
	// SQL is the parsed statement of a sql action (context.sql); nil for other kinds.
	SQL *SQL
	// HTTP is the canonical path and query of an http action (context.http); nil for other kinds.
	HTTP *HTTP
}

// Decision is the outcome of Evaluate.
type Decision struct {
	// Verdict is api.VerdictAllow, api.VerdictDeny or api.VerdictApproval (an allow decided
	// by a permit carrying @approval: a human must approve this exact action first).
	Verdict string
	// Reasons are the ids of the policies that decided, in document order: the permits that
	// allowed, or the forbids that denied; [ReasonDefaultDeny] when nothing matched.
	Reasons []string
	// Errors are evaluation diagnostics ("<id> at <file>:<line>:<col>: <message>"). A
	// policy whose evaluation fails is skipped, as Cedar specifies.
	Errors []string
	// ErrorPolicies are the ids of the policies whose evaluation failed, in the order of
	// Errors.
	ErrorPolicies []string

	// Approval is the @approval text of the deciding permits when Verdict is approval, and
	// SelfApproval whether they let the session's own operator approve (@self_approval).
	Approval     string
	SelfApproval bool
	// Mask is the masking profile the deciding permits name (@mask), "" for the target's.
	Mask string
	// MaxTTL is the shortest credential lifetime the deciding permits allow (@max_ttl), 0
	// for the broker's default.
	MaxTTL time.Duration
}

// Evaluate decides r. It never panics: a nil Set, or a failure inside the engine, is a deny
// with a diagnostic in Errors.
func (s *Set) Evaluate(r Request) (d Decision) {
	defer func() {
		if v := recover(); v != nil {
			d = failed(v)
		}
	}()
	if s == nil {
		return Decision{Verdict: api.VerdictDeny, Reasons: []string{ReasonDefaultDeny}, Errors: []string{"no policy set is loaded"}}
	}
	if r.Now.IsZero() {
		r.Now = time.Now() // one clock for the guards and the context
	}
	b, parents := s.bucket(r.Action)
	buf := entryLists.Get().(*[]*entry)
	defer func() {
		clear(*buf)
		entryLists.Put(buf)
	}()
	f := s.factsOf(&r)
	list := b.requestCandidates(&f).collect((*buf)[:0])
	*buf = list
	// Only what cedar-go evaluates reads the context, and only what it reads is built: an
	// attribute no candidate reads cannot change their decision. Policies certain to match
	// cannot change what cedar-go says of the others; decideCertain merges them into its
	// decision. When every candidate is certain, or there is none, cedar-go has nothing to
	// decide and no request is built.
	var used uint16
	var sub uint8
	certain, uncertain := false, false
	for _, e := range list {
		if e.certain {
			certain = true
			continue
		}
		uncertain = true
		used, sub = used|e.ctx, sub|e.sub
	}
	switch {
	case !uncertain && !certain:
		d = Decision{Verdict: verdictDeny, Reasons: []string{ReasonDefaultDeny}}
	case !uncertain:
		d = s.decideCertain(list, cedar.Request{}, nil)
	default:
		req, ents := cedarRequest(r, &s.cache, used, sub)
		ents.actionParents = parents
		if certain {
			d = s.decideCertain(list, req, ents)
		} else {
			d = decide(entryList{list: list}, req, ents)
		}
	}
	s.qualify(&d)
	return d
}

// entryLists are the scratch lists of candidates Evaluate collects.
var entryLists = sync.Pool{New: func() any { return new([]*entry) }}

// entryList hands cedar-go the policies of a list of candidates as Evaluate runs them
// (entry.evaluator), less those certain to match when uncertain is set.
type entryList struct {
	list      []*entry
	uncertain bool
}

// All implements cedar.PolicyIterator.
func (l entryList) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, e := range l.list {
			if l.uncertain && e.certain {
				continue
			}
			if !yield(e.id, e.evaluator()) {
				return
			}
		}
	}
}

// decide runs cedar-go over policies. Evaluate hands it the candidates of the request; the
// property tests hand it every policy, and the two MUST agree.
func decide(policies cedar.PolicyIterator, req cedar.Request, ents *entities) (d Decision) {
	defer func() {
		if v := recover(); v != nil {
			d = failed(v)
		}
	}()
	dec, diag := cedar.Authorize(policies, ents, req)
	return fromDiagnostic(dec, diag)
}

// decideCertain is decide for candidates some of which are certain to match: cedar-go
// decides the others, and the decision is what it would be over all of them. A forbid that
// matches denies, and the reasons are every matching forbid; else a permit that matches
// allows, and the reasons are every matching permit; cedar-go's reasons say which of the
// two its own policies gave (forbids when it denies with reasons, permits when it allows).
// Certain policies report no error. With ents nil every candidate is certain: cedar-go is
// not asked, as it would deny with no reason over no policy.
func (s *Set) decideCertain(list []*entry, req cedar.Request, ents *entities) (d Decision) {
	defer func() {
		if v := recover(); v != nil {
			d = failed(v)
		}
	}()
	dec, diag := cedar.Deny, cedar.Diagnostic{}
	if ents != nil {
		dec, diag = cedar.Authorize(entryList{list: list, uncertain: true}, ents, req)
	}
	d = fromDiagnostic(dec, diag)
	s.certainErrors(list, &d)
	cedarForbids := dec == cedar.Deny && len(diag.Reasons) > 0
	forbids, permits := 0, 0
	for _, e := range list {
		switch {
		case !e.certain || e.errText != "":
		case e.ast.Effect == xast.EffectForbid:
			forbids++
		default:
			permits++
		}
	}
	if forbids == 0 && permits == 0 {
		return d // only errors of their own: cedar-go's decision stands
	}
	// mine are the certain policies of effect mineEffect, read from list in document order.
	var mineEffect xast.Effect
	n := 0
	switch {
	case forbids > 0:
		d.Verdict, mineEffect, n = verdictDeny, xast.EffectForbid, forbids
		if !cedarForbids {
			d.Reasons = nil
		}
	case cedarForbids:
		return d
	default:
		d.Verdict, mineEffect, n = verdictAllow, xast.EffectPermit, permits
		if dec != cedar.Allow {
			d.Reasons = nil
		}
	}
	mine := list
	nextMine := func() {
		for len(mine) > 0 && !(mine[0].certain && mine[0].errText == "" && mine[0].ast.Effect == mineEffect) {
			mine = mine[1:]
		}
	}
	nextMine()
	// Merge by document order.
	merged := make([]string, 0, n+len(d.Reasons))
	theirs := d.Reasons
	for len(mine) > 0 || len(theirs) > 0 {
		if len(theirs) == 0 || len(mine) > 0 && mine[0].pos < s.byID[theirs[0]] {
			merged, mine = append(merged, string(mine[0].id)), mine[1:]
			nextMine()
		} else {
			merged, theirs = append(merged, theirs[0]), theirs[1:]
		}
	}
	d.Reasons = merged
	return d
}

// certainErrors merges into d's errors, by document order, those of the certain candidates
// whose guard fails at a soft atom (entry.errText).
func (s *Set) certainErrors(list []*entry, d *Decision) {
	n := 0
	for _, e := range list {
		if e.errText != "" {
			n++
		}
	}
	if n == 0 {
		return
	}
	errs, ids := make([]string, 0, n+len(d.Errors)), make([]string, 0, n+len(d.Errors))
	theirs, theirIDs := d.Errors, d.ErrorPolicies
	for _, e := range list {
		if e.errText == "" {
			continue
		}
		for len(theirIDs) > 0 && s.byID[theirIDs[0]] < e.pos {
			errs, ids = append(errs, theirs[0]), append(ids, theirIDs[0])
			theirs, theirIDs = theirs[1:], theirIDs[1:]
		}
		errs, ids = append(errs, e.errText), append(ids, string(e.id))
	}
	d.Errors, d.ErrorPolicies = append(errs, theirs...), append(ids, theirIDs...)
}

// fromDiagnostic turns cedar-go's answer into a Decision (before qualify).
func fromDiagnostic(dec cedar.Decision, diag cedar.Diagnostic) (d Decision) {
	d.Verdict = verdictDeny
	if dec == cedar.Allow {
		d.Verdict = verdictAllow
	}
	// Each list is made at its size, and each error written with one allocation: at 10,000
	// policies about 20 match a request and several report an error.
	if len(diag.Reasons) == 0 {
		d.Reasons = []string{ReasonDefaultDeny}
	} else {
		d.Reasons = make([]string, len(diag.Reasons))
		for i, reason := range diag.Reasons {
			d.Reasons[i] = string(reason.PolicyID)
		}
	}
	if len(diag.Errors) > 0 {
		d.Errors, d.ErrorPolicies = make([]string, len(diag.Errors)), make([]string, len(diag.Errors))
		for i, e := range diag.Errors {
			d.Errors[i] = errorText(e)
			d.ErrorPolicies[i] = string(e.PolicyID)
		}
	}
	return d
}

// errorText is "<policy> at <file>:<line>:<column>: <message>".
func errorText(e cedar.DiagnosticError) string {
	var b strings.Builder
	b.Grow(len(e.PolicyID) + len(e.Position.Filename) + len(e.Message) + 48)
	b.WriteString(string(e.PolicyID))
	b.WriteString(" at ")
	b.WriteString(e.Position.Filename)
	var n [20]byte
	b.WriteByte(':')
	b.Write(strconv.AppendInt(n[:0], int64(e.Position.Line), 10))
	b.WriteByte(':')
	b.Write(strconv.AppendInt(n[:0], int64(e.Position.Column), 10))
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

// failed is the decision when the engine panicked: deny, fail closed.
func failed(v any) Decision {
	return Decision{Verdict: api.VerdictDeny, Reasons: []string{ReasonDefaultDeny}, Errors: []string{fmt.Sprintf("policy evaluation failed: %v", v)}}
}

// familyParents are the parent sets of actions, one per family, built once.
var familyParents = func() map[string]cedar.EntityUIDSet {
	m := make(map[string]cedar.EntityUIDSet, len(families))
	for _, f := range families {
		m[f] = cedar.NewEntityUIDSet(cedar.NewEntityUID(actionType, cedar.String(f)))
	}
	return m
}()

// entities is the entity store of one request: the action hierarchy (each action's parent
// is its family) and the request's resource, whose parent is its target.
type entities struct {
	action        cedar.EntityUID
	actionParents cedar.EntityUIDSet
	resource      cedar.EntityUID
	target        cedar.EntityUIDSet
}

var _ cedar.EntityGetter = (*entities)(nil)

// Get implements cedar.EntityGetter.
func (e *entities) Get(uid cedar.EntityUID) (cedar.Entity, bool) {
	switch uid.Type {
	case actionType:
		if uid == e.action {
			return cedar.Entity{UID: uid, Parents: e.actionParents}, true
		}
		return cedar.Entity{UID: uid, Parents: familyParents[Family(string(uid.ID))]}, true
	case resourceType:
		if uid == e.resource {
			return cedar.Entity{UID: uid, Parents: e.target}, true
		}
	}
	return cedar.Entity{}, false
}

// scaledScore maps a classifier score in [0, 1] to the whole percent policy sees (0..100),
// rounding to nearest; out-of-range and NaN scores are clamped (NaN to 0).
func scaledScore(score float64) cedar.Long {
	if math.IsNaN(score) || score <= 0 {
		return 0
	}
	if score >= 1 {
		return 100
	}
	return cedar.Long(math.Round(score * 100))
}
