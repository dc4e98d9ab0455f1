// Package person is the directory of humans: each person has one id and the identities that
// prove them (IAM principals AWS binds to the person, OIDC issuer and subject, email
// aliases). Every separation-of-duties check (an approver is not the session's operator, two
// different humans, a killed person cannot act) compares the ids Resolve returns, never the
// strings a caller sent.
//
// Its place in the flow: shared/authority resolves the caller of a human route and the
// operator of a session through it before any such check; the configuration (config.yaml
// locally) builds it.
//
// Contract: names are compared in their Normalize form (Unicode NFKC, case-folded, trimmed,
// inner white space collapsed); New MUST refuse a directory in which two people share a name,
// alias or identity, so that Resolve never has two answers; a lookup that finds nobody MUST
// say so (ok false), never guess.
package person

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// ErrDirectory means a directory is inconsistent (two people share an identity, or a person
// has no id); fix the configuration.
var ErrDirectory = errors.New("person: invalid directory")

// Subject is an OIDC identity: the issuer and the subject it vouches for.
type Subject struct {
	Issuer  string `yaml:"issuer" json:"issuer"`
	Subject string `yaml:"subject" json:"subject"`
}

// Person is one human.
type Person struct {
	// ID is the person's one id (often their primary email address).
	ID string `yaml:"id" json:"id"`
	// Aliases are other names the person goes by (email aliases); the ID is one too.
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	// IAM are the IAM principal ARNs that are this person (an IAM user, an assumed-role
	// session whose name AWS binds to the person, the local signing key's ARN).
	IAM []string `yaml:"iam,omitempty" json:"iam,omitempty"`
	// OIDC are the OIDC identities that are this person.
	OIDC []Subject `yaml:"oidc,omitempty" json:"oidc,omitempty"`
}

// Directory resolves identities to people. Its zero value (and nil) knows nobody.
type Directory struct {
	byName map[string]string
	byIAM  map[string]string
	byOIDC map[Subject]string
	people map[string]Person
}

// New builds a directory, reporting every inconsistency at once.
func New(people []Person) (*Directory, error) {
	d := &Directory{byName: map[string]string{}, byIAM: map[string]string{}, byOIDC: map[Subject]string{}, people: map[string]Person{}}
	var errs []error
	claim := func(m map[string]string, key, id, what string) {
		if key == "" {
			return
		}
		if other, ok := m[key]; ok && other != id {
			errs = append(errs, fmt.Errorf("%w: %s %q is both %q and %q", ErrDirectory, what, key, other, id))
			return
		}
		m[key] = id
	}
	for i, p := range people {
		id := Normalize(p.ID)
		if id == "" {
			errs = append(errs, fmt.Errorf("%w: people[%d] has no id", ErrDirectory, i))
			continue
		}
		if prev, ok := d.people[id]; ok {
			p.Aliases = append(append(prev.Aliases, p.Aliases...), p.ID)
			p.IAM = append(prev.IAM, p.IAM...)
			p.OIDC = append(prev.OIDC, p.OIDC...)
		}
		p.ID = id
		d.people[id] = p
		claim(d.byName, id, id, "name")
		for _, a := range p.Aliases {
			claim(d.byName, Normalize(a), id, "name")
		}
		for _, arn := range p.IAM {
			claim(d.byIAM, arn, id, "IAM principal")
		}
		for _, s := range p.OIDC {
			if s.Issuer == "" || s.Subject == "" {
				errs = append(errs, fmt.Errorf("%w: person %q has an OIDC identity without issuer or subject", ErrDirectory, id))
				continue
			}
			if other, ok := d.byOIDC[s]; ok && other != id {
				errs = append(errs, fmt.Errorf("%w: OIDC subject %s#%s is both %q and %q", ErrDirectory, s.Issuer, s.Subject, other, id))
				continue
			}
			d.byOIDC[s] = id
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// ByName returns the person a name (an id or alias, in any spelling Normalize folds) is.
func (d *Directory) ByName(name string) (string, bool) {
	if d == nil {
		return "", false
	}
	id, ok := d.byName[Normalize(name)]
	return id, ok
}

// ByIAM returns the person an IAM principal ARN is.
func (d *Directory) ByIAM(arn string) (string, bool) {
	if d == nil {
		return "", false
	}
	id, ok := d.byIAM[arn]
	return id, ok
}

// ByOIDC returns the person an issuer's subject is.
func (d *Directory) ByOIDC(issuer, subject string) (string, bool) {
	if d == nil {
		return "", false
	}
	id, ok := d.byOIDC[Subject{issuer, subject}]
	return id, ok
}

// Len is the number of people.
func (d *Directory) Len() int {
	if d == nil {
		return 0
	}
	return len(d.people)
}

var fold = cases.Fold()

// Normalize is the form names are compared in: Unicode NFKC, case-folded, trimmed, with every
// run of white space one space. " Ada@Example.COM" and "ada@example.com" are one name; a
// look-alike letter from another script stays another name (and so resolves to nobody).
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	s = fold.String(s)
	s = norm.NFKC.String(s)
	return strings.Join(strings.Fields(s), " ")
}

// Parse reads a directory document: a YAML (or JSON) list of people, strictly.
func Parse(raw []byte) (*Directory, error) {
	var people []Person
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&people); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDirectory, err)
	}
	if len(people) == 0 {
		return nil, fmt.Errorf("%w: it lists nobody", ErrDirectory)
	}
	return New(people)
}
