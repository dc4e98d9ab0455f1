package authority

import (
	"fmt"
	"strings"
)

// Environment variables naming the humans of a deployment in AWS, read by RolesFromEnv: a
// comma-separated list of verified identities (IAM user or role ARNs, as the authority sees
// them), each optionally followed by =NAME, the human's name (default: the ARN's last
// element).
const (
	EnvOperators = "MANDATE_OPERATORS"
	EnvAdmins    = "MANDATE_ADMINS"
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
	if len(errs) > 0 {
		return Roles{}, fmt.Errorf("authority: %s", strings.Join(errs, "; "))
	}
	return r, nil
}
