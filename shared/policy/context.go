package policy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/cedar-policy/cedar-go"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"

	"github.com/mandate-dev/mandate/shared/api"
)

// Building the Cedar request is most of a decision's cost: cedar-go's NewRecord sorts and
// hashes its keys and copies its map, for every record. Evaluate therefore builds only the
// context attributes some policy of the set reads (found at Compile time) and reuses the
// records that repeat between requests (the session's identity and intents, the target,
// the clock second, the family counters) from small caches on the Set.

// Top-level context attributes, as bits.
const (
	ctxIntents uint16 = 1 << iota
	ctxIntentScores
	ctxOperator
	ctxAgent
	ctxSession
	ctxTarget
	ctxSQL
	ctxTime
	ctxHTTP

	ctxAll = ctxIntents | ctxIntentScores | ctxOperator | ctxAgent | ctxSession | ctxTarget | ctxSQL | ctxTime | ctxHTTP
	// ctxIdentity are the attributes built from the session cache.
	ctxIdentity = ctxIntents | ctxIntentScores | ctxOperator | ctxAgent
)

var ctxAttributes = map[cedar.String]uint16{
	"intents": ctxIntents, "intent_scores": ctxIntentScores, "operator": ctxOperator,
	"agent": ctxAgent, "session": ctxSession, "target": ctxTarget, "sql": ctxSQL, "time": ctxTime, "http": ctxHTTP,
}

// Attributes of the two records that change from request to request, context.session and
// context.time, as bits (sub).
const (
	sessAge uint8 = 1 << iota
	sessActions
	sessByFamily
	timeHour
	timeWeekday
	timeUnix

	sessAll = sessAge | sessActions | sessByFamily
	timeAll = timeHour | timeWeekday | timeUnix
	subAll  = sessAll | timeAll
)

var subAttributes = map[cedar.String]map[cedar.String]uint8{
	"session": {"age_s": sessAge, "actions": sessActions, "by_family": sessByFamily},
	"time":    {"hour": timeHour, "weekday": timeWeekday, "unix": timeUnix},
}

// contextUse returns the top-level context attributes the policies can observe, and the
// attributes of context.session and context.time among them (sub). A policy observes
// attribute a only through `context.a` or `context has a`; any other use of `context` (the
// whole record compared, put in a set, ...) observes every attribute. The same holds one
// level down for context.session and context.time, the records that change from request to
// request: the time record of a set that reads only the hour and the weekday is the same
// for an hour. Leaving out an attribute no policy observes cannot change a decision.
func contextUse(policies slice) (used uint16, sub uint8) {
	visit := func(n xast.IsNode) bool {
		attr, ok := attribute(n)
		if !ok {
			if isVariable(n, "context") {
				used, sub = ctxAll, subAll
			}
			return true
		}
		if isVariable(attr.Arg, "context") {
			used |= ctxAttributes[attr.Value] // an unknown attribute is absent either way
			// context.session or context.time used as a whole observes all its attributes;
			// `context has session` observes only that it is there.
			if !isHas(n) {
				for _, b := range subAttributes[attr.Value] {
					sub |= b
				}
			}
			return false
		}
		if inner, ok := attribute(attr.Arg); ok && isVariable(inner.Arg, "context") {
			if attrs, ok := subAttributes[inner.Value]; ok {
				used |= ctxAttributes[inner.Value]
				sub |= attrs[attr.Value]
				return false
			}
		}
		return true
	}
	for _, e := range policies {
		for _, c := range e.ast.Conditions {
			xast.Inspect(xast.NewNode(c.Body), visit)
			if used == ctxAll && sub == subAll {
				return used, sub
			}
		}
	}
	return used, sub
}

// attribute returns the operand and name of an attribute access or `has` test.
func attribute(n xast.IsNode) (xast.StrOpNode, bool) {
	switch v := n.(type) {
	case xast.NodeTypeAccess:
		return v.StrOpNode, true
	case xast.NodeTypeHas:
		return v.StrOpNode, true
	case *xast.NodeTypeAccess:
		return v.StrOpNode, v != nil
	case *xast.NodeTypeHas:
		return v.StrOpNode, v != nil
	}
	return xast.StrOpNode{}, false
}

func isHas(n xast.IsNode) bool {
	switch v := n.(type) {
	case xast.NodeTypeHas:
		return true
	case *xast.NodeTypeHas:
		return v != nil
	}
	return false
}

func isVariable(n xast.IsNode, name string) bool {
	switch v := n.(type) {
	case xast.NodeTypeVariable:
		return string(v.Name) == name
	case *xast.NodeTypeVariable:
		return v != nil && string(v.Name) == name
	}
	return false
}

// cacheSlots is the size of each ring cache.
const cacheSlots = 16

// ring is a small lock-free cache: a lookup scans its slots, an insert replaces the oldest.
type ring[K comparable, V any] struct {
	slots [cacheSlots]atomic.Pointer[ringEntry[K, V]]
	next  atomic.Uint32
}

type ringEntry[K comparable, V any] struct {
	key K
	val V
}

