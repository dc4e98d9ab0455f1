package authority

import (
	"context"
	"errors"
	"maps"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/target"
)

// planner describes what the broker would mint (broker.Broker).
type planner interface {
	Plan(ctx context.Context, t target.Target, a api.Action, sc broker.Scope) (broker.Plan, error)
}

// Explanation is the answer of Explain: the `mandate explain` contract.
type Explanation struct {
	Verdict string       `json:"verdict"`
	Reasons []string     `json:"reasons"`
	Detail  string       `json:"detail,omitempty"`
	Intents []api.Intent `json:"intents"`
	// Action is the action as policy saw it ("sql:SELECT" on "public.customers").
	Action string `json:"action"`
	// Resource is the canonical path (without its query), tables or ARN.
	Resource string `json:"resource"`
	// Query is an http action's query as policy saw it: decoded, sorted by name.
	Query []action.Param `json:"query,omitempty"`
	// Mint is what would be minted for an allowed (or approval) verdict, nil otherwise.
	Mint *broker.Plan `json:"mint"`
	// MintError says why nothing could be minted for an allowed action.
	MintError string   `json:"mint_error,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// Explain evaluates an action as it would run in session id ("" for a session with no
// intents and an unverified, unnamed operator) and describes what would be minted, without
// executing anything, minting anything or writing any record. A closed, expired or killed
// session is refused as it would be. It is for administrators and auditors: it does not
// check which agent owns the session.
func (a *Authority) Explain(ctx context.Context, id string, act api.Action) (Explanation, error) {
	var s store.Session
	if id != "" {
		var err error
		if s, err = a.store.GetSession(ctx, id); errors.Is(err, store.ErrNotFound) {
			return Explanation{}, fail(ErrSessionNotFound, "no such session", nil)
		} else if err != nil {
			return Explanation{}, fail(ErrUnavailable, "the session could not be read", err)
		}
	} else {
		s = store.Session{Agent: "explain", CreatedAt: a.now()}
	}
	out := Explanation{Intents: s.Intents, Reasons: []string{}}
	if out.Intents == nil {
		out.Intents = []api.Intent{}
	}
	d := a.describeRaw(act)
	refused := func(e *Error) (Explanation, error) {
		out.Verdict, out.Detail, out.Action, out.Resource = api.VerdictDeny, e.Detail, d.Name, d.Resource
		out.Reasons = e.reasons()
		return out, nil
	}
	if id != "" {
		// A session that is closed, expired or under a kill switch runs nothing: say so.
		err := a.checkLive(s)
		if err == nil {
			err = a.checkSessionKills(ctx, s)
		}
		var e *Error
		if errors.As(err, &e) && !errors.Is(e.Kind, ErrUnavailable) {
			return refused(e)
		} else if err != nil {
			return Explanation{}, err
		}
	}
	// The same canonical form and the same policy request as Act, with the session's counts
	// as the next action would see them.
	c, t, stmt, verr := a.canonical(ctx, act)
	if c.Kind != "" {
		d = &audit.Action{Name: c.Name, Resource: c.Resource}
	}
	if verr != nil {
		return refused(verr)
	}
	out.Action, out.Resource = c.Name, c.Resource
	if c.HTTP != nil {
		out.Query = c.HTTP.Query
	}
	next := s
	next.Actions++
	next.ByFamily = maps.Clone(s.ByFamily)
	if next.ByFamily == nil {
		next.ByFamily = map[string]int{}
	}
	next.ByFamily[policy.Family(c.Name)]++
	dec, _, _ := a.evaluate(ctx, a.policyRequest(s, next, c, t, stmt))
	out.Verdict, out.Reasons, out.Errors = dec.Verdict, nonNil(dec.Reasons), dec.Errors
	if dec.Verdict == api.VerdictDeny {
		return out, nil
	}
	p, ok := a.broker.(planner)
	if !ok {
		out.MintError = "this broker cannot describe what it mints"
		return out, nil
	}
	plan, err := p.Plan(ctx, t, c.Action, broker.Scope{Session: s.ID, Record: "<decision-record-hash>", Agent: s.Agent,
		Operator: s.Operator, OperatorVerified: s.OperatorVerified, Intent: primaryIntent(s.Intents), Statement: stmt})
	if err != nil {
		out.MintError = err.Error()
		return out, nil
	}
	out.Mint = &plan
	return out, nil
}
