package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

func newApproval() store.Approval {
	now := baseTime()
	return store.Approval{
		ID:        newID("apr"),
		SessionID: newID("ses"),
		Digest:    "sha256:" + newID("d"),
		Status:    store.ApprovalPending,
		Agent:     "arn:aws:iam::123456789012:role/agent",
		Operator:  "alice@example.com",
		Action:    []byte(`{"kind":"sql","statement":"DELETE FROM orders WHERE id = 7"}`),
		Reasons:   []string{"policy require-approval-delete", "risk high"},
		CreatedAt: now,
		ExpiresAt: now.Add(time.Hour),
	}
}

func testApprovalCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := newApproval()
	wantErr(t, "CreateApproval", s.CreateApproval(ctx, want), nil)
	got, err := s.GetApproval(ctx, want.ID)
	wantErr(t, "GetApproval", err, nil)
	diff(t, "GetApproval", want, got)

	other := newApproval()
	other.ID = want.ID
	wantErr(t, "CreateApproval of a taken id", s.CreateApproval(ctx, other), store.ErrExists)
	got, err = s.GetApproval(ctx, want.ID)
	wantErr(t, "GetApproval after a lost create", err, nil)
	diff(t, "GetApproval after a lost create", want, got)

	_, err = s.GetApproval(ctx, newID("apr"))
	wantErr(t, "GetApproval of an unknown id", err, store.ErrNotFound)
}

func testApprovalList(t *testing.T, s store.Store) {
	ctx := t.Context()
	pending, approved, denied := newApproval(), newApproval(), newApproval()
	for _, a := range []store.Approval{pending, approved, denied} {
		wantErr(t, "CreateApproval", s.CreateApproval(ctx, a), nil)
	}
	at := baseTime().Add(time.Second)
	wantErr(t, "DecideApproval approve", s.DecideApproval(ctx, approved, store.ApprovalApproved, "bob", at), nil)
	wantErr(t, "DecideApproval deny", s.DecideApproval(ctx, denied, store.ApprovalDenied, "bob", at), nil)
	approved.Status, approved.DecidedBy, approved.DecidedAt = store.ApprovalApproved, "bob", at
	denied.Status, denied.DecidedBy, denied.DecidedAt = store.ApprovalDenied, "bob", at

	mine := map[string]bool{pending.ID: true, approved.ID: true, denied.ID: true}
	list := func(status string) map[string]store.Approval {
		t.Helper()
		all, err := s.ListApprovals(ctx, status)
		wantErr(t, fmt.Sprintf("ListApprovals(%q)", status), err, nil)
		out := map[string]store.Approval{}
		for _, a := range all {
			if status != "" && a.Status != status {
				t.Fatalf("ListApprovals(%q) returned %s with status %q", status, a.ID, a.Status)
			}
			if mine[a.ID] {
				out[a.ID] = a
			}
		}
		return out
	}
	diff(t, "ListApprovals(pending)", map[string]store.Approval{pending.ID: pending}, list(store.ApprovalPending))
	diff(t, "ListApprovals(approved)", map[string]store.Approval{approved.ID: approved}, list(store.ApprovalApproved))
	diff(t, "ListApprovals(denied)", map[string]store.Approval{denied.ID: denied}, list(store.ApprovalDenied))
	diff(t, "ListApprovals(consumed)", map[string]store.Approval{}, list(store.ApprovalConsumed))
	diff(t, "ListApprovals(all)", map[string]store.Approval{pending.ID: pending, approved.ID: approved, denied.ID: denied}, list(""))

	wantErr(t, "ConsumeApproval", s.ConsumeApproval(ctx, approved.ID, approved.Digest, baseTime()), nil)
	approved.Status = store.ApprovalConsumed
	diff(t, "ListApprovals(consumed) after consume", map[string]store.Approval{approved.ID: approved}, list(store.ApprovalConsumed))
	diff(t, "ListApprovals(approved) after consume", map[string]store.Approval{}, list(store.ApprovalApproved))
}

