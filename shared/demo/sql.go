package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
)

// sqlRecords is how many records the SQL scenario adds to the session's chain: the refusal.
const sqlRecords = 1

// destructiveSQL is the statement the agent tries on the warehouse.
const destructiveSQL = "DROP TABLE customers"

// sqlScenario: the agent tries a destructive statement on the PostgreSQL warehouse. The
// statement is parsed by PostgreSQL's own parser and refused by policy before any role is
// created or any connection made, so this scenario needs no running PostgreSQL (the
// integration tests run allowed statements against a real server). A binary built without
// cgo has no parser: then the refusal is "unsupported" and the demo says so.
func sqlScenario(ctx context.Context, n *narrator, agent *client.Client, session string) {
	n.say("\n4b. The agent tries a destructive statement on the PostgreSQL target %q:\n     %s", local.DemoSQLTarget, destructiveSQL)
	_, err := agent.Act(ctx, session, api.ActionRequest{Action: api.Action{Kind: api.KindSQL, Target: local.DemoSQLTarget, Statement: destructiveSQL}})
	var pe *client.ProblemError
	errors.As(err, &pe)
	if !pgquery.Available {
		ok := pe != nil && pe.Status == http.StatusBadRequest
		n.say("   -> this build has no PostgreSQL parser (built without cgo): refused as unsupported (%v)", err)
		n.expect(ok, "destructive sql", fmt.Sprintf("want 400 without a parser, got %v", err))
		return
	}
	if pe == nil {
		n.say("   -> %v", err)
		n.expect(false, "destructive sql", "the statement was not refused")
		return
	}
	n.say("   -> parsed as sql:DROP on public.customers; denied (%d) by %v", pe.Status, pe.Reasons)
	if pe.Record != nil {
		n.say("   -> recorded as #%d; no database role was created and PostgreSQL was never contacted", pe.Record.Seq)
	}
	n.expect(pe.Status == http.StatusForbidden && slices.Contains(pe.Reasons, "forbid-destructive-sql"), "destructive sql",
		fmt.Sprintf("status %d, reasons %v", pe.Status, pe.Reasons))
}
