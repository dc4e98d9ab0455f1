package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/store"
)

func newSession() store.Session {
	now := baseTime()
	return store.Session{
		ID:               newID("ses"),
		Agent:            "arn:aws:iam::123456789012:role/agent",
		AgentKind:        "iam",
		Operator:         "alice@example.com",
		OperatorVerified: true,
		OperatorMethod:   "delegation",
		OperatorIssuer:   "https://login.example.com",
		PromptMasked:     "refund order [ORDER] for [EMAIL]",
		PromptHash:       "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Purpose:          "support",
		PurposeFlag:      &api.PurposeFlag{Intent: "crm.read", Score: 0.6, OtherFamilies: true},
		Intents: []api.Intent{
			{Name: "refund.issue", Score: 0.93, Evidence: []string{"refund", "order"}},
			{Name: "crm.read", Score: 0.41},
		},
		Status:    store.SessionOpen,
		CreatedAt: now,
		ExpiresAt: now.Add(time.Hour),
		Actions:   2,
		ByFamily:  map[string]int{"crm": 1, "sql": 1},
		Version:   1,
	}
}

func testSessionCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := newSession()
	wantErr(t, "CreateSession", s.CreateSession(ctx, want), nil)
	got, err := s.GetSession(ctx, want.ID)
	wantErr(t, "GetSession", err, nil)
	diff(t, "GetSession", want, got)

	other := newSession()
	other.ID = want.ID
	other.Operator = "mallory@example.com"
	wantErr(t, "CreateSession of a taken id", s.CreateSession(ctx, other), store.ErrExists)
	got, err = s.GetSession(ctx, want.ID)
	wantErr(t, "GetSession after a lost create", err, nil)
	diff(t, "GetSession after a lost create", want, got)

	// A minimal session round-trips too: empty strings, no intents, zero counters and version.
	bare := store.Session{ID: newID("ses"), Status: store.SessionOpen, CreatedAt: baseTime(), ExpiresAt: baseTime().Add(time.Minute)}
	wantErr(t, "CreateSession bare", s.CreateSession(ctx, bare), nil)
	got, err = s.GetSession(ctx, bare.ID)
	wantErr(t, "GetSession bare", err, nil)
	diff(t, "GetSession bare", bare, got)
}

func testSessionNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetSession(ctx, newID("ses"))
	wantErr(t, "GetSession of an unknown id", err, store.ErrNotFound)
	missing := newSession()
	wantErr(t, "UpdateSession of an unknown id", s.UpdateSession(ctx, missing), store.ErrNotFound)
	_, err = s.GetSession(ctx, missing.ID)
	wantErr(t, "GetSession after a failed update", err, store.ErrNotFound)
}

func testSessionUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	sess := newSession()
	sess.Version = 7
	wantErr(t, "CreateSession", s.CreateSession(ctx, sess), nil)

	next := sess
	next.Actions = 3
	next.ByFamily = map[string]int{"crm": 2, "sql": 1}
	next.Status = store.SessionClosed
	wantErr(t, "UpdateSession", s.UpdateSession(ctx, next), nil)
	got, err := s.GetSession(ctx, sess.ID)
	wantErr(t, "GetSession", err, nil)
	want := next
	want.Version = 8
	diff(t, "GetSession after update", want, got)

	stale := next
	stale.Actions = 99
	wantErr(t, "UpdateSession with a stale version", s.UpdateSession(ctx, stale), store.ErrConflict)
	ahead := next
	ahead.Version = 9
	ahead.Actions = 99
	wantErr(t, "UpdateSession with a future version", s.UpdateSession(ctx, ahead), store.ErrConflict)
	got, err = s.GetSession(ctx, sess.ID)
	wantErr(t, "GetSession", err, nil)
	diff(t, "GetSession after conflicts", want, got)

	again := got
	again.Actions = 4
	wantErr(t, "UpdateSession with the fresh version", s.UpdateSession(ctx, again), nil)
	got, err = s.GetSession(ctx, sess.ID)
	wantErr(t, "GetSession", err, nil)
	want = again
	want.Version = 9
	diff(t, "GetSession after second update", want, got)
}

