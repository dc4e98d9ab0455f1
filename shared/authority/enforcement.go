package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/store"
)

// Enforcement is a deployment-wide switch. In log-only mode (a monitoring rollout) the
// enforced policy set is still evaluated and its verdict recorded beside the decision
// (audit.Verdict.Shadow, set "default (not enforced)"), but a deny or approval verdict does
// not stop the action: the decision is allow with reason ReasonEnforcementOff. Kill switches,
// session limits, validation and masking are not policy and stay in force.
//
// Turning enforcement off takes two different administrators within the two-person window
// (the first request is recorded and waits); turning it back on takes one, and is effective
// at once on the authority that took it and within the reload interval on the others.

// EnforcementDocument is the policies document holding the enforcement mode.
const EnforcementDocument = "enforcement"

// ReasonEnforcementOff is the reason of a decision that policy did not enforce.
const ReasonEnforcementOff = "enforcement-off"

// Admin record types of the switch.
const (
	typeEnforcementRequest = "enforcement.request"
)

// enforcementBody is the stored document.
type enforcementBody struct {
	Mode   string   `json:"mode"`
	Reason string   `json:"reason"`
	By     []string `json:"by"`
}

// loadEnforcement reads the enforcement mode into cur; no document means enforce.
func (a *Authority) loadEnforcement(ctx context.Context, cur *active) error {
	doc, err := a.store.LatestDocument(ctx, store.KindPolicies, EnforcementDocument)
	if errors.Is(err, store.ErrNotFound) {
		cur.logOnly, cur.enforcementVersion = false, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("authority: load %s: %w", EnforcementDocument, err)
	}
	var b enforcementBody
	if err := json.Unmarshal(doc.Body, &b); err != nil || (b.Mode != api.EnforcementOn && b.Mode != api.EnforcementLogOnly) {
		// An unreadable switch never turns enforcement off.
		cur.logOnly, cur.enforcementVersion = false, doc.Version
		return nil
	}
	cur.logOnly, cur.enforcementVersion = b.Mode == api.EnforcementLogOnly, doc.Version
	return nil
}

// unenforced turns a decision the enforced set would block into an allow that records it,
// when enforcement is off.
func unenforced(cur *active, d policy.Decision, shadow []audit.Shadow) (policy.Decision, []audit.Shadow) {
	if !cur.logOnly || d.Verdict == api.VerdictAllow {
		return d, shadow
	}
	shadow = append(shadow, audit.Shadow{Set: DocumentName + " (not enforced)", Version: cur.policyVersion, Decision: d.Verdict, Reasons: nonNil(d.Reasons)})
	d.Verdict, d.Reasons = api.VerdictAllow, []string{ReasonEnforcementOff}
	return d, shadow
}

// GetEnforcement returns the enforcement mode to an administrator.
func (a *Authority) GetEnforcement(ctx context.Context, c Caller) (api.Enforcement, error) {
	if _, err := a.authenticateHuman(c, RoleAdmin); err != nil {
		return api.Enforcement{}, err
	}
	cur := a.documents(ctx)
	out := api.Enforcement{Mode: enforcementMode(cur), Status: "done", Version: cur.enforcementVersion}
	if out.Mode == api.EnforcementOn {
		p, err := a.pending(ctx, enforcementBase(cur.enforcementVersion), a.now())
		if err != nil {
			return api.Enforcement{}, err
		}
		if p != nil {
			exp := p.ExpiresAt
			out.Status, out.By, out.ExpiresAt = "pending", []string{p.By}, &exp
		}
	}
	return out, nil
}

// enforcementBase names the two-person rounds of switching enforcement off from version v.
func enforcementBase(v int64) string { return "enforcement#" + strconv.FormatInt(v, 10) + "#" }

// SetEnforcement switches enforcement on or off (the two-person rule for off).
func (a *Authority) SetEnforcement(ctx context.Context, c Caller, req api.EnforcementRequest) (api.Enforcement, error) {
	h, err := a.authenticateHuman(c, RoleAdmin)
	if err != nil {
		return api.Enforcement{}, err
	}
	if err := a.checkHumanKills(ctx, h); err != nil { // roles.go: a stopped person confirms nothing
		return api.Enforcement{}, err
	}
	if req.Mode != api.EnforcementOn && req.Mode != api.EnforcementLogOnly {
		return api.Enforcement{}, fail(ErrInvalid, fmt.Sprintf("mode must be %q or %q", api.EnforcementOn, api.EnforcementLogOnly), nil)
	}
	if req.Reason == "" && req.Mode == api.EnforcementLogOnly {
		// Turning protection off needs a why; turning it back on never waits for one.
		return api.Enforcement{}, fail(ErrInvalid, "a reason is required to turn enforcement off", nil)
	}
	if req.Reason == "" {
		req.Reason = "enforcement turned back on"
	}
	if err := checkReason(req.Reason); err != nil {
		return api.Enforcement{}, err
	}
	if err := a.claimSignature(ctx, c); err != nil { // replay.go
		return api.Enforcement{}, err
	}
	cur := a.documents(ctx)
	if req.Mode == enforcementMode(cur) {
		return api.Enforcement{Mode: req.Mode, Status: "done", Version: cur.enforcementVersion}, nil
	}
	by := []string{h.Name}
	if req.Mode == api.EnforcementLogOnly {
		first, exp, ref, err := a.twoPerson(ctx, h, enforcementBase(cur.enforcementVersion), a.now(), func(exp time.Time) (*api.RecordRef, error) {
			r, err := a.chain.Append(ctx, audit.Record{Session: audit.AdminChain, Type: typeEnforcementRequest, RequestID: c.RequestID,
				Identity: humanIdentity(h), Admin: &audit.Admin{Kind: store.KindPolicies, Name: EnforcementDocument, Version: cur.enforcementVersion + 1, By: h.Name}})
			if err != nil {
				return nil, err
			}
			return &api.RecordRef{Seq: r.Seq, Hash: r.Hash}, nil
		})
		if err != nil {
			return api.Enforcement{}, err
		}
		if exp != nil {
			a.log.WarnContext(ctx, "switching enforcement off was requested; waiting for a second administrator", "request_id", c.RequestID, "by", h.Name)
			return api.Enforcement{Mode: enforcementMode(cur), Status: "pending", By: by, Version: cur.enforcementVersion, ExpiresAt: exp, Record: ref}, nil
		}
		by = []string{first, h.Name}
	}
	body, err := json.Marshal(enforcementBody{Mode: req.Mode, Reason: req.Reason, By: by})
	if err != nil {
		return api.Enforcement{}, fail(ErrUnavailable, "the switch could not be encoded", err)
	}
	doc, ref, err := a.storeVersion(ctx, c, h, store.KindPolicies, EnforcementDocument, body, 0)
	if err != nil {
		return api.Enforcement{}, err
	}
	a.activate(ctx, func(n *active) { n.logOnly, n.enforcementVersion = req.Mode == api.EnforcementLogOnly, doc.Version })
	a.log.WarnContext(ctx, "enforcement switched", "request_id", c.RequestID, "mode", req.Mode, "by", by)
	return api.Enforcement{Mode: req.Mode, Status: "done", By: by, Version: doc.Version, Record: ref}, nil
}

func enforcementMode(cur *active) string {
	if cur.logOnly {
		return api.EnforcementLogOnly
	}
	return api.EnforcementOn
}