func testApprovalDecide(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, status := range []string{store.ApprovalApproved, store.ApprovalDenied} {
		a := newApproval()
		wantErr(t, "CreateApproval", s.CreateApproval(ctx, a), nil)
		at := baseTime().Add(30 * time.Second)
		wantErr(t, "DecideApproval "+status, s.DecideApproval(ctx, a, status, "bob@example.com", at), nil)
		got, err := s.GetApproval(ctx, a.ID)
		wantErr(t, "GetApproval", err, nil)
		want := a
		want.Status, want.DecidedBy, want.DecidedAt = status, "bob@example.com", at
		diff(t, "GetApproval after "+status, want, got)

		// Decided once: neither the same nor the other decision applies again.
		for _, again := range []string{store.ApprovalApproved, store.ApprovalDenied} {
			err := s.DecideApproval(ctx, a, again, "carol@example.com", at.Add(time.Second))
			wantErr(t, "DecideApproval "+again+" after "+status, err, store.ErrConflict)
		}
		got, err = s.GetApproval(ctx, a.ID)
		wantErr(t, "GetApproval", err, nil)
		diff(t, "GetApproval after a second decision", want, got)
	}

	wantErr(t, "DecideApproval of an unknown id", s.DecideApproval(ctx, store.Approval{ID: newID("apr")}, store.ApprovalApproved, "bob", baseTime()), store.ErrNotFound)

	// Only approved and denied are decisions; anything else is refused and changes nothing.
	a := newApproval()
	wantErr(t, "CreateApproval", s.CreateApproval(ctx, a), nil)
	for _, bad := range []string{store.ApprovalConsumed, store.ApprovalPending, "maybe", ""} {
		if err := s.DecideApproval(ctx, a, bad, "bob", baseTime()); err == nil {
			t.Errorf("DecideApproval(%q) = nil, want an error", bad)
		}
	}
	got, err := s.GetApproval(ctx, a.ID)
	wantErr(t, "GetApproval", err, nil)
	diff(t, "GetApproval after invalid decisions", a, got)
}

func testApprovalConsume(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	create := func(decide string, expires time.Time) store.Approval {
		t.Helper()
		a := newApproval()
		a.ExpiresAt = expires
		wantErr(t, "CreateApproval", s.CreateApproval(ctx, a), nil)
		if decide != "" {
			wantErr(t, "DecideApproval", s.DecideApproval(ctx, a, decide, "bob", now), nil)
			a.Status, a.DecidedBy, a.DecidedAt = decide, "bob", now
		}
		return a
	}
	unchanged := func(a store.Approval) {
		t.Helper()
		got, err := s.GetApproval(ctx, a.ID)
		wantErr(t, "GetApproval", err, nil)
		diff(t, "approval after a refused consume", a, got)
	}

	a := create(store.ApprovalApproved, now.Add(time.Minute))
	wantErr(t, "ConsumeApproval with another digest", s.ConsumeApproval(ctx, a.ID, a.Digest+"x", now), store.ErrConflict)
	wantErr(t, "ConsumeApproval with an empty digest", s.ConsumeApproval(ctx, a.ID, "", now), store.ErrConflict)
	unchanged(a)
	wantErr(t, "ConsumeApproval after expiry", s.ConsumeApproval(ctx, a.ID, a.Digest, now.Add(2*time.Minute)), store.ErrConflict)
	wantErr(t, "ConsumeApproval at the expiry instant", s.ConsumeApproval(ctx, a.ID, a.Digest, a.ExpiresAt), store.ErrConflict)
	unchanged(a)
	wantErr(t, "ConsumeApproval", s.ConsumeApproval(ctx, a.ID, a.Digest, a.ExpiresAt.Add(-time.Nanosecond)), nil)
	got, err := s.GetApproval(ctx, a.ID)
	wantErr(t, "GetApproval", err, nil)
	want := a
	want.Status = store.ApprovalConsumed
	diff(t, "GetApproval after consume", want, got)
	wantErr(t, "ConsumeApproval twice", s.ConsumeApproval(ctx, a.ID, a.Digest, now), store.ErrConflict)
	wantErr(t, "DecideApproval after consume", s.DecideApproval(ctx, a, store.ApprovalApproved, "bob", now), store.ErrConflict)

	p := create("", now.Add(time.Minute))
	wantErr(t, "ConsumeApproval of a pending approval", s.ConsumeApproval(ctx, p.ID, p.Digest, now), store.ErrConflict)
	unchanged(p)
	d := create(store.ApprovalDenied, now.Add(time.Minute))
	wantErr(t, "ConsumeApproval of a denied approval", s.ConsumeApproval(ctx, d.ID, d.Digest, now), store.ErrConflict)
	unchanged(d)
	e := create(store.ApprovalApproved, now.Add(-time.Second))
	wantErr(t, "ConsumeApproval of an expired approval", s.ConsumeApproval(ctx, e.ID, e.Digest, now), store.ErrConflict)
	unchanged(e)

	wantErr(t, "ConsumeApproval of an unknown id", s.ConsumeApproval(ctx, newID("apr"), "d", now), store.ErrNotFound)
}

