package authority

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/intent"
	"github.com/mandate-dev/mandate/shared/person"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/target"
)

// The policy store. Policy sets and intent catalogs are versioned documents in the store
// (store.Documents): version 1, 2, ... of the document DocumentName, never overwritten. An
// administrator's new version is validated whole before it is stored (Cedar syntax and
// @id rules, the Mandate schema with cedar-go's validator, the upload's own test cases; for
// a catalog its examples and the enforced policies against its intent names), so a stored
// version always compiles. Each authority keeps the active versions in memory and looks for
// newer ones at most every ReloadInterval; a rollback stores an earlier body as a new
// version.
//
// A second policy set, ShadowDocumentName, is log-only: it is evaluated beside the enforced
// set and its verdict is recorded in the decision record (audit.Verdict.Shadow), never
// enforced. An empty log-only set turns shadow evaluation off.

// Documents and their limits.
const (
	// ShadowDocumentName is the log-only policy set.
	ShadowDocumentName = "log-only"
	// DefaultReloadInterval is how often an authority looks for new document versions.
	DefaultReloadInterval = 5 * time.Second
	// MaxDocumentBytes is the largest policy set or intent catalog the store takes: one
	// DynamoDB item, with room for its other attributes.
	MaxDocumentBytes = store.MaxItemBytes - 6*1024
	// ModeEnforce and ModeLogOnly are the modes of PolicyUpload.
	ModeEnforce = "enforce"
	ModeLogOnly = "log-only"
)

// Kinds of failure of the policy store.
var (
	// ErrInvalidDocument: a policy set or catalog failed validation; 422 with every problem.
	// Nothing was stored; the active version stays.
	ErrInvalidDocument = errors.New("invalid document")
	// ErrConflict: another version was stored concurrently; 409. Read the latest and retry.
	ErrConflict = errors.New("conflict")
)

// active is the set of documents in force; it is replaced whole, never changed.
type active struct {
	policies      *policy.Set
	policyVersion int64
	shadow        *policy.Set // nil when there is no log-only set, or it is empty
	shadowVersion int64
	classifier    *intent.Classifier
	intentVersion int64
	// people is the stored directory of people (PeopleDocument); nil: the configured one.
	people        *person.Directory
	peopleVersion int64
	// targets is the target registry (targets.go).
	targets        *target.Registry
	targetsVersion int64
	// logOnly is true while enforcement is switched off (enforcement.go).
	logOnly            bool
	enforcementVersion int64
	checked            time.Time
}

// docs holds the active documents and serialises reloads.
type docs struct {
	mu       sync.Mutex // held while reloading or activating
	cur      *active
	interval time.Duration
	curMu    sync.RWMutex
}

// current returns the active documents as last loaded.
func (a *Authority) current() *active {
	a.docs.curMu.RLock()
	defer a.docs.curMu.RUnlock()
	return a.docs.cur
}

func (a *Authority) setCurrent(cur *active) {
	a.docs.curMu.Lock()
	a.docs.cur = cur
	a.docs.curMu.Unlock()
}

// loadDocuments loads the latest policy sets, intent catalog and target registry; New fails
// without them.
func (a *Authority) loadDocuments(ctx context.Context) error {
	if a.docs.interval <= 0 {
		a.docs.interval = DefaultReloadInterval
	}
	cur := &active{checked: a.now()}
	pol, err := a.store.LatestDocument(ctx, store.KindPolicies, DocumentName)
	if err != nil {
		return fmt.Errorf("authority: load policy set %q: %w", DocumentName, err)
	}
	if cur.policies, err = a.loadPolicySet(ctx, DocumentName, pol); err != nil {
		return fmt.Errorf("authority: policy set %q v%d: %w", DocumentName, pol.Version, err)
	}
	cur.policyVersion = pol.Version
	if err := a.loadShadow(ctx, cur); err != nil {
		return err
	}
	if err := a.loadEnforcement(ctx, cur); err != nil { // enforcement.go
		return err
	}
	if err := a.loadPeople(ctx, cur); err != nil { // people.go
		return err
	}
	if err := a.loadTargets(ctx, cur); err != nil { // targets.go
		return err
	}
	cat, err := a.store.LatestDocument(ctx, store.KindIntents, DocumentName)
	if err != nil {
		return fmt.Errorf("authority: load intent catalog %q: %w", DocumentName, err)
	}
	if cur.classifier, err = intent.Parse(cat.Body); err != nil {
		return fmt.Errorf("authority: intent catalog %q v%d: %w", DocumentName, cat.Version, err)
	}
	cur.intentVersion = cat.Version
	a.setCurrent(cur)
	return nil
}

