package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
)

// Limits on test cases.
const (
	// MaxCases is the largest number of cases one document or upload may hold.
	MaxCases = 10000
	// MaxCasesBytes is the largest cases document ParseCases accepts.
	MaxCasesBytes = 4 << 20
)

// ErrCaseFailed marks each case Check reports as failing.
var ErrCaseFailed = errors.New("policy test failed")

// casesDoc is the format of a cases document (YAML, or JSON when it starts with '{'):
//
//	cases:
//	  - name: support reads customer 42
//	    request: {agent: a, operator: ada, action: "http:GET", target: customers,
//	              resource: /customers/42, intents: [customer_support.lookup]}
//	    expect: {verdict: allow, reasons: [permit-read-customers-for-support-lookup]}
type casesDoc struct {
	Cases []api.PolicyCase `json:"cases" yaml:"cases"`
}

// ParseCases reads a cases document strictly (unknown fields are errors).
func ParseCases(src []byte) ([]api.PolicyCase, error) {
	if len(src) > MaxCasesBytes {
		return nil, fmt.Errorf("cases document is %d bytes, larger than the limit of %d", len(src), MaxCasesBytes)
	}
	var doc casesDoc
	if t := bytes.TrimSpace(src); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("cases: json: %w", err)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(src))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("cases: yaml: %w", err)
		}
	}
	if len(doc.Cases) > MaxCases {
		return nil, fmt.Errorf("cases: %d cases, more than the limit of %d", len(doc.Cases), MaxCases)
	}
	return doc.Cases, nil
}

// CaseRequest is the Request a test case describes. Intents named without a score get 1;
// a case without a time is decided at 2026-01-05T12:00:00Z (a Monday noon), so that cases
// are reproducible.
func CaseRequest(c api.PolicyCaseRequest) Request {
	r := Request{
		Agent: c.Agent, AgentKind: c.AgentKind, Operator: c.Operator, OperatorVerified: c.OperatorVerified, OperatorPerson: c.OperatorPerson,
		Action: c.Action, Target: c.Target, TargetKind: c.TargetKind, Resource: c.Resource,
		SessionAgeSeconds: c.SessionAge, SessionActions: c.SessionActions, SessionByFamily: c.SessionByFamily,
		Now: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC),
	}
	if c.Time != nil {
		r.Now = *c.Time
	}
	if c.Query != "" {
		// A query that is not canonical decides as no query; Check refuses such a case.
		if p, err := action.ParsePath("/?" + c.Query); err == nil {
			r.HTTP = &p
		}
	}
	names := slices.Clone(c.Intents)
	for name := range c.IntentScores {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		score, ok := c.IntentScores[name]
		if !ok {
			score = 1
		}
		r.Intents = append(r.Intents, api.Intent{Name: name, Score: score})
	}
	return r
}

// Check decides every case with Evaluate and returns nil or, joined, one error wrapping
// ErrCaseFailed per case whose verdict (or, when the case names them, reasons) differs.
func (s *Set) Check(cases []api.PolicyCase) error {
	var problems []error
	for i, c := range cases {
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		switch c.Expect.Verdict {
		case verdictAllow, verdictDeny, verdictApproval:
		default:
			problems = append(problems, fmt.Errorf("%w: case %q: expect.verdict must be allow, deny or approval, not %q", ErrCaseFailed, name, c.Expect.Verdict))
			continue
		}
		if c.Request.Query != "" {
			if _, err := action.ParsePath("/?" + c.Request.Query); err != nil {
				problems = append(problems, fmt.Errorf("%w: case %q: request.query: %v", ErrCaseFailed, name, err))
				continue
			}
		}
		d := s.Evaluate(CaseRequest(c.Request))
		if d.Verdict != c.Expect.Verdict || (c.Expect.Reasons != nil && !slices.Equal(d.Reasons, c.Expect.Reasons)) {
			problems = append(problems, fmt.Errorf("%w: case %q: got %s %v, want %s %v", ErrCaseFailed, name, d.Verdict, d.Reasons, c.Expect.Verdict, c.Expect.Reasons))
		}
	}
	return errors.Join(problems...)
}