func testApprovalConcurrentConsume(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newApproval()
	wantErr(t, "CreateApproval", s.CreateApproval(ctx, a), nil)
	wantErr(t, "DecideApproval", s.DecideApproval(ctx, a, store.ApprovalApproved, "bob", baseTime()), nil)
	now := time.Now()
	errs := Race(Concurrency, func(int) error { return s.ConsumeApproval(ctx, a.ID, a.Digest, now) })
	exactlyOne(t, "concurrent ConsumeApproval", errs, store.ErrConflict)
	got, err := s.GetApproval(ctx, a.ID)
	wantErr(t, "GetApproval", err, nil)
	if got.Status != store.ApprovalConsumed {
		t.Fatalf("status after the race = %q, want %q", got.Status, store.ApprovalConsumed)
	}
}

func testApprovalConcurrentDecide(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newApproval()
	wantErr(t, "CreateApproval", s.CreateApproval(ctx, a), nil)
	errs := Race(Concurrency, func(i int) error {
		status := store.ApprovalApproved
		if i%2 == 1 {
			status = store.ApprovalDenied
		}
		return s.DecideApproval(ctx, a, status, fmt.Sprintf("approver-%d", i), baseTime())
	})
	w := exactlyOne(t, "concurrent DecideApproval", errs, store.ErrConflict)
	got, err := s.GetApproval(ctx, a.ID)
	wantErr(t, "GetApproval", err, nil)
	if got.DecidedBy != fmt.Sprintf("approver-%d", w) {
		t.Fatalf("DecidedBy = %q, want approver-%d (the winner)", got.DecidedBy, w)
	}
}

func newDocument(kind, name string, version int64) store.Document {
	return store.Document{
		Kind:      kind,
		Name:      name,
		Version:   version,
		Body:      []byte(fmt.Sprintf("permit (principal, action, resource) when { context.v == %d };", version)),
		CreatedBy: "admin@example.com",
		CreatedAt: baseTime().Add(time.Duration(version) * time.Second),
	}
}

