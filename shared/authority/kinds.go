package authority

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/iamaction"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/target"
)

// sqlParser parses one SQL statement (pgquery.Parser). With none configured, SQL actions are
// refused as unsupported: a function built without the PostgreSQL parser fails closed.
type sqlParser interface {
	Parse(sql string) (sqlparse.Statement, error)
}

// ReasonOutsideTarget starts the reason of a refusal for a table or resource that the target
// does not allow; the table or ARN follows the colon.
const ReasonOutsideTarget = "outside-target:"

// ReasonStoresClassified is the reason of a refusal for a write that stores values read from
// a classified column in a column not classified the same (sqlparse.StoresClassified).
const ReasonStoresClassified = "sql-stores-classified"

// ReasonTokenUnplaced is the reason of a refusal for a masking token in a SQL statement that
// stands anywhere but compared with, or stored in, a classified column (sqlparse.Unplaced):
// the statement would compute with the value the token stands for.
const ReasonTokenUnplaced = "sql-token-unplaced"

// checkKind validates the kind-specific part of a canonical action on its target, before
// policy and before anything is minted: an http path stays under the base URL; a sql
// statement is exactly one parsed statement of a supported type touching only the target's
// tables, storing no classified value in a column not classified the same, with each masking
// token a plain literal compared with or stored in a classified column; an aws operation is
// a supported one on a resource inside the target's patterns. It completes a sql action's
// name and resource for policy and the record.
func (a *Authority) checkKind(t target.Target, c *action.Action) (*sqlparse.Statement, *Error) {
	switch c.Kind {
	case api.KindHTTP:
		if _, err := execute.URL(t, c.Action); err != nil {
			return nil, fail(ErrInvalid, "the path is not acceptable", err)
		}
		return nil, nil
	case api.KindSQL:
		if a.sql == nil {
			return nil, fail(ErrUnsupported, "this deployment has no SQL parser", nil)
		}
		st, err := a.sql.Parse(c.Statement)
		switch {
		case errors.Is(err, sqlparse.ErrNoParser):
			return nil, fail(ErrUnsupported, "this deployment has no SQL parser", err)
		case errors.Is(err, sqlparse.ErrSyntax):
			return nil, fail(ErrInvalid, "the statement does not parse as PostgreSQL", err)
		case errors.Is(err, sqlparse.ErrMultiple):
			return nil, fail(ErrInvalid, "send exactly one statement", err)
		case errors.Is(err, sqlparse.ErrUnsupported):
			return nil, fail(ErrUnsupported, strings.TrimPrefix(err.Error(), "sqlparse: "), err)
		case err != nil:
			return nil, fail(ErrInvalid, "the statement could not be read", err)
		}
		c.Name, c.Resource = "sql:"+st.Type, strings.Join(st.TableNames(), ",")
		if what := st.Disallowed(t.AllowedFunctions); what != "" {
			return nil, &Error{Kind: ErrUnsupported, Detail: fmt.Sprintf("%s is not allowed on target %q (only pure built-in functions and those the target lists)", what, t.Name),
				Reasons: []string{"sql-" + strings.ReplaceAll(what, " ", ":")}}
		}
		for _, name := range st.TableNames() {
			if !t.AllowsTable(name) {
				return nil, &Error{Kind: ErrDenied, Detail: fmt.Sprintf("table %s is outside target %q", name, t.Name),
					Reasons: []string{ReasonOutsideTarget + name}}
			}
		}
		if why := sqlparse.StoresClassified(st, t.ClassifiedColumns); why != "" {
			return nil, &Error{Kind: ErrDenied, Detail: why + ": masking follows a class only in its own columns",
				Reasons: []string{ReasonStoresClassified}}
		}
		if toks := mask.FindTokens(c.Statement); len(toks) > 0 {
			why := st.Unplaced(toks, t.ClassifiedColumns)
			if why == "" && !tokensQuoted(c.Statement) {
				why = "a token may stand only as a whole plain string literal ('tok_...'), not outside one, in an escape string (E'...') or another prefixed one"
			}
			if why != "" {
				return nil, &Error{Kind: ErrDenied, Detail: why, Reasons: []string{ReasonTokenUnplaced}}
			}
		}
		return &st, nil
	case api.KindAWS:
		op, err := iamaction.Lookup(c.Service, c.Operation)
		if err != nil {
			return nil, fail(ErrUnsupported, fmt.Sprintf("operation %s:%s is not supported", c.Service, c.Operation), err)
		}
		if _, err := op.Resource(c.Action.Resource); err != nil {
			return nil, fail(ErrInvalid, strings.TrimPrefix(err.Error(), "iamaction: "), err)
		}
		if !t.AllowsResource(c.Action.Resource) {
			return nil, &Error{Kind: ErrDenied, Detail: fmt.Sprintf("resource %s is outside target %q", c.Action.Resource, t.Name),
				Reasons: []string{ReasonOutsideTarget + c.Action.Resource}}
		}
		return nil, nil
	}
	return nil, fail(ErrUnsupported, fmt.Sprintf("action kind %q is not supported", c.Kind), nil)
}

// primaryIntent is the session's first (highest-ranked) intent, for session tags.
func primaryIntent(in []api.Intent) string {
	if len(in) == 0 {
		return ""
	}
	return in[0].Name
}

// sqlContext is the statement on target t as policy sees it (context.sql).
func sqlContext(st *sqlparse.Statement, t target.Target) *policy.SQL {
	if st == nil {
		return nil
	}
	return &policy.SQL{Type: st.Type, Tables: st.TableNames(), Columns: st.Columns, Functions: st.Functions,
		Classes: sqlparse.ClassesRead(*st, t.ClassifiedColumns)}
}
