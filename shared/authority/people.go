package authority

import (
	"context"
	"errors"
	"fmt"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/person"
	"github.com/mandate-dev/mandate/shared/store"
)

// PeopleDocument is the directory of people as a versioned document of the policy store
// (kind policies, like the enforcement switch): administrators manage it through
// PUT|GET /v1/people, every version is recorded, and it replaces the configured directory
// (Roles.People) once one is stored.
const PeopleDocument = "people"

// loadPeople loads the latest stored directory into cur, if there is one and it is newer.
func (a *Authority) loadPeople(ctx context.Context, cur *active) error {
	doc, err := a.store.LatestDocument(ctx, store.KindPolicies, PeopleDocument)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("authority: load %s: %w", PeopleDocument, err)
	case doc.Version == cur.peopleVersion && cur.people != nil:
		return nil
	}
	d, err := person.Parse(doc.Body)
	if err != nil {
		return fmt.Errorf("authority: %s v%d: %w", PeopleDocument, doc.Version, err)
	}
	cur.people, cur.peopleVersion = d, doc.Version
	return nil
}

// directory is the directory of people in force: the stored one, else the configured one.
func (a *Authority) directory() *person.Directory {
	if cur := a.current(); cur != nil && cur.people != nil {
		return cur.people
	}
	return a.roles.People
}

// personKey is the key separation-of-duties checks compare for a name: the directory id, or
// for a name the directory does not know, the normalised name (never a directory id: ByName
// would have found it). known says which.
func (a *Authority) personKey(name string) (string, bool) {
	if id, ok := a.directory().ByName(name); ok {
		return id, true
	}
	return person.Normalize(name), false
}

// operatorOfSession is the person behind a session: resolved by the issuer and subject of a
// verified operator token, else by name.
func (a *Authority) operatorOfSession(s store.Session) (key string, known bool) {
	if s.OperatorVerified && s.OperatorIssuer != "" {
		if id, ok := a.directory().ByOIDC(s.OperatorIssuer, s.Operator); ok {
			return id, true
		}
	}
	return a.personKey(s.Operator)
}

// PutPeople validates and stores a new version of the directory of people as an
// administrator, and makes it active on this authority at once (on others within their
// reload interval). A directory in which two people share a name or identity is refused.
func (a *Authority) PutPeople(ctx context.Context, c Caller, up api.PeopleUpload) (api.Document, error) {
	h, body, err := a.upload(ctx, c, store.KindPolicies, PeopleDocument, "people", up.People, up.RollbackTo)
	if err != nil {
		return api.Document{}, err
	}
	d, err := person.Parse(body)
	if err != nil {
		return api.Document{}, invalidDocument(splitErrors(err)...)
	}
	doc, rec, err := a.storeVersion(ctx, c, h, store.KindPolicies, PeopleDocument, body, up.RollbackTo)
	if err != nil {
		return api.Document{}, err
	}
	a.activate(ctx, func(next *active) { next.people, next.peopleVersion = d, doc.Version })
	out := documentView(doc)
	out.Record = rec
	return out, nil
}

// GetPeople returns a version (0: the latest) of the stored directory to an administrator.
func (a *Authority) GetPeople(ctx context.Context, c Caller, version int64) (api.Document, error) {
	if _, err := a.authenticateHuman(c, RoleAdmin); err != nil {
		return api.Document{}, err
	}
	doc, err := a.document(ctx, store.KindPolicies, PeopleDocument, version)
	if err != nil {
		return api.Document{}, err
	}
	return documentView(doc), nil
}