func testDocumentPutGetLatest(t *testing.T, s store.Store) {
	ctx := t.Context()
	name := newID("set")
	_, err := s.LatestDocument(ctx, store.KindPolicies, name)
	wantErr(t, "LatestDocument of an unknown name", err, store.ErrNotFound)

	docs := map[int64]store.Document{}
	for _, v := range []int64{1, 3, 2, 10} { // out of order, and 10 sorts after 3 only numerically
		d := newDocument(store.KindPolicies, name, v)
		docs[v] = d
		wantErr(t, fmt.Sprintf("PutDocument v%d", v), s.PutDocument(ctx, d), nil)
	}
	for v, want := range docs {
		got, err := s.GetDocument(ctx, store.KindPolicies, name, v)
		wantErr(t, fmt.Sprintf("GetDocument v%d", v), err, nil)
		diff(t, fmt.Sprintf("GetDocument v%d", v), want, got)
	}
	got, err := s.LatestDocument(ctx, store.KindPolicies, name)
	wantErr(t, "LatestDocument", err, nil)
	diff(t, "LatestDocument", docs[10], got)

	over := newDocument(store.KindPolicies, name, 2)
	over.Body = []byte("forbid (principal, action, resource);")
	wantErr(t, "PutDocument of a taken version", s.PutDocument(ctx, over), store.ErrExists)
	got, err = s.GetDocument(ctx, store.KindPolicies, name, 2)
	wantErr(t, "GetDocument v2", err, nil)
	diff(t, "GetDocument v2 after a lost put", docs[2], got)

	_, err = s.GetDocument(ctx, store.KindPolicies, name, 4)
	wantErr(t, "GetDocument of an unknown version", err, store.ErrNotFound)
	_, err = s.GetDocument(ctx, store.KindPolicies, newID("set"), 1)
	wantErr(t, "GetDocument of an unknown name", err, store.ErrNotFound)

	// A name that extends another is a different document.
	longer := newDocument(store.KindPolicies, name+"x", 1)
	wantErr(t, "PutDocument longer name", s.PutDocument(ctx, longer), nil)
	got, err = s.LatestDocument(ctx, store.KindPolicies, name)
	wantErr(t, "LatestDocument", err, nil)
	diff(t, "LatestDocument beside a longer name", docs[10], got)
	got, err = s.LatestDocument(ctx, store.KindPolicies, name+"x")
	wantErr(t, "LatestDocument longer name", err, nil)
	diff(t, "LatestDocument longer name", longer, got)
}

func testDocumentKinds(t *testing.T, s store.Store) {
	ctx := t.Context()
	name := newID("doc")
	p := newDocument(store.KindPolicies, name, 1)
	i := newDocument(store.KindIntents, name, 5)
	g := newDocument(store.KindTargets, name, 2)
	for _, d := range []store.Document{p, i, g} {
		wantErr(t, "PutDocument "+d.Kind, s.PutDocument(ctx, d), nil)
	}
	for _, want := range []store.Document{p, i, g} {
		got, err := s.LatestDocument(ctx, want.Kind, name)
		wantErr(t, "LatestDocument "+want.Kind, err, nil)
		diff(t, "LatestDocument "+want.Kind, want, got)
	}
	_, err := s.GetDocument(ctx, store.KindTargets, name, 1)
	wantErr(t, "GetDocument of a version only another kind has", err, store.ErrNotFound)
}

func testDocumentInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	name := newID("doc")
	for _, d := range []store.Document{
		newDocument("spells", name, 1),
		newDocument(store.KindPolicies, name, 0),
		newDocument(store.KindPolicies, name, -1),
		newDocument(store.KindPolicies, "", 1),
	} {
		if err := s.PutDocument(ctx, d); err == nil {
			t.Errorf("PutDocument(%q, %q, %d) = nil, want an error", d.Kind, d.Name, d.Version)
		}
	}
	if _, err := s.LatestDocument(ctx, "spells", name); err == nil {
		t.Errorf("LatestDocument of an unknown kind = nil error, want an error")
	}
	_, err := s.LatestDocument(ctx, store.KindPolicies, name)
	wantErr(t, "LatestDocument after refused puts", err, store.ErrNotFound)
}

func testDocumentTooLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := newDocument(store.KindTargets, newID("doc"), 1)
	d.Body = bytes.Repeat([]byte("t"), store.MaxItemBytes+1)
	wantErr(t, "PutDocument too large", s.PutDocument(ctx, d), store.ErrTooLarge)
	_, err := s.GetDocument(ctx, d.Kind, d.Name, 1)
	wantErr(t, "GetDocument after a refused put", err, store.ErrNotFound)

	// A large document under the limit is stored whole.
	d.Body = bytes.Repeat([]byte("u"), 200*1024)
	wantErr(t, "PutDocument of 200 KiB", s.PutDocument(ctx, d), nil)
	got, err := s.GetDocument(ctx, d.Kind, d.Name, 1)
	wantErr(t, "GetDocument", err, nil)
	diff(t, "GetDocument of 200 KiB", d, got)
}

