package query_test

import (
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/query"
)

func TestGlueTableIsTheArchiveLayout(t *testing.T) {
	t.Parallel()
	if query.Prefix != archive.AuditPrefix {
		t.Fatalf("query.Prefix %q != archive.AuditPrefix %q", query.Prefix, archive.AuditPrefix)
	}
	g := query.Glue("audit-bucket")
	checks := map[string]string{
		"projection.enabled":        "true",
		"projection.dt.type":        "date",
		"projection.dt.format":      "yyyy-MM-dd",
		"storage.location.template": "s3://audit-bucket/audit/dt=${dt}/",
	}
	for k, v := range checks {
		if g.Parameters[k] != v {
			t.Errorf("parameter %s = %q, want %q", k, g.Parameters[k], v)
		}
	}
	if g.SerDe != "org.openx.data.jsonserde.JsonSerDe" || g.Location != "s3://audit-bucket/audit/" || len(g.PartitionKeys) != 1 || g.PartitionKeys[0].Name != "dt" {
		t.Fatalf("table %+v", g)
	}
	types := map[string]string{}
	for _, c := range g.Columns {
		types[c.Name] = c.Type
	}
	if got := types["identity"]; got != "struct<agent:string,agent_kind:string,operator:string,operator_verified:boolean,operator_method:string,operator_issuer:string>" {
		t.Errorf("identity: %s", got)
	}
	if got := types["intents"]; got != "array<struct<name:string,score:double,evidence:array<string>>>" {
		t.Errorf("intents: %s", got)
	}
	if !strings.Contains(types["result"], "masking:map<string,bigint>") {
		t.Errorf("result: %s", types["result"])
	}
}

func TestNamedQueriesAreFound(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"actions_by_operator", "denied_actions", "approvals", "masked_data_events", "session_timeline", "incomplete_actions"} {
		n, ok := query.Find(name)
		if !ok || n.SQL == "" || n.Description == "" || strings.Count(n.SQL, "?") != len(n.Params) {
			t.Errorf("%s: %+v", name, n)
		}
	}
	if _, ok := query.Find("drop_everything"); ok {
		t.Fatal("found a query that does not exist")
	}
}