func (r *ring[K, V]) get(k K) (V, bool) {
	for i := range r.slots {
		if e := r.slots[i].Load(); e != nil && e.key == k {
			return e.val, true
		}
	}
	var zero V
	return zero, false
}

func (r *ring[K, V]) put(k K, v V) {
	r.slots[r.next.Add(1)%cacheSlots].Store(&ringEntry[K, V]{key: k, val: v})
}

// maxCachedTargets bounds the per-target cache; targets beyond it are built per request.
const maxCachedTargets = 1024

// targetContext is what a request's target contributes: context.target and the resource's
// parent set.
type targetContext struct {
	kind    string
	record  cedar.Value
	parents cedar.EntityUIDSet
}

// requestCache holds the reusable parts of requests' contexts. Its zero value is ready.
type requestCache struct {
	sessions    [cacheSlots]atomic.Pointer[session]
	nextSession atomic.Uint32
	// targets is copied on write; lookups take no lock.
	targets  atomic.Pointer[map[string]*targetContext]
	targetMu sync.Mutex
	clock    ring[clockKey, cedar.Value]
	families ring[[3]int, cedar.Value]
}

func (c *requestCache) session(r *Request) *session {
	for i := range c.sessions {
		if s := c.sessions[i].Load(); s != nil && s.matches(r) {
			return s
		}
	}
	s := newSession(r)
	c.sessions[c.nextSession.Add(1)%cacheSlots].Store(s)
	return s
}