func testDocumentConcurrentPut(t *testing.T, s store.Store) {
	ctx := t.Context()
	name := newID("doc")
	docs := make([]store.Document, Concurrency)
	for i := range docs {
		docs[i] = newDocument(store.KindIntents, name, 1)
		docs[i].CreatedBy = fmt.Sprintf("admin-%d", i)
	}
	errs := Race(Concurrency, func(i int) error { return s.PutDocument(ctx, docs[i]) })
	w := exactlyOne(t, "concurrent PutDocument", errs, store.ErrExists)
	got, err := s.LatestDocument(ctx, store.KindIntents, name)
	wantErr(t, "LatestDocument", err, nil)
	diff(t, "LatestDocument after the race", docs[w], got)
}

func testClaimOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := store.Claim{Key: newID("idem"), Digest: "d1", Result: []byte(`{"status":200}`), ExpiresAt: time.Now().Add(time.Hour)}
	_, err := s.HeldClaim(ctx, first.Key)
	wantErr(t, "HeldClaim before the claim", err, store.ErrNotFound)
	got, err := s.ClaimKey(ctx, first)
	wantErr(t, "ClaimKey", err, nil)
	diff(t, "ClaimKey result", first, got)
	got, err = s.HeldClaim(ctx, first.Key)
	wantErr(t, "HeldClaim", err, nil)
	diff(t, "HeldClaim", first, got)

	for _, second := range []store.Claim{
		{Key: first.Key, Digest: "d2", ExpiresAt: time.Now().Add(2 * time.Hour)},
		{Key: first.Key, Digest: "d1", ExpiresAt: time.Now().Add(2 * time.Hour)},
	} {
		got, err = s.ClaimKey(ctx, second)
		wantErr(t, "ClaimKey of a held key", err, store.ErrExists)
		diff(t, "existing claim", first, got)
	}

	// A claim without a stored result round-trips too.
	bare := store.Claim{Key: newID("nonce"), ExpiresAt: time.Now().Add(time.Minute)}
	got, err = s.ClaimKey(ctx, bare)
	wantErr(t, "ClaimKey bare", err, nil)
	diff(t, "ClaimKey bare", bare, got)
	got, err = s.ClaimKey(ctx, store.Claim{Key: bare.Key, Digest: "x", ExpiresAt: time.Now().Add(time.Minute)})
	wantErr(t, "ClaimKey bare again", err, store.ErrExists)
	diff(t, "existing bare claim", bare, got)
}

func testClaimExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := newID("idem")
	old := store.Claim{Key: key, Digest: "old", Result: []byte("r1"), ExpiresAt: time.Now().Add(-time.Second)}
	_, err := s.ClaimKey(ctx, old)
	wantErr(t, "ClaimKey of an already expired claim", err, nil)
	_, err = s.HeldClaim(ctx, key)
	wantErr(t, "HeldClaim of an expired claim", err, store.ErrNotFound)

	fresh := store.Claim{Key: key, Digest: "new", ExpiresAt: time.Now().Add(time.Hour)}
	got, err := s.ClaimKey(ctx, fresh)
	wantErr(t, "ClaimKey over an expired claim", err, nil)
	diff(t, "ClaimKey over an expired claim", fresh, got)

	got, err = s.ClaimKey(ctx, store.Claim{Key: key, Digest: "newer", ExpiresAt: time.Now().Add(time.Hour)})
	wantErr(t, "ClaimKey of the replaced claim", err, store.ErrExists)
	diff(t, "the replacing claim", fresh, got)
}

func testClaimConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := newID("idem")
	type res struct {
		c   store.Claim
		err error
	}
	results := make([]res, Concurrency)
	errs := Race(Concurrency, func(i int) error {
		c, err := s.ClaimKey(ctx, store.Claim{Key: key, Digest: fmt.Sprintf("d%d", i), ExpiresAt: time.Now().Add(time.Hour)})
		results[i] = res{c, err}
		return err
	})
	w := exactlyOne(t, "concurrent ClaimKey", errs, store.ErrExists)
	want := fmt.Sprintf("d%d", w)
	for i, r := range results {
		if r.c.Digest != want {
			t.Errorf("goroutine %d saw claim digest %q, want the winner's %q", i, r.c.Digest, want)
		}
	}
}
