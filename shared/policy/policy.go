package policy

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cedar-policy/cedar-go"
	cast "github.com/cedar-policy/cedar-go/ast"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
)

// Limits on a policy document.
const (
	// MaxDocumentBytes is the largest policy document Compile accepts.
	MaxDocumentBytes = 4 << 20
	// MaxIDLength is the longest policy id (@id annotation) Compile accepts.
	MaxIDLength = 128
)

// IDAnnotation is the annotation that names a policy. Every policy MUST carry it, with a
// value unique in its document; the id is what a Decision names as its reason.
const IDAnnotation = "id"

// ErrInvalid marks every problem Compile reports: the document was rejected as a whole.
// Callers SHOULD show the error text to the policy author (it names file, line and column)
// and MUST keep the previously active policy set.
var ErrInvalid = errors.New("invalid policy document")

// Error is one problem in a policy document. Compile returns one or more of them joined
// with errors.Join; use Problems to list them.
type Error struct {
	// File is the name given to Compile.
	File string
	// Line and Column locate the problem (1-based); both are 0 when the parser gave no
	// position.
	Line, Column int
	// PolicyID is the id of the policy concerned, when it has one.
	PolicyID string
	// Message says what is wrong, for a policy author.
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.PolicyID != "" {
		fmt.Fprintf(&b, "policy %q: ", e.PolicyID)
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true for every Error.
func (e *Error) Unwrap() error { return ErrInvalid }

// Problems lists the Errors in err (as returned by Compile), in document order.
func Problems(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if pe, ok := err.(*Error); ok {
			out = append(out, pe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// entry is one compiled policy of a Set, in document order.
type entry struct {
	pos int // index in document order
	id  cedar.PolicyID
	ast *xast.Policy
	// c holds the policy compiled, as written and as Evaluate hands it to cedar-go; shared
	// by every copy of the entry, compiled on first use.
	c *compiled
	// guard is what the policy's leading conditions require of a request (guard.go), and
	// wholeGuard whether it is all its conditions.
	guard      guard
	wholeGuard bool
	// need, refuse and verified are the guard's tests of facts.bits and of the operator's
	// verification, kept in the entry so that most candidates a request fails are passed
	// over without reading the guard (entry.admits; Set.assignBits sets them).
	need, refuse uint64
	verified     uint8
	// certain is true when a request the index hands the policy to matches it whenever
	// its guard holds, without an error: every scope is proven and its conditions are its
	// guard. Evaluate decides such a policy without cedar-go.
	certain bool
	// errText, when not "", makes the entry the candidate of a certain policy whose guard
	// fails at a soft atom: the policy reports this error, in cedar-go's words, and
	// neither matches nor is handed to cedar-go (atom.errs).
	errText string
	// ctx and sub are the context attributes the policy reads (contextUse).
	ctx uint16
	sub uint8
	// agent is the one agent the principal scope holds for, when byAgent.
	agent   string
	byAgent bool
}

// compiled is a policy compiled for cedar-go, on first use: a set loaded from its
// precompiled form compiles only the policies its requests reach.
type compiled struct {
	once   sync.Once
	policy *cedar.Policy // as written
	// proven holds the scopes the policy's place in the index proves (Set.index); eval is
	// the policy less them, compiled, what Evaluate hands cedar-go (the policy as written
	// when none is proven).
	proven   uint8
	evalOnce sync.Once
	eval     *cedar.Policy
}

// Scopes the index proves (compiled.proven).
const (
	provenPrincipal uint8 = 1 << iota
	provenAction
	provenResource
)

// policy returns the policy as written, compiled.
func (e *entry) policy() *cedar.Policy {
	e.c.once.Do(func() {
		if e.c.policy == nil {
			e.c.policy = cedar.NewPolicyFromAST((*cast.Policy)(e.ast))
		}
	})
	return e.c.policy
}

// evaluator returns what Evaluate hands cedar-go for the policy.
func (e *entry) evaluator() *cedar.Policy {
	if e.c.proven == 0 {
		return e.policy()
	}
	e.c.evalOnce.Do(func() {
		res := *e.ast
		if e.c.proven&provenPrincipal != 0 {
			res.Principal = xast.ScopeTypeAll{}
		}
		if e.c.proven&provenAction != 0 {
			res.Action = xast.ScopeTypeAll{}
		}
		if e.c.proven&provenResource != 0 {
			res.Resource = xast.ScopeTypeAll{}
		}
		e.c.eval = cedar.NewPolicyFromAST((*cast.Policy)(&res))
	})
	return e.c.eval
}

// slice is an ordered list of policies handed to cedar.Authorize. It iterates in document
// order, so reasons come out in the order the author wrote the policies.
type slice []entry

// All implements cedar.PolicyIterator.
func (s slice) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for i := range s {
			if !yield(s[i].id, s[i].policy()) {
				return
			}
		}
	}
}

var _ cedar.PolicyIterator = slice(nil)

// Set is a compiled policy document, sliced by action and target. A Set is immutable and
// safe for concurrent use.
type Set struct {
	name string
	all  slice
	// variants are what each policy's annotations ask of an allow it decides, as in all.
	variants []variant
	// byID maps a policy id to its index in all.
	byID map[string]int
	// byAction holds the candidates of every action named in some policy's action scope.
	byAction map[string]*lazyBucket
	// byFamily holds the candidates of any other action, keyed by its family ("" for none).
	byFamily map[string]*lazyBucket
	// target is the target each policy's resource scope names, "" for none, and resource
	// the one resource it names, "" for none, as in all.
	target, resource []string
	// factBits are the bits of the intents and kinds guards test (assignBits).
	factBits map[factKey]uint64
	// generic indexes the policies for Authorize.
	generic generic
	// ctxUsed are the top-level context attributes some policy reads, subUsed those of
	// context.session and context.time (contextUse).
	ctxUsed uint16
	subUsed uint8
	// cache holds the reusable parts of requests' contexts.
	cache requestCache
	// key binds the set to its precompiled form (formKey, filesKey).
	key [32]byte
	// autoID is true for a set compiled by CompileUnnamed.
	autoID bool
	// served is true for a set decoded from its precompiled form (Load, Served).
	served bool
}

// bucket holds the candidates of one action, split by target: each candidate is in exactly
// one of anyTarget and byTarget.
type bucket struct {
	// parents is the parent set of the action (its family), for a bucket of one action.
	parents cedar.EntityUIDSet
	// anyTarget are the candidates whose resource scope names no target.
	anyTarget slice
	// byTarget are the candidates whose resource scope names a target, by target.
	byTarget map[string]slice
	// anyCell and byCell are anyTarget and byTarget split by agent, for Evaluate, less the
	// candidates whose resource scope names one resource: those are in byResource, by the
	// resource's id ("<target>/<resource>"), split by agent.
	anyCell    cell
	byCell     map[string]*cell
	byResource map[string]*cell
}

// cell holds candidates of one action and target split by agent: each candidate is in
// exactly one of anyAgent and byAgent.
type cell struct {
	// anyAgent are the candidates whose principal scope names no agent.
	anyAgent slice
	// byAgent are the candidates whose principal scope holds for one agent only, by agent.
	byAgent map[string]slice
}

func newCell(member slice) cell {
	c := cell{byAgent: map[string]slice{}}
	for _, e := range member {
		if e.byAgent {
			c.byAgent[e.agent] = append(c.byAgent[e.agent], e)
		} else {
			c.anyAgent = append(c.anyAgent, e)
		}
	}
	return c
}

// candidates is what Evaluate hands cedar-go: up to six disjoint slices merged in document
// order, less the policies whose guard the request fails (none when r is nil).
type candidates struct {
	parts [6]slice
	r     *facts
	// eval says to yield each entry's eval rather than its policy: only for parts of a
	// bucket's cells, whose scopes the index has checked.
	eval bool
}

var _ cedar.PolicyIterator = candidates{}

// All implements cedar.PolicyIterator.
func (c candidates) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, e := range c.collect(nil) {
			var p *cedar.Policy
			if c.eval {
				p = e.evaluator()
			} else {
				p = e.policy()
			}
			if !yield(e.id, p) {
				return
			}
		}
	}
}

// collect appends the candidates to out, in document order, and returns it. Most entries
// of a part fail their guard, so each part is filtered on its own first (an entry read
// once), and only the few that remain are merged by position.
func (c candidates) collect(out []*entry) []*entry {
	start := len(out)
	var runs [len(c.parts) + 1]int
	for i, p := range c.parts {
		runs[i] = len(out)
		for j := range p {
			if c.r == nil {
				out = append(out, &p[j])
			} else if e := p[j].admits(c.r); e != nil {
				out = append(out, e)
			}
		}
	}
	end := len(out)
	runs[len(c.parts)] = end
	nonEmpty := 0
	for i := range c.parts {
		if runs[i+1] > runs[i] {
			nonEmpty++
		}
	}
	if nonEmpty <= 1 {
		return out // one sorted run (or none): already in document order
	}
	// Merge the runs after them, then move the merged list into their place.
	next := runs
	for {
		k := -1
		for i := range c.parts {
			if next[i] < runs[i+1] && (k < 0 || out[next[i]].pos < out[next[k]].pos) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		out = append(out, out[next[k]])
		next[k]++
	}
	n := copy(out[start:], out[end:])
	clear(out[start+n:])
	return out[:start+n]
}

// Len returns the number of candidates.
func (c candidates) Len() int {
	n := 0
	for range c.All() {
		n++
	}
	return n
}

// Compile parses the Cedar policy document src, named name in error positions, checks that
// every policy has a unique, well-formed @id annotation and slices the policies by action.
// On failure the error wraps ErrInvalid and lists every problem found (see Problems); a
// syntax error stops parsing, so it is reported alone.
func Compile(name string, src []byte) (*Set, error) {
	return compile(name, []Source{{Name: name, Text: src}}, false)
}

// Source is one file of a policy set split over several files.
type Source struct {
	Name string // the file name errors and positions carry
	Text []byte
}

// CompileFiles is Compile for a policy set written in several files, taken in the order
// given (document order runs through them); ids are unique across all of them. The set is
// named name; MaxDocumentBytes applies to the files together.
func CompileFiles(name string, files []Source) (*Set, error) {
	return compile(name, files, false)
}

// CompileUnnamed is Compile for documents written for Cedar itself, such as Cedar's
// integration-test corpora: a policy without an @id gets the id Cedar's own tools give it,
// "policy<N>" for the N-th policy (from 0) in the document. Documents meant for Mandate MUST
// be compiled with Compile.
func CompileUnnamed(name string, src []byte) (*Set, error) {
	return compile(name, []Source{{Name: name, Text: src}}, true)
}

func compile(name string, files []Source, autoID bool) (*Set, error) {
	total := 0
	for _, f := range files {
		total += len(f.Text)
	}
	if total > MaxDocumentBytes {
		return nil, &Error{File: name, Message: fmt.Sprintf("document is %d bytes, larger than the limit of %d", total, MaxDocumentBytes)}
	}
	var list []*cedar.Policy
	var problems []error
	for _, f := range files {
		l, err := cedar.NewPolicyListFromBytes(f.Name, f.Text)
		if err != nil {
			problems = append(problems, parseError(f.Name, err))
			continue
		}
		list = append(list, l...)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	asts := make([]*xast.Policy, len(list))
	for i, p := range list {
		asts[i] = (*xast.Policy)(p.AST())
	}
	s, err := build(name, asts, list, autoID)
	if err != nil {
		return nil, err
	}
	if len(files) == 1 {
		s.key = formKey(name, autoID, files[0].Text)
	} else {
		s.key = filesKey(name, autoID, files)
	}
	s.autoID = autoID
	return s, nil
}

// build checks the ids and annotations of parsed policies and indexes them. parsed are
// the policies compiled, as the parser returns them, or nil to compile them on first use.
func build(name string, list []*xast.Policy, parsed []*cedar.Policy, autoID bool) (*Set, error) {
	var problems []error
	entries := make(slice, 0, len(list))
	variants := make([]variant, 0, len(list))
	first := make(map[string]cedar.Position, len(list))
	for n, p := range list {
		pos := cedar.Position(p.Position)
		file := pos.Filename
		ann := annotations(p)
		id, ok := ann[IDAnnotation]
		var v variant
		var vproblems []string
		if autoID {
			// Cedar's tools name policies by position, whatever their annotations say,
			// and Mandate's annotations mean nothing to documents written for Cedar.
			id, ok = cedar.String(fmt.Sprintf("policy%d", n)), true
		} else {
			v, vproblems = readVariant(ann, p.Effect == xast.EffectForbid)
		}
		perr := &Error{File: file, Line: pos.Line, Column: pos.Column}
		for _, msg := range vproblems {
			problems = append(problems, &Error{File: file, Line: pos.Line, Column: pos.Column, PolicyID: string(id), Message: msg})
		}
		switch {
		case !ok:
			perr.Message = `policy has no @id("...") annotation; every policy needs a unique id`
		case !validID(string(id)):
			perr.Message = fmt.Sprintf("@id %q is not a valid id: use 1 to %d letters, digits or . _ : / - starting with a letter or digit", string(id), MaxIDLength)
		case string(id) == ReasonDefaultDeny:
			perr.Message = fmt.Sprintf("@id %q is reserved for decisions no policy made", ReasonDefaultDeny)
		default:
			if prev, dup := first[string(id)]; dup {
				perr.PolicyID = string(id)
				perr.Message = fmt.Sprintf("duplicate @id, first used at %s:%d:%d", prev.Filename, prev.Line, prev.Column)
			} else {
				first[string(id)] = pos
				c := &compiled{}
				if parsed != nil {
					c.policy = parsed[n]
				}
				g, whole := readGuard(p)
				entries = append(entries, entry{pos: len(entries), id: cedar.PolicyID(id), ast: p, c: c, guard: g, wholeGuard: whole})
				variants = append(variants, v)
				continue
			}
		}
		problems = append(problems, perr)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	s := &Set{name: name, all: entries, variants: variants, byID: make(map[string]int, len(entries))}
	for i, e := range entries {
		s.byID[string(e.id)] = i
	}
	for i := range s.all {
		e := &s.all[i]
		e.ctx, e.sub = contextUse(s.all[i : i+1])
		s.ctxUsed, s.subUsed = s.ctxUsed|e.ctx, s.subUsed|e.sub
	}
	s.assignBits()
	s.index() // after contextUse: index copies entries
	s.indexGeneric()
	return s, nil
}

// validID reports whether id is 1..MaxIDLength characters of [A-Za-z0-9._:/-] starting with
// a letter or digit: ids travel in API responses, logs and audit records.
func validID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && strings.IndexByte("._:/-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseError turns a cedar-go parse error ("parser error: parse error at <input>:3:5 ...")
// into an Error with the position filled in.
func parseError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "parser error: ")
	e := &Error{File: name, Message: msg}
	const marker = "<input>:"
	i := strings.Index(msg, marker)
	if i < 0 {
		return e
	}
	rest := msg[i+len(marker):]
	lineText, rest, ok1 := strings.Cut(rest, ":")
	colEnd := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if colEnd < 0 {
		colEnd = len(rest)
	}
	line, err1 := strconv.Atoi(lineText)
	col, err2 := strconv.Atoi(rest[:colEnd])
	if !ok1 || err1 != nil || err2 != nil {
		e.Message = strings.ReplaceAll(msg, "<input>", name)
		return e
	}
	e.Line, e.Column = line, col
	// Drop the position the parser wrote, now held in Line and Column: what is left is
	// either `"<token>": <message>` (parser) or `: <message>` (scanner).
	text := strings.TrimSpace(rest[colEnd:])
	if rest, ok := strings.CutPrefix(text, `"": `); ok {
		text = "at end of document: " + rest
	} else if strings.HasPrefix(text, `"`) {
		text = "near " + text
	}
	e.Message = strings.TrimPrefix(text, ": ")
	return e
}

// annotations returns the annotations of p by key; the parser keeps one value per key.
func annotations(p *xast.Policy) cedar.Annotations {
	m := make(cedar.Annotations, len(p.Annotations))
	for _, a := range p.Annotations {
		m[a.Key] = a.Value
	}
	return m
}

// Name returns the name the set was compiled under.
func (s *Set) Name() string { return s.name }

// Len returns the number of policies in the set.
func (s *Set) Len() int { return len(s.all) }

// IDs returns the policy ids in document order.
func (s *Set) IDs() []string {
	ids := make([]string, len(s.all))
	for i, e := range s.all {
		ids[i] = string(e.id)
	}
	return ids
}

// Entity types of the policy model; see doc.go.
const (
	actionType   = cedar.EntityType("Action")
	agentType    = cedar.EntityType("Agent")
	resourceType = cedar.EntityType("Resource")
	targetType   = cedar.EntityType("Target")
)

// index builds byAction and byFamily, and each policy's eval.
//
// A policy is a candidate for action a when its action scope can be true for a: it has no
// action scope, or it names a (==, in, or in a set), or it names a's family with `in`.
// Entities of any type other than Action never match, since a request's action and all its
// ancestors are Actions. The action hierarchy is one level deep (an action's only ancestor
// is its family), which is what makes this exact.
//
// Among those, a policy is a candidate for target t when its resource scope is
// `resource in Target::"t"` (or `resource is Resource in Target::"t"`), or when its resource
// scope names no target: that scope is kept for every target and cedar-go decides it. For
// Evaluate, a policy whose resource scope is one resource (`resource == Resource::"id"`,
// `resource in Resource::"id"`, `resource is Resource in Resource::"id"`: a resource's
// only parent is its target, so `in` a resource is equality) is a candidate only for the
// request whose resource id is "id". Then likewise by agent (principalAgent), and by guard
// (guard.go).
//
// Dropping a policy whose scope is false is exact: cedar-go evaluates a policy as
// principal scope && action scope && resource scope && conditions, and scopes never fail,
// so such a policy neither matches nor reports an error. For the same reason a scope that
// the index proves true wherever the policy is a candidate (its action scope, or the target,
// resource or agent it is filed under) is left out of what cedar-go evaluates (entry.eval):
// `true && x` is x, errors included.
//
// Buckets are built on the first request for their action (lazyBucket): loading a set costs
// a pass over its policies, not a copy of them per action.
func (s *Set) index() {
	var unscoped []int
	eq := map[string][]int{}
	in := map[string][]int{}
	target := make([]string, len(s.all))   // "" when the resource scope names no target
	resource := make([]string, len(s.all)) // "" when the resource scope names no one resource
	for i := range s.all {
		e := &s.all[i]
		pol := e.ast
		var proven uint8
		switch sc := pol.Action.(type) {
		case xast.ScopeTypeAll:
			unscoped = append(unscoped, i)
		case xast.ScopeTypeEq:
			if sc.Entity.Type == actionType {
				eq[string(sc.Entity.ID)] = append(eq[string(sc.Entity.ID)], i)
			}
			proven |= provenAction
		case xast.ScopeTypeIn:
			if sc.Entity.Type == actionType {
				in[string(sc.Entity.ID)] = append(in[string(sc.Entity.ID)], i)
			}
			proven |= provenAction
		case xast.ScopeTypeInSet:
			for _, ent := range slices.Compact(slices.Clone(sc.Entities)) {
				if ent.Type == actionType {
					in[string(ent.ID)] = append(in[string(ent.ID)], i)
				}
			}
			proven |= provenAction
		default:
			// A scope this package does not know: always a candidate, so slicing can
			// never drop a policy that might apply, and cedar-go decides the scope.
			unscoped = append(unscoped, i)
		}
		// A request's resource is Resource::"<target>/<resource>", whose one parent is its
		// target: `in` a Target is membership of the target, and `==` or `in` a Resource is
		// that one resource.
		switch sc := pol.Resource.(type) {
		case xast.ScopeTypeEq:
			if sc.Entity.Type == resourceType {
				resource[i] = string(sc.Entity.ID)
			}
		case xast.ScopeTypeIn:
			switch sc.Entity.Type {
			case targetType:
				target[i] = string(sc.Entity.ID)
			case resourceType:
				resource[i] = string(sc.Entity.ID)
			}
		case xast.ScopeTypeIsIn:
			if sc.Type == resourceType {
				switch sc.Entity.Type {
				case targetType:
					target[i] = string(sc.Entity.ID)
				case resourceType:
					resource[i] = string(sc.Entity.ID)
				}
			}
		}
		if target[i] != "" || resource[i] != "" {
			proven |= provenResource
		}
		if a, ok := principalAgent(pol); ok {
			e.agent, e.byAgent = a, true
			proven |= provenPrincipal
		}
		e.c.proven = proven
		all := func(scope xast.IsScopeNode, bit uint8) bool {
			_, ok := scope.(xast.ScopeTypeAll)
			return ok || proven&bit != 0
		}
		e.certain = e.wholeGuard && all(pol.Principal, provenPrincipal) && all(pol.Action, provenAction) &&
			all(pol.Resource, provenResource)
		if e.certain {
			for j := range e.guard {
				if a := &e.guard[j]; a.soft {
					errs := *e
					errs.errText = errorText(cedar.DiagnosticError{
						PolicyID: e.id,
						Position: cedar.Position(e.ast.Position),
						Message:  missingScore(a.arg),
					})
					a.errs = &errs
				}
			}
		}
	}
	s.target, s.resource = target, resource
	s.byFamily = map[string]*lazyBucket{"": {groups: [][]int{unscoped}}}
	for _, f := range families {
		s.byFamily[f] = &lazyBucket{groups: [][]int{unscoped, in[f]}, parents: familyParents[f]}
	}
	s.byAction = map[string]*lazyBucket{}
	for _, m := range []map[string][]int{eq, in} {
		for a := range m {
			if _, done := s.byAction[a]; done {
				continue
			}
			groups := [][]int{unscoped, eq[a], in[a]}
			if f := Family(a); f != "" {
				groups = append(groups, in[f])
			}
			s.byAction[a] = &lazyBucket{groups: groups, parents: familyParents[Family(a)]}
		}
	}
}

// lazyBucket is the bucket of an action, built on first use from groups of policy indexes.
type lazyBucket struct {
	once    sync.Once
	b       *bucket
	groups  [][]int
	parents cedar.EntityUIDSet
}

func (s *Set) buildBucket(lb *lazyBucket) *bucket {
	lb.once.Do(func() {
		var member []int
		for _, g := range lb.groups {
			member = append(member, g...)
		}
		slices.Sort(member)
		member = slices.Compact(member)
		b := &bucket{parents: lb.parents, byTarget: map[string]slice{}, byCell: map[string]*cell{}, byResource: map[string]*cell{}}
		var anyCell slice
		byResource := map[string]slice{}
		for _, i := range member {
			switch t, res := s.target[i], s.resource[i]; {
			case t != "":
				b.byTarget[t] = append(b.byTarget[t], s.all[i])
			case res != "":
				b.anyTarget = append(b.anyTarget, s.all[i])
				byResource[res] = append(byResource[res], s.all[i])
			default:
				b.anyTarget = append(b.anyTarget, s.all[i])
				anyCell = append(anyCell, s.all[i])
			}
		}
		b.anyCell = newCell(anyCell)
		for t, member := range b.byTarget {
			c := newCell(member)
			b.byCell[t] = &c
		}
		for res, member := range byResource {
			c := newCell(member)
			b.byResource[res] = &c
		}
		lb.b, lb.groups = b, nil
	})
	return lb.b
}

// bucket returns the candidates of action and the action's parent set.
func (s *Set) bucket(action string) (*bucket, cedar.EntityUIDSet) {
	lb, ok := s.byAction[action]
	if !ok {
		lb = s.byFamily[Family(action)]
	}
	return s.buildBucket(lb), lb.parents
}

// candidates returns the policies that can apply to action on target, for any agent and
// whatever the conditions.
func (s *Set) candidates(action, target string) candidates {
	b, _ := s.bucket(action)
	return candidates{parts: [6]slice{b.anyTarget, b.byTarget[target]}}
}

// requestCandidates returns the policies that can apply to r: those of its action and
// target, narrowed by agent and by guard.
func (b *bucket) requestCandidates(f *facts) candidates {
	r := f.r
	c := candidates{r: f, eval: true}
	c.parts[0], c.parts[1] = b.anyCell.anyAgent, b.anyCell.byAgent[r.Agent]
	if tc := b.byCell[r.Target]; tc != nil {
		c.parts[2], c.parts[3] = tc.anyAgent, tc.byAgent[r.Agent]
	}
	if len(b.byResource) > 0 {
		// The resource's id as cedarRequest spells it, looked up without a copy.
		var buf [128]byte
		id := append(append(append(buf[:0], r.Target...), '/'), r.Resource...)
		if rc := b.byResource[string(id)]; rc != nil {
			c.parts[4], c.parts[5] = rc.anyAgent, rc.byAgent[r.Agent]
		}
	}
	return c
}

// CouldPermit reports whether some permit of the set is scoped to action (exactly or by its
// family) on target (or on any target), whatever its conditions: an upper bound of what the
// set can allow, for offering only tools that policy could allow. A forbid never narrows it.
func (s *Set) CouldPermit(action, target string) bool {
	for _, p := range s.candidates(action, target).All() {
		if p.Effect() == cedar.Permit {
			return true
		}
	}
	return false
}
