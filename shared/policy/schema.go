package policy

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/x/exp/schema"
	"github.com/cedar-policy/cedar-go/x/exp/schema/validate"
)

// forAction is the part of a validator message that names the action it was checked for.
var forAction = regexp.MustCompile(` for Action::"(?:[^"\\]|\\.)*"`)

//go:embed mandate.cedarschema
var schemaTemplate string

// knownActions are declared in every schema, named by a document or not: the HTTP methods and
// SQL statement types Mandate performs.
var knownActions = []string{
	"http:GET", "http:HEAD", "http:OPTIONS", "http:POST", "http:PUT", "http:PATCH", "http:DELETE",
	"sql:SELECT", "sql:SHOW", "sql:EXPLAIN", "sql:DESCRIBE", "sql:INSERT", "sql:UPDATE", "sql:MERGE",
	"sql:DELETE", "sql:TRUNCATE", "sql:DROP", "sql:CREATE", "sql:ALTER", "sql:GRANT",
}

// Schema returns the Cedar schema (human-readable format) that Validate checks a document
// against: the policy model of doc.go, with one optional intent_scores attribute per name in
// intents and one action declaration per name in actions (besides the HTTP methods and SQL
// statement types, which are always declared). An action without a family is left out, so a
// policy naming it fails validation.
func Schema(intents, actions []string) string {
	var scores []string
	for _, in := range sortedUnique(intents) {
		scores = append(scores, fmt.Sprintf("\n    %s?: Long", strconv.Quote(in)))
	}
	scoreText := " "
	if len(scores) > 0 {
		scoreText = strings.Join(scores, ",") + "\n  "
	}
	var decls strings.Builder
	for _, a := range sortedUnique(append(slices.Clone(knownActions), actions...)) {
		f := Family(a)
		if f == "" {
			continue
		}
		fmt.Fprintf(&decls, "action %s in [%s] appliesTo { principal: [Agent], resource: [Resource], context: Context };\n", strconv.Quote(a), strconv.Quote(f))
	}
	out := strings.Replace(schemaTemplate, "{INTENT_SCORES}", "{"+scoreText+"}", 1)
	return strings.Replace(out, "\nACTIONS\n", "\n"+decls.String(), 1)
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// Validate checks every policy of the set against Schema(intents, <the actions the set
// names>) with cedar-go's strict validator: unknown entity types and actions, attributes the
// context does not have, optional attributes read without `has`, type errors. With a
// non-nil intents it also checks that every intent a policy names (in
// context.intents.contains, containsAny, containsAll, and intent_scores has or access) is
// one of them, since a misspelt intent makes a policy silently inert. It returns nil or,
// joined, one *Error per problem, positioned at the policy concerned and wrapping
// ErrInvalid. intents are the names of the active intent catalog.
func (s *Set) Validate(intents []string) error {
	refs := s.references()
	src := Schema(intents, refs.actions)
	var sc schema.Schema
	sc.SetFilename("mandate.cedarschema")
	if err := sc.UnmarshalCedar([]byte(src)); err != nil {
		// The schema is built from names that passed Compile; a failure here is ours.
		return &Error{File: s.name, Message: "the Mandate schema could not be built for this document: " + err.Error()}
	}
	resolved, err := sc.Resolve()
	if err != nil {
		return &Error{File: s.name, Message: "the Mandate schema could not be resolved for this document: " + err.Error()}
	}
	v := validate.New(resolved, validate.WithStrict())
	var problems []error
	for _, e := range s.all {
		err := v.Policy(string(e.id), e.ast)
		if err == nil {
			continue
		}
		pos := cedar.Position(e.ast.Position)
		// The validator checks a policy once per action it may apply to and says so in
		// each message; one problem per policy and message is what an author needs.
		var msgs []string
		for _, msg := range validationMessages(err) {
			msg = strings.TrimPrefix(msg, "for policy `"+string(e.id)+"`, ")
			msgs = append(msgs, forAction.ReplaceAllString(msg, ""))
		}
		for _, msg := range sortedUnique(msgs) {
			problems = append(problems, &Error{File: pos.Filename, Line: pos.Line, Column: pos.Column, PolicyID: string(e.id), Message: msg})
		}
	}
	if intents != nil {
		known := map[string]bool{}
		for _, in := range intents {
			known[in] = true
		}
		for i, names := range refs.intents {
			for _, name := range sortedUnique(names) {
				if !known[name] {
					e := s.all[i]
					pos := cedar.Position(e.ast.Position)
					problems = append(problems, &Error{File: pos.Filename, Line: pos.Line, Column: pos.Column, PolicyID: string(e.id),
						Message: fmt.Sprintf("intent %q is not in the intent catalog", name)})
				}
			}
		}
	}
	slices.SortStableFunc(problems, func(a, b error) int {
		x, y := a.(*Error), b.(*Error)
		if x.File != y.File {
			return s.filePos(x.File) - s.filePos(y.File)
		}
		return x.Line - y.Line
	})
	return errors.Join(problems...)
}

// filePos orders files as the set holds them: by the position of their first policy.
func (s *Set) filePos(file string) int {
	for i, e := range s.all {
		if cedar.Position(e.ast.Position).Filename == file {
			return i
		}
	}
	return len(s.all)
}

// validationMessages flattens the validator's joined errors into messages.
func validationMessages(err error) []string {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range u.Unwrap() {
			out = append(out, validationMessages(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// refs are the names a set's policies use: the ids of the Action entities they name, in
// scopes and conditions, and by policy index the intents they name.
type refs struct {
	actions []string
	intents map[int][]string
}

func (s *Set) references() refs {
	r := refs{intents: map[int][]string{}}
	for i, e := range s.all {
		raw, err := e.policy().MarshalJSON()
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		var intents []string
		collect(v, &r.actions, &intents)
		if len(intents) > 0 {
			r.intents[i] = intents
		}
	}
	return r
}

// collect walks a policy in Cedar's JSON format. It appends to actions the id of every
// entity reference of type Action ({"type": "Action", "id": "..."}) and to intents every
// intent named as context.intents.contains("x") (or containsAny/containsAll of a set of
// literals), context.intent_scores has "x" or context.intent_scores["x"].
func collect(v any, actions, intents *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["type"].(string); ok && t == string(actionType) {
			if id, ok := x["id"].(string); ok {
				*actions = append(*actions, id)
			}
		}
		for _, op := range []string{"has", "."} {
			if n, ok := x[op].(map[string]any); ok && isContextAttr(n["left"], "intent_scores") {
				if attr, ok := n["attr"].(string); ok {
					*intents = append(*intents, attr)
				}
			}
		}
		for _, op := range []string{"contains", "containsAny", "containsAll"} {
			n, ok := x[op].(map[string]any)
			if !ok || !isContextAttr(n["left"], "intents") {
				continue
			}
			right, _ := n["right"].(map[string]any)
			if s, ok := right["Value"].(string); ok {
				*intents = append(*intents, s)
			}
			elems, _ := right["Set"].([]any)
			for _, el := range elems {
				if m, ok := el.(map[string]any); ok {
					if s, ok := m["Value"].(string); ok {
						*intents = append(*intents, s)
					}
				}
			}
		}
		for _, c := range x {
			collect(c, actions, intents)
		}
	case []any:
		for _, c := range x {
			collect(c, actions, intents)
		}
	}
}

// isContextAttr reports whether v is the JSON of context.<attr>.
func isContextAttr(v any, attr string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	dot, ok := m["."].(map[string]any)
	if !ok || dot["attr"] != attr {
		return false
	}
	left, ok := dot["left"].(map[string]any)
	return ok && left["Var"] == "context"
}