func testSessionConcurrentCreate(t *testing.T, s store.Store) {
	ctx := t.Context()
	id := newID("ses")
	sessions := make([]store.Session, Concurrency)
	for i := range sessions {
		sessions[i] = newSession()
		sessions[i].ID = id
		sessions[i].Operator = fmt.Sprintf("op-%d", i)
	}
	errs := Race(Concurrency, func(i int) error { return s.CreateSession(ctx, sessions[i]) })
	w := exactlyOne(t, "concurrent CreateSession", errs, store.ErrExists)
	got, err := s.GetSession(ctx, id)
	wantErr(t, "GetSession", err, nil)
	diff(t, "GetSession after the race", sessions[w], got)
}

func testSessionConcurrentUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	sess := newSession()
	sess.Actions = 0
	sess.Version = 0
	wantErr(t, "CreateSession", s.CreateSession(ctx, sess), nil)

	// All writers hold the same version: exactly one update wins.
	errs := Race(Concurrency, func(i int) error {
		u := sess
		u.Actions = 100 + i
		return s.UpdateSession(ctx, u)
	})
	w := exactlyOne(t, "concurrent UpdateSession", errs, store.ErrConflict)
	got, err := s.GetSession(ctx, sess.ID)
	wantErr(t, "GetSession", err, nil)
	if got.Actions != 100+w || got.Version != 1 {
		t.Fatalf("after the race: Actions %d Version %d, want %d and 1", got.Actions, got.Version, 100+w)
	}

	// Read-modify-write with retry on conflict loses no increment.
	const perWriter = 5
	errs = Race(Concurrency, func(int) error {
		for range perWriter {
			for {
				cur, err := s.GetSession(ctx, sess.ID)
				if err != nil {
					return err
				}
				cur.Actions++
				err = s.UpdateSession(ctx, cur)
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					return err
				}
				break
			}
		}
		return nil
	})
	for i, err := range errs {
		wantErr(t, fmt.Sprintf("incrementing writer %d", i), err, nil)
	}
	got, err = s.GetSession(ctx, sess.ID)
	wantErr(t, "GetSession", err, nil)
	if want := 100 + w + Concurrency*perWriter; got.Actions != want {
		t.Errorf("Actions = %d, want %d (an update was lost)", got.Actions, want)
	}
	if want := int64(1 + Concurrency*perWriter); got.Version != want {
		t.Errorf("Version = %d, want %d", got.Version, want)
	}
}

func testControlsPutFindDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := baseTime()
	agent := store.Control{Scope: store.ScopeAgent, ID: newID("agent"), Reason: "runaway loop", By: "sec@example.com", CreatedAt: at}
	sess := store.Control{Scope: store.ScopeSession, ID: newID("ses"), Reason: "suspicious", By: "sec@example.com", CreatedAt: at}
	// The same id under another scope is a different control.
	sameIDOtherScope := store.ControlKey{Scope: store.ScopeOperator, ID: agent.ID}
	unset := store.ControlKey{Scope: store.ScopeOperator, ID: newID("op")}

	keys := []store.ControlKey{{Scope: agent.Scope, ID: agent.ID}, sameIDOtherScope, {Scope: sess.Scope, ID: sess.ID}, unset}
	got, err := s.FindControls(ctx, keys)
	wantErr(t, "FindControls before any put", err, nil)
	diff(t, "FindControls before any put", []store.Control(nil), got)

	wantErr(t, "PutControl agent", s.PutControl(ctx, agent), nil)
	wantErr(t, "PutControl session", s.PutControl(ctx, sess), nil)
	got, err = s.FindControls(ctx, keys)
	wantErr(t, "FindControls", err, nil)
	diff(t, "FindControls", sortedControls([]store.Control{agent, sess}), sortedControls(got))

	// A key asked for twice is reported once.
	got, err = s.FindControls(ctx, []store.ControlKey{{Scope: agent.Scope, ID: agent.ID}, {Scope: agent.Scope, ID: agent.ID}})
	wantErr(t, "FindControls with a repeated key", err, nil)
	diff(t, "FindControls with a repeated key", []store.Control{agent}, got)

	got, err = s.FindControls(ctx, nil)
	wantErr(t, "FindControls of no keys", err, nil)
	diff(t, "FindControls of no keys", []store.Control(nil), got)

	// Put replaces.
	agent2 := agent
	agent2.Reason = "still running away"
	agent2.By = "oncall@example.com"
	agent2.CreatedAt = at.Add(time.Second)
	wantErr(t, "PutControl replace", s.PutControl(ctx, agent2), nil)
	got, err = s.FindControls(ctx, keys[:1])
	wantErr(t, "FindControls after replace", err, nil)
	diff(t, "FindControls after replace", []store.Control{agent2}, got)

	wantErr(t, "DeleteControl", s.DeleteControl(ctx, agent.Scope, agent.ID), nil)
	got, err = s.FindControls(ctx, keys)
	wantErr(t, "FindControls after delete", err, nil)
	diff(t, "FindControls after delete", []store.Control{sess}, got)
	wantErr(t, "DeleteControl again", s.DeleteControl(ctx, agent.Scope, agent.ID), store.ErrNotFound)
	wantErr(t, "DeleteControl never set", s.DeleteControl(ctx, unset.Scope, unset.ID), store.ErrNotFound)
	wantErr(t, "DeleteControl session", s.DeleteControl(ctx, sess.Scope, sess.ID), nil)
}

