package local

import (
	"fmt"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/person"
)

// Humans of a fresh configuration: a second operator, who approves what the first one's
// agent asks for, and an administrator.
const (
	DefaultApprover = "grace@example.com"
	DefaultAdmin    = "admin@example.com"
	// SecondAdmin is the second administrator a two-person rule (enforcement off) needs.
	SecondAdmin = "margaret@example.com"
)

// validateHumans checks the key pairs of operators and administrators; seen holds the access
// key ids already taken (by agents) and is extended. A human listed both as operator and as
// administrator may use one key pair for both.
func (c Config) validateHumans(seen map[string]bool) []error {
	var errs []error
	agents := map[string]bool{}
	for _, a := range c.Agents {
		agents[a.Name] = true
	}
	keyOf := map[string]string{} // access key id -> human name
	for _, list := range []struct {
		field  string
		humans []Operator
	}{{"operators", c.Operators}, {"admins", c.Admins}} {
		for i, h := range list.humans {
			switch {
			case h.Name == "":
				errs = append(errs, fmt.Errorf("%s[%d]: name is required", list.field, i))
			case agents[h.Name]:
				errs = append(errs, fmt.Errorf("%s[%d]: %q is also an agent; agents and humans never share an identity", list.field, i, h.Name))
			}
			if h.AccessKeyID == "" && h.SecretAccessKey == "" {
				if list.field == "admins" {
					errs = append(errs, fmt.Errorf("admins[%d]: access_key_id and secret_access_key are required", i))
				}
				continue
			}
			if h.AccessKeyID == "" || len(h.SecretAccessKey) < 20 {
				errs = append(errs, fmt.Errorf("%s[%d]: access_key_id and a secret_access_key of at least 20 characters are required together", list.field, i))
				continue
			}
			if name, ok := keyOf[h.AccessKeyID]; ok && name == h.Name {
				continue // the same human in both lists
			}
			if seen[h.AccessKeyID] {
				errs = append(errs, fmt.Errorf("%s[%d]: duplicate access_key_id", list.field, i))
			}
			seen[h.AccessKeyID] = true
			keyOf[h.AccessKeyID] = h.Name
		}
	}
	return errs
}

// identities returns the SigV4 keys of agents and humans, and the roles of the humans.
func (c Config) identities() ([]identity.Key, authority.Roles) {
	roles := authority.Roles{Operators: map[string]string{}, Admins: map[string]string{}}
	var keys []identity.Key
	taken := map[string]bool{}
	add := func(name, id, secret string) {
		if id == "" || taken[id] {
			return
		}
		taken[id] = true
		keys = append(keys, identity.Key{Agent: name, AccessKeyID: id, SecretAccessKey: secret})
	}
	for _, a := range c.Agents {
		add(a.Name, a.AccessKeyID, a.SecretAccessKey)
	}
	for _, h := range c.Operators {
		if h.AccessKeyID != "" {
			add(h.Name, h.AccessKeyID, h.SecretAccessKey)
			roles.Operators[identity.LocalARN(h.Name)] = h.Name
		}
	}
	for _, h := range c.Admins {
		if h.AccessKeyID != "" {
			add(h.Name, h.AccessKeyID, h.SecretAccessKey)
			roles.Admins[identity.LocalARN(h.Name)] = h.Name
		}
	}
	roles.People, _ = person.New(c.people()) // Validate refused an inconsistent directory
	roles.Agents = map[string]string{}
	for _, a := range c.Agents {
		id := identity.LocalARN(a.Name)
		roles.Agents[a.Name], roles.Agents[id] = id, id
		if a.AccessKeyID != "" {
			roles.Agents[a.AccessKeyID] = id
		}
	}
	return keys, roles
}

// people is the directory of humans: every operator and administrator, each one person
// (listed in both, still one), proven by their signing key and their OIDC identities.
func (c Config) people() []person.Person {
	var out []person.Person
	for _, list := range [][]Operator{c.Operators, c.Admins} {
		for _, h := range list {
			p := person.Person{ID: h.Name, Aliases: h.Aliases, OIDC: h.OIDC}
			if h.AccessKeyID != "" {
				p.IAM = []string{identity.LocalARN(h.Name)}
			}
			out = append(out, p)
		}
	}
	return out
}

// humanKeys are the access key ids of operators and administrators.
func (c Config) humanKeys() map[string]bool {
	out := map[string]bool{}
	for _, list := range [][]Operator{c.Operators, c.Admins} {
		for _, h := range list {
			if h.AccessKeyID != "" {
				out[h.AccessKeyID] = true
			}
		}
	}
	return out
}