func (a *Authority) loadShadow(ctx context.Context, cur *active) error {
	doc, err := a.store.LatestDocument(ctx, store.KindPolicies, ShadowDocumentName)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("authority: load policy set %q: %w", ShadowDocumentName, err)
	}
	set, err := a.loadPolicySet(ctx, ShadowDocumentName, doc)
	if err != nil {
		return fmt.Errorf("authority: policy set %q v%d: %w", ShadowDocumentName, doc.Version, err)
	}
	cur.shadowVersion = doc.Version
	if set.Len() > 0 {
		cur.shadow = set
	}
	return nil
}

// documents returns the active documents, first looking for newer versions in the store if
// the last look is older than the reload interval. A failed look keeps the loaded versions
// (they were valid) and is logged; the next request looks again.
func (a *Authority) documents(ctx context.Context) *active {
	cur := a.current()
	if a.now().Sub(cur.checked) < a.docs.interval {
		return cur
	}
	if !a.docs.mu.TryLock() {
		return cur // another request is reloading
	}
	defer a.docs.mu.Unlock()
	next, err := a.reload(ctx, a.current())
	if err != nil {
		a.log.ErrorContext(ctx, "documents not reloaded; keeping the loaded versions", "error", err)
		return cur
	}
	a.setCurrent(next)
	return next
}

// reload returns cur with every document whose latest version is newer replaced.
func (a *Authority) reload(ctx context.Context, cur *active) (*active, error) {
	next := *cur
	next.checked = a.now()
	pol, err := a.store.LatestDocument(ctx, store.KindPolicies, DocumentName)
	if err != nil {
		return nil, err
	}
	if pol.Version != cur.policyVersion {
		if next.policies, err = a.loadPolicySet(ctx, DocumentName, pol); err != nil {
			return nil, fmt.Errorf("policy set %q v%d: %w", DocumentName, pol.Version, err)
		}
		next.policyVersion = pol.Version
		a.log.InfoContext(ctx, "policy set loaded", "name", DocumentName, "version", pol.Version, "policies", next.policies.Len())
	}
	sh, err := a.store.LatestDocument(ctx, store.KindPolicies, ShadowDocumentName)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	case sh.Version != cur.shadowVersion:
		set, err := a.loadPolicySet(ctx, ShadowDocumentName, sh)
		if err != nil {
			return nil, fmt.Errorf("policy set %q v%d: %w", ShadowDocumentName, sh.Version, err)
		}
		next.shadow, next.shadowVersion = nil, sh.Version
		if set.Len() > 0 {
			next.shadow = set
		}
	}
	if err := a.loadEnforcement(ctx, &next); err != nil {
		return nil, err
	}
	if err := a.loadPeople(ctx, &next); err != nil {
		return nil, err
	}
	if err := a.loadTargets(ctx, &next); err != nil {
		return nil, err
	}
	cat, err := a.store.LatestDocument(ctx, store.KindIntents, DocumentName)
	if err != nil {
		return nil, err
	}
	if cat.Version != cur.intentVersion {
		if next.classifier, err = intent.Parse(cat.Body); err != nil {
			return nil, fmt.Errorf("intent catalog %q v%d: %w", DocumentName, cat.Version, err)
		}
		next.intentVersion = cat.Version
	}
	return &next, nil
}

// CompiledSuffix names the companion of a policy set version holding its precompiled form
// (policy.Set.Precompiled): document "<name>.compiled" of kind policies, same version. It
// is derived data, accepted only for the exact text it was made from; without it, or with
// a damaged one, the text is parsed.
const CompiledSuffix = ".compiled"

// loadPolicySet compiles a stored policy set version: from the sets already compiled in this
// process, else from its precompiled companion, else from its text (and then stores the
// companion for the next cold start).
func (a *Authority) loadPolicySet(ctx context.Context, name string, doc store.Document) (*policy.Set, error) {
	if set := policy.Loaded(name, doc.Body); set != nil {
		return set, nil
	}
	form, err := a.store.GetDocument(ctx, store.KindPolicies, name+CompiledSuffix, doc.Version)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.log.WarnContext(ctx, "precompiled policy set not read; parsing the text", "name", name, "version", doc.Version, "error", err)
	}
	set, err := policy.Load(name, doc.Body, form.Body)
	if err != nil {
		return nil, err
	}
	if !found {
		a.storeForm(ctx, name, doc.Version, set)
	}
	return set, nil
}