func testControlsList(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := baseTime()
	mine := []store.Control{
		{Scope: store.ScopeAgent, ID: newID("agent"), Reason: "a", By: "x", CreatedAt: at},
		{Scope: store.ScopeOperator, ID: newID("op"), Reason: "b", By: "y", CreatedAt: at},
		{Scope: store.ScopeSession, ID: newID("ses"), Reason: "c", By: "z", CreatedAt: at},
	}
	for _, c := range mine {
		wantErr(t, "PutControl", s.PutControl(ctx, c), nil)
	}
	listed := func() map[store.ControlKey]store.Control {
		all, err := s.ListControls(ctx)
		wantErr(t, "ListControls", err, nil)
		out := map[store.ControlKey]store.Control{}
		for _, c := range all {
			out[store.ControlKey{Scope: c.Scope, ID: c.ID}] = c
		}
		return out
	}
	all := listed()
	for _, c := range mine {
		got, ok := all[store.ControlKey{Scope: c.Scope, ID: c.ID}]
		if !ok {
			t.Fatalf("ListControls lacks %s#%s", c.Scope, c.ID)
		}
		diff(t, "listed control", c, got)
	}
	wantErr(t, "DeleteControl", s.DeleteControl(ctx, mine[1].Scope, mine[1].ID), nil)
	all = listed()
	if _, ok := all[store.ControlKey{Scope: mine[1].Scope, ID: mine[1].ID}]; ok {
		t.Fatalf("ListControls still has deleted %s#%s", mine[1].Scope, mine[1].ID)
	}
	if _, ok := all[store.ControlKey{Scope: mine[0].Scope, ID: mine[0].ID}]; !ok {
		t.Fatalf("ListControls lost %s#%s", mine[0].Scope, mine[0].ID)
	}
}

// testControlsGlobal is the only subtest that touches the global control, which is one item
// per store.
func testControlsGlobal(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := store.Control{Scope: store.ScopeGlobal, ID: store.GlobalID, Reason: "incident " + newID("inc"), By: "ciso@example.com", CreatedAt: baseTime()}
	key := []store.ControlKey{{Scope: store.ScopeGlobal, ID: store.GlobalID}}
	wantErr(t, "PutControl global", s.PutControl(ctx, g), nil)
	got, err := s.FindControls(ctx, key)
	wantErr(t, "FindControls global", err, nil)
	diff(t, "FindControls global", []store.Control{g}, got)
	wantErr(t, "DeleteControl global", s.DeleteControl(ctx, store.ScopeGlobal, store.GlobalID), nil)
	got, err = s.FindControls(ctx, key)
	wantErr(t, "FindControls global after delete", err, nil)
	diff(t, "FindControls global after delete", []store.Control(nil), got)
}

func testControlsInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, c := range []store.Control{
		{Scope: "planet", ID: newID("x"), Reason: "r"},
		{Scope: store.ScopeAgent, ID: ""},
	} {
		if err := s.PutControl(ctx, c); err == nil {
			t.Errorf("PutControl(%q, %q) = nil, want an error", c.Scope, c.ID)
		}
	}
}
