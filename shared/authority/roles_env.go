package authority

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mandate-dev/mandate/shared/person"
)

// Environment variables naming the humans of a deployment in AWS, read by RolesFromEnv: a
// comma-separated list of verified identities (IAM user or role ARNs, as the authority sees
// them), each optionally followed by =NAME, the human's name (default: the ARN's last
// element).
const (
	EnvOperators = "MANDATE_OPERATORS"
	EnvAdmins    = "MANDATE_ADMINS"
	// EnvSessionBoundRoles is a comma-separated list of role ARNs whose role session names
	// AWS binds to the workload (Roles.SessionBound): the agent caller role.
	EnvSessionBoundRoles = "MANDATE_SESSION_BOUND_ROLES"
	// EnvPeople is the directory of humans as JSON: [{"id": "ada@example.com", "aliases":
	// [...], "iam": ["arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION", ...], "oidc":
	// [{"issuer": ..., "subject": ...}]}] (shared/person). With it, a human route refuses a
	// caller who is nobody in it.
	EnvPeople = "MANDATE_PEOPLE"
)

// RolesFromEnv reads EnvOperators and EnvAdmins. Unset variables name nobody, so the human
// routes refuse every caller (fail closed).
func RolesFromEnv(getenv func(string) string) (Roles, error) {
	r := Roles{Operators: map[string]string{}, Admins: map[string]string{}}
	var errs []string
	for _, v := range []struct {
		env string
		m   map[string]string
	}{{EnvOperators, r.Operators}, {EnvAdmins, r.Admins}} {
		for _, item := range strings.Split(getenv(v.env), ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			id, name, ok := strings.Cut(item, "=")
			if !ok {
				name = id[strings.LastIndexAny(id, "/:")+1:]
			}
			if !strings.HasPrefix(id, "arn:") || name == "" {
				errs = append(errs, fmt.Sprintf("%s: %q is not ARN[=NAME]", v.env, item))
				continue
			}
			v.m[id] = name
		}
	}
	for _, item := range strings.Split(getenv(EnvSessionBoundRoles), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.HasPrefix(item, "arn:") || !strings.Contains(item, ":role/") {
			errs = append(errs, fmt.Sprintf("%s: %q is not a role ARN", EnvSessionBoundRoles, item))
			continue
		}
		if r.SessionBound == nil {
			r.SessionBound = map[string]bool{}
		}
		r.SessionBound[item] = true
	}
	if raw := strings.TrimSpace(getenv(EnvPeople)); raw != "" {
		var people []person.Person
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&people); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", EnvPeople, err))
		} else if r.People, err = person.New(people); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", EnvPeople, err))
		}
	}
	if len(errs) > 0 {
		return Roles{}, fmt.Errorf("authority: %s", strings.Join(errs, "; "))
	}
	return r, nil
}