// storeForm stores the precompiled companion of a policy set version, best effort: a set
// without one loads from its text.
func (a *Authority) storeForm(ctx context.Context, name string, version int64, set *policy.Set) {
	form, err := set.Precompiled()
	if err == nil {
		err = a.store.PutDocument(ctx, store.Document{Kind: store.KindPolicies, Name: name + CompiledSuffix, Version: version, Body: form, CreatedBy: "mandate", CreatedAt: a.now().UTC()})
	}
	if err != nil && !errors.Is(err, store.ErrExists) {
		a.log.WarnContext(ctx, "precompiled policy set not stored", "name", name, "version", version, "error", err)
	}
}

// evaluate decides r with the enforced policy set and, when one is active, the log-only set;
// it returns the enforced decision, the version that made it, and the shadow verdicts.
func (a *Authority) evaluate(ctx context.Context, r policy.Request) (policy.Decision, int64, []audit.Shadow) {
	cur := a.documents(ctx)
	d := cur.policies.Evaluate(r)
	var shadow []audit.Shadow
	if cur.shadow != nil {
		sd := cur.shadow.Evaluate(r)
		shadow = []audit.Shadow{{Set: ShadowDocumentName, Version: cur.shadowVersion, Decision: sd.Verdict, Reasons: nonNil(sd.Reasons)}}
	}
	d, shadow = unenforced(cur, d, shadow) // enforcement.go: log-only mode records, never blocks
	return d, cur.policyVersion, shadow
}

// GetPolicies returns a version (0: the latest) of the policy set of mode to an
// administrator.
func (a *Authority) GetPolicies(ctx context.Context, c Caller, mode string, version int64) (api.Document, error) {
	if _, err := a.authenticateHuman(c, RoleAdmin); err != nil {
		return api.Document{}, err
	}
	name, err := policySetName(mode)
	if err != nil {
		return api.Document{}, err
	}
	doc, err := a.document(ctx, store.KindPolicies, name, version)
	if err != nil {
		return api.Document{}, err
	}
	out := documentView(doc)
	out.Mode = modeOf(name)
	return out, nil
}

// GetIntents returns a version (0: the latest) of the intent catalog to an administrator.
func (a *Authority) GetIntents(ctx context.Context, c Caller, version int64) (api.Document, error) {
	if _, err := a.authenticateHuman(c, RoleAdmin); err != nil {
		return api.Document{}, err
	}
	doc, err := a.document(ctx, store.KindIntents, DocumentName, version)
	if err != nil {
		return api.Document{}, err
	}
	return documentView(doc), nil
}

// PutPolicies validates a new version of a policy set and, if it passes, records and stores
// it and makes it active on this authority at once (on others within their reload
// interval).
func (a *Authority) PutPolicies(ctx context.Context, c Caller, up api.PolicyUpload) (api.Document, error) {
	if _, err := a.authenticateHuman(c, RoleAdmin); err != nil { // before saying what is wrong with the upload
		return api.Document{}, err
	}
	name, err := policySetName(up.Mode)
	if err != nil {
		return api.Document{}, err
	}
	h, body, err := a.upload(ctx, c, store.KindPolicies, name, "", up.Policies, up.RollbackTo)
	if err != nil {
		return api.Document{}, err
	}
	if len(up.Tests) > policy.MaxCases {
		return api.Document{}, invalidDocument(fmt.Sprintf("%d tests, more than the limit of %d", len(up.Tests), policy.MaxCases))
	}
	cur := a.documents(ctx)
	set, err := policy.Load(name, body, nil)
	if err != nil {
		return api.Document{}, invalidPolicies(err)
	}
	if err := set.Validate(intentNamesOf(cur.classifier)); err != nil {
		return api.Document{}, invalidPolicies(err)
	}
	if err := set.Check(up.Tests); err != nil {
		return api.Document{}, invalidDocument(splitErrors(err)...)
	}
	doc, rec, err := a.storeVersion(ctx, c, h, store.KindPolicies, name, body, up.RollbackTo)
	if err != nil {
		return api.Document{}, err
	}
	a.storeForm(ctx, name, doc.Version, set)
	a.activate(ctx, func(next *active) {
		if name == DocumentName {
			next.policies, next.policyVersion = set, doc.Version
			return
		}
		next.shadow, next.shadowVersion = nil, doc.Version
		if set.Len() > 0 {
			next.shadow = set
		}
	})
	out := documentView(doc)
	out.Mode, out.Record = modeOf(name), rec
	return out, nil
}

