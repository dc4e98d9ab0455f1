package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/target"
)

// Plan is what Mint would mint for an action, without minting it and without any secret:
// the contract of `mandate explain`.
type Plan struct {
	// Kind is what would be minted: "action-token", "postgres-ephemeral-role", "sts-session",
	// "rds-iam-token".
	Kind string `json:"kind"`
	// Lifetime is how long it would be valid.
	Lifetime string `json:"lifetime"`
	// Header is where an http credential would be injected (never its value).
	Header string `json:"header,omitempty"`
	// Role and Grants describe the ephemeral PostgreSQL role of a sql action (ROLE stands
	// for its name, which is random).
	Role   string   `json:"role,omitempty"`
	Grants []string `json:"grants,omitempty"`
	// MemberOf are the standing roles (StandingPrefix) through which the ephemeral role holds
	// its grants, one per table and privilege.
	MemberOf []string `json:"member_of,omitempty"`
	// Lineage is, per output column of a sql statement, the table columns it reads and the
	// class it is masked by (ClassifiedColumns of the target).
	Lineage []sqlparse.Output `json:"lineage,omitempty"`
	// AWS is the AssumeRole request of an aws action.
	RoleARN         string            `json:"role_arn,omitempty"`
	RoleSessionName string            `json:"role_session_name,omitempty"`
	SourceIdentity  string            `json:"source_identity,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	DurationSeconds int32             `json:"duration_seconds,omitempty"`
	SessionPolicy   json.RawMessage   `json:"session_policy,omitempty"`
}

// Plan describes what Mint would mint for action a on target t, computed by the same code.
func (b *Broker) Plan(_ context.Context, t target.Target, a api.Action, sc Scope) (Plan, error) {
	if t.Kind != a.Kind {
		return Plan{}, fmt.Errorf("%w: %s action on %s target %q", ErrUnsupported, a.Kind, t.Kind, t.Name)
	}
	switch t.Kind {
	case api.KindHTTP:
		return Plan{Kind: "action-token", Lifetime: time.Duration(t.CredentialTTL).String(), Header: t.AuthHeader}, nil
	case api.KindSQL:
		if sc.Statement == nil {
			return Plan{}, fmt.Errorf("%w: sql action without a parsed statement", ErrUnsupported)
		}
		grants, err := SQLGrants(t, *sc.Statement)
		if err != nil {
			return Plan{}, err
		}
		if t.IAMAuth() {
			p, err := PlanRDS(t, sc, b.now())
			if err != nil {
				return Plan{}, err
			}
			return Plan{Kind: "rds-iam-token", Lifetime: time.Duration(t.PolicyWindow).String(),
				Role:    t.User + " (IAM database authentication; the statement runs with this user's privileges)",
				Lineage: sqlparse.WithClasses(sc.Statement.Outputs, t.ClassifiedColumns),
				RoleARN: p.RoleARN, RoleSessionName: p.RoleSessionName, SourceIdentity: p.SourceIdentity, Tags: p.Tags,
				DurationSeconds: p.DurationSeconds, SessionPolicy: p.SessionPolicy}, nil
		}
		return Plan{Kind: "postgres-ephemeral-role", Lifetime: time.Duration(t.CredentialTTL).String(),
			Role:   RolePrefix + "<record>_<random> LOGIN VALID UNTIL now+" + time.Duration(t.CredentialTTL).String() + " CONNECTION LIMIT 2, dropped after the action",
			Grants: grants, MemberOf: standingRoles(t, *sc.Statement), Lineage: sqlparse.WithClasses(sc.Statement.Outputs, t.ClassifiedColumns)}, nil
	case api.KindAWS:
		p, err := PlanAWS(t, a, sc, b.now())
		if err != nil {
			return Plan{}, err
		}
		return Plan{Kind: "sts-session", Lifetime: time.Duration(t.PolicyWindow).String(), RoleARN: p.RoleARN,
			RoleSessionName: p.RoleSessionName, SourceIdentity: p.SourceIdentity, Tags: p.Tags,
			DurationSeconds: p.DurationSeconds, SessionPolicy: p.SessionPolicy}, nil
	}
	return Plan{}, fmt.Errorf("%w: %s target %q", ErrUnsupported, t.Kind, t.Name)
}