func (c *requestCache) target(name, kind string) *targetContext {
	if m := c.targets.Load(); m != nil {
		if t, ok := (*m)[name]; ok && t.kind == kind {
			return t
		}
	}
	t := newTargetContext(name, kind)
	c.targetMu.Lock()
	defer c.targetMu.Unlock()
	old := c.targets.Load()
	if old != nil && len(*old) >= maxCachedTargets {
		return t
	}
	next := make(map[string]*targetContext, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	next[name] = t
	c.targets.Store(&next)
	return t
}

func lenOf(m *map[string]*targetContext) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

func newTargetContext(name, kind string) *targetContext {
	return &targetContext{
		kind: kind,
		record: cedar.NewRecord(cedar.RecordMap{
			"name": cedar.String(name),
			"kind": cedar.String(kind),
		}),
		parents: cedar.NewEntityUIDSet(cedar.NewEntityUID(targetType, cedar.String(name))),
	}
}

// clockKey is what a time record holds: the attributes in sub (time bits), the others zero.
type clockKey struct {
	unix          int64
	hour, weekday int8
	sub           uint8
}

func newClockKey(now time.Time, sub uint8) clockKey {
	k := clockKey{sub: sub & timeAll}
	if sub&timeUnix != 0 {
		k.unix = now.Unix()
	}
	if sub&timeHour != 0 {
		k.hour = int8(now.Hour())
	}
	if sub&timeWeekday != 0 {
		k.weekday = int8(now.Weekday())
		if k.weekday == 0 {
			k.weekday = 7 // ISO 8601: Monday is 1, Sunday is 7.
		}
	}
	return k
}

// timeRecord returns context.time at now, with the attributes in sub.
func (c *requestCache) timeRecord(now time.Time, sub uint8) cedar.Value {
	k := newClockKey(now, sub)
	if c == nil {
		return timeRecord(k)
	}
	if v, ok := c.clock.get(k); ok {
		return v
	}
	v := timeRecord(k)
	c.clock.put(k, v)
	return v
}

func timeRecord(k clockKey) cedar.Value {
	m := cedar.RecordMap{}
	if k.sub&timeHour != 0 {
		m["hour"] = cedar.Long(k.hour)
	}
	if k.sub&timeWeekday != 0 {
		m["weekday"] = cedar.Long(k.weekday)
	}
	if k.sub&timeUnix != 0 {
		m["unix"] = cedar.Long(k.unix)
	}
	return cedar.NewRecord(m)
}

func (c *requestCache) familyRecord(by map[string]int) cedar.Value {
	k := [3]int{by[FamilyRead], by[FamilyWrite], by[FamilyDelete]}
	if c == nil {
		return familyRecord(k)
	}
	if v, ok := c.families.get(k); ok {
		return v
	}
	v := familyRecord(k)
	c.families.put(k, v)
	return v
}

func familyRecord(k [3]int) cedar.Value {
	return cedar.NewRecord(cedar.RecordMap{
		FamilyRead:   cedar.Long(k[0]),
		FamilyWrite:  cedar.Long(k[1]),
		FamilyDelete: cedar.Long(k[2]),
	})
}

// session is the part of a request's context that stays the same for a whole session: the
// agent, the operator and the intents.
type session struct {
	agent, agentKind, operator string
	operatorVerified           bool
	operatorPerson             string
	intents                    []api.Intent // a copy; compared by Name and Score
	agentRec, operatorRec      cedar.Value
	intentSet, intentScores    cedar.Value
}

func (c *session) matches(r *Request) bool {
	if c.agent != r.Agent || c.agentKind != r.AgentKind || c.operator != r.Operator ||
		c.operatorVerified != r.OperatorVerified || c.operatorPerson != r.OperatorPerson || len(c.intents) != len(r.Intents) {
		return false
	}
	for i, in := range r.Intents {
		if c.intents[i].Name != in.Name || c.intents[i].Score != in.Score {
			return false
		}
	}
	return true
}

func newSession(r *Request) *session {
	names := make([]cedar.Value, 0, len(r.Intents))
	scores := make(cedar.RecordMap, len(r.Intents))
	intents := make([]api.Intent, len(r.Intents))
	for i, in := range r.Intents {
		intents[i] = api.Intent{Name: in.Name, Score: in.Score}
		names = append(names, cedar.String(in.Name))
		sc := scaledScore(in.Score)
		if prev, ok := scores[cedar.String(in.Name)]; !ok || prev.(cedar.Long) < sc {
			scores[cedar.String(in.Name)] = sc
		}
	}
	return &session{
		agent: r.Agent, agentKind: r.AgentKind, operator: r.Operator, operatorVerified: r.OperatorVerified, operatorPerson: r.OperatorPerson,
		intents: intents,
		agentRec: cedar.NewRecord(cedar.RecordMap{
			"id":   cedar.String(r.Agent),
			"kind": cedar.String(r.AgentKind),
		}),
		operatorRec: cedar.NewRecord(cedar.RecordMap{
			"id":       cedar.String(r.Operator),
			"verified": cedar.Boolean(r.OperatorVerified),
			"person":   cedar.String(r.OperatorPerson),
			"known":    cedar.Boolean(r.OperatorPerson != ""),
		}),
		intentSet:    cedar.NewSet(names...),
		intentScores: cedar.NewRecord(scores),
	}
}

// recordMaps are the scratch maps records are built from: cedar.NewRecord copies the map
// it is given (a Record is immutable; TestRecordCopiesItsMap holds cedar-go to that), so
// one map serves request after request.
var recordMaps = sync.Pool{New: func() any { return make(cedar.RecordMap, 8) }}

func putRecordMap(m cedar.RecordMap) {
	clear(m)
	recordMaps.Put(m)
}

// cedarRequest maps r onto the policy model of doc.go. With a nil cache it builds the whole
// context afresh (the reference the property tests compare against); with a cache it
// builds only the attributes in used and reuses what the cache holds.
func cedarRequest(r Request, c *requestCache, used uint16, sub uint8) (cedar.Request, *entities) {
	if c == nil {
		used, sub = ctxAll, subAll
	}
	var id *session
	if used&ctxIdentity != 0 {
		if c != nil {
			id = c.session(&r)
		} else {
			id = newSession(&r)
		}
	}
	var tgt *targetContext
	if c != nil {
		tgt = c.target(r.Target, r.TargetKind)
	} else {
		tgt = newTargetContext(r.Target, r.TargetKind)
	}

	m := recordMaps.Get().(cedar.RecordMap)
	defer putRecordMap(m)
	if used&ctxIntents != 0 {
		m["intents"] = id.intentSet
	}
	if used&ctxIntentScores != 0 {
		m["intent_scores"] = id.intentScores
	}
	if used&ctxOperator != 0 {
		m["operator"] = id.operatorRec
	}
	if used&ctxAgent != 0 {
		m["agent"] = id.agentRec
	}
	if used&ctxSession != 0 {
		sm := recordMaps.Get().(cedar.RecordMap)
		defer putRecordMap(sm)
		if sub&sessAge != 0 {
			sm["age_s"] = cedar.Long(r.SessionAgeSeconds)
		}
		if sub&sessActions != 0 {
			sm["actions"] = cedar.Long(r.SessionActions)
		}
		if sub&sessByFamily != 0 {
			sm["by_family"] = c.familyRecord(r.SessionByFamily)
		}
		m["session"] = cedar.NewRecord(sm)
	}
	if used&ctxTarget != 0 {
		m["target"] = tgt.record
	}
	if used&ctxSQL != 0 {
		m["sql"] = sqlRecord(r.SQL)
	}
	if used&ctxHTTP != 0 {
		m["http"] = httpRecord(r.HTTP)
	}
	if used&ctxTime != 0 {
		now := r.Now
		if now.IsZero() {
			now = time.Now()
		}
		m["time"] = c.timeRecord(now.UTC(), sub)
	}

	action := cedar.NewEntityUID(actionType, cedar.String(r.Action))
	resource := cedar.NewEntityUID(resourceType, cedar.String(r.Target+"/"+r.Resource))
	ents := &entities{
		action:        action,
		actionParents: familyParents[Family(r.Action)], // Evaluate sets it from the bucket
		resource:      resource,
		target:        tgt.parents,
	}
	return cedar.Request{
		Principal: cedar.NewEntityUID(agentType, cedar.String(r.Agent)),
		Action:    action,
		Resource:  resource,
		Context:   cedar.NewRecord(m),
	}, ents
}