// PutIntents validates a new version of the intent catalog (its examples must classify as
// they say, and the enforced policy set must still validate against its intent names) and,
// if it passes, records, stores and activates it.
func (a *Authority) PutIntents(ctx context.Context, c Caller, up api.IntentUpload) (api.Document, error) {
	h, body, err := a.upload(ctx, c, store.KindIntents, DocumentName, "catalog", up.Catalog, up.RollbackTo)
	if err != nil {
		return api.Document{}, err
	}
	cl, err := intent.Parse(body)
	if err != nil {
		return api.Document{}, invalidDocument(splitErrors(err)...)
	}
	if err := cl.CheckExamples(); err != nil {
		return api.Document{}, invalidDocument(splitErrors(err)...)
	}
	cur := a.documents(ctx)
	if err := cur.policies.Validate(intentNamesOf(cl)); err != nil {
		e := invalidPolicies(err)
		e.Detail = "the enforced policy set does not validate against this catalog's intents"
		return api.Document{}, e
	}
	doc, rec, err := a.storeVersion(ctx, c, h, store.KindIntents, DocumentName, body, up.RollbackTo)
	if err != nil {
		return api.Document{}, err
	}
	a.activate(ctx, func(next *active) { next.classifier, next.intentVersion = cl, doc.Version })
	out := documentView(doc)
	out.Record = rec
	return out, nil
}

// upload begins every document upload: an administrator whom no kill stops (a stopped
// person changes no document: a policy set could permit anything), a signed request not seen
// before, and the body: the text given, or the body of version rollbackTo (exactly one;
// required names the text's field when an empty one is refused).
func (a *Authority) upload(ctx context.Context, c Caller, kind, name, required, text string, rollbackTo int64) (human, []byte, error) {
	h, err := a.authenticateHuman(c, RoleAdmin)
	if err != nil {
		return human{}, nil, err
	}
	if err := a.checkHumanKills(ctx, h); err != nil { // roles.go
		return human{}, nil, err
	}
	if err := a.claimSignature(ctx, c); err != nil { // replay.go
		return human{}, nil, err
	}
	body, err := a.uploadBody(ctx, kind, name, required, text, rollbackTo)
	return h, body, err
}

// uploadBody returns the body of an upload: the text given, or the body of version
// rollbackTo; exactly one must be set.
func (a *Authority) uploadBody(ctx context.Context, kind, name, required, text string, rollbackTo int64) ([]byte, error) {
	switch {
	case text != "" && rollbackTo != 0:
		return nil, fail(ErrInvalid, "give either a document or rollback_to, not both", nil)
	case rollbackTo < 0:
		return nil, fail(ErrInvalid, "rollback_to must be a version number", nil)
	case rollbackTo > 0:
		doc, err := a.document(ctx, kind, name, rollbackTo)
		if err != nil {
			return nil, err
		}
		return doc.Body, nil
	case strings.TrimSpace(text) == "" && required != "":
		return nil, fail(ErrInvalid, required+" is required", nil)
	case len(text) > MaxDocumentBytes:
		return nil, invalidDocument(fmt.Sprintf("the document is %d bytes; the limit is %d", len(text), MaxDocumentBytes))
	}
	return []byte(text), nil
}

// storeVersion records and stores body as the next version of kind/name.
func (a *Authority) storeVersion(ctx context.Context, c Caller, h human, kind, name string, body []byte, rollbackOf int64) (store.Document, *api.RecordRef, error) {
	latest, err := a.store.LatestDocument(ctx, kind, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		latest.Version = 0
	case err != nil:
		return store.Document{}, nil, fail(ErrUnavailable, "the latest version could not be read", err)
	}
	sum := sha256.Sum256(body)
	doc := store.Document{Kind: kind, Name: name, Version: latest.Version + 1, Body: body, CreatedBy: h.Name, CreatedAt: a.now().UTC()}
	rec, err := a.chain.Append(ctx, audit.Record{
		Session: audit.AdminChain, Type: audit.TypeAdminChange, RequestID: c.RequestID,
		Identity: audit.Identity{Operator: h.Name, OperatorVerified: true},
		Admin:    &audit.Admin{Kind: kind, Name: name, Version: doc.Version, SHA256: hex.EncodeToString(sum[:]), By: h.Name, RollbackOf: rollbackOf},
	})
	if err != nil {
		return store.Document{}, nil, fail(ErrUnavailable, "the change could not be recorded; nothing was stored", err)
	}
	err = a.store.PutDocument(ctx, doc)
	if errors.Is(err, store.ErrExists) {
		return store.Document{}, nil, fail(ErrConflict, fmt.Sprintf("version %d was stored by someone else meanwhile; read it and retry", doc.Version), nil)
	}
	if err != nil {
		return store.Document{}, nil, fail(ErrUnavailable, "the new version could not be stored", err)
	}
	a.log.InfoContext(ctx, "document stored", "request_id", c.RequestID, "kind", kind, "name", name, "version", doc.Version, "by", h.Name)
	return doc, &api.RecordRef{Seq: rec.Seq, Hash: rec.Hash}, nil
}

// activate applies change to a copy of the active documents and makes it active.
func (a *Authority) activate(ctx context.Context, change func(*active)) {
	a.docs.mu.Lock()
	defer a.docs.mu.Unlock()
	next := *a.current()
	change(&next)
	a.setCurrent(&next)
}

func (a *Authority) document(ctx context.Context, kind, name string, version int64) (store.Document, error) {
	var doc store.Document
	var err error
	switch {
	case version < 0:
		return store.Document{}, fail(ErrInvalid, "version must be a positive number", nil)
	case version == 0:
		doc, err = a.store.LatestDocument(ctx, kind, name)
	default:
		doc, err = a.store.GetDocument(ctx, kind, name, version)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Document{}, fail(ErrNotFound, fmt.Sprintf("no version %d of %s %q", version, kind, name), nil)
	}
	if err != nil {
		return store.Document{}, fail(ErrUnavailable, "the document could not be read", err)
	}
	return doc, nil
}

// ErrNotFound: no such document or version; 404.
var ErrNotFound = errors.New("not found")

func policySetName(mode string) (string, error) {
	switch mode {
	case "", ModeEnforce:
		return DocumentName, nil
	case ModeLogOnly:
		return ShadowDocumentName, nil
	}
	return "", fail(ErrInvalid, fmt.Sprintf("mode must be %q or %q", ModeEnforce, ModeLogOnly), nil)
}

func modeOf(name string) string {
	if name == ShadowDocumentName {
		return ModeLogOnly
	}
	return ModeEnforce
}

func documentView(d store.Document) api.Document {
	sum := sha256.Sum256(d.Body)
	return api.Document{Kind: d.Kind, Name: d.Name, Version: d.Version, SHA256: hex.EncodeToString(sum[:]),
		Body: string(d.Body), CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt}
}

func intentNamesOf(c *intent.Classifier) []string {
	defs := c.Definitions()
	out := make([]string, 0, len(defs)+1)
	for _, d := range defs {
		out = append(out, d.Name)
	}
	return append(out, intent.Unclassified)
}

// invalidPolicies is the 422 of a policy set with the compiler's or validator's problems.
func invalidPolicies(err error) *Error {
	e := &Error{Kind: ErrInvalidDocument, Detail: "the policy set was rejected; nothing was stored", Cause: err}
	for _, p := range policy.Problems(err) {
		e.Problems = append(e.Problems, api.ValidationError{File: p.File, Line: p.Line, Column: p.Column, PolicyID: p.PolicyID, Message: p.Message})
	}
	if len(e.Problems) == 0 {
		e.Problems = []api.ValidationError{{Message: err.Error()}}
	}
	return e
}

// invalidDocument is the 422 of a document with the given problems.
func invalidDocument(messages ...string) *Error {
	e := &Error{Kind: ErrInvalidDocument, Detail: "the document was rejected; nothing was stored"}
	for _, m := range messages {
		e.Problems = append(e.Problems, api.ValidationError{Message: m})
	}
	return e
}

// splitErrors lists the messages of a joined error.
func splitErrors(err error) []string {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range u.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}
