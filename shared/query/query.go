package query

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/audit"
)

// Table is the name of the audit table in Athena (in Database) and of the view `mandate
// query` defines locally.
const Table = "audit"

// Database is the default Glue database name.
const Database = "mandate"

// Prefix is where the audit objects live in the bucket: archive.AuditPrefix (a test keeps
// them equal; this package does not import the archive and its AWS SDK).
const Prefix = "audit/"

// PartitionKey is the partition column: the dt of the object's key.
const PartitionKey = "dt"

// Type is a column type, rendered for Hive DDL (Glue) and for DuckDB.
type Type struct {
	kind   string // string, bigint, double, boolean, struct, array, map
	fields []Column
	elem   *Type
}

// Column is a named, typed column or struct field.
type Column struct {
	Name string
	Type Type
	// Doc says what the field holds.
	Doc string
}

// typeOf maps a Go type of the record to a column type, as encoding/json writes it.
func typeOf(t reflect.Type) Type {
	switch t {
	case reflect.TypeFor[time.Time]():
		return Type{kind: "string"} // RFC 3339, nanoseconds, UTC
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeOf(t.Elem())
	case reflect.String:
		return Type{kind: "string"}
	case reflect.Bool:
		return Type{kind: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Type{kind: "bigint"}
	case reflect.Float32, reflect.Float64:
		return Type{kind: "double"}
	case reflect.Slice, reflect.Array:
		e := typeOf(t.Elem())
		return Type{kind: "array", elem: &e}
	case reflect.Map:
		e := typeOf(t.Elem())
		return Type{kind: "map", elem: &e}
	case reflect.Struct:
		return Type{kind: "struct", fields: fieldsOf(t)}
	}
	panic(fmt.Sprintf("query: no column type for %s", t))
}

// fieldsOf lists a struct's JSON fields in declaration order.
func fieldsOf(t reflect.Type) []Column {
	var out []Column
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, Column{Name: name, Type: typeOf(f.Type), Doc: docs[name]})
	}
	return out
}

// docs describe the top-level columns; shared/audit/SCHEMA.md describes every field.
var docs = map[string]string{
	"v":          "record schema version",
	"session":    "chain id: a session id, or admin for administrative changes",
	"seq":        "position in the chain, from 1 without gaps",
	"prev_hash":  "hash of the previous record of the chain (empty for seq 1)",
	"type":       "session.open, session.close, decision, result, approval.*, admin.change",
	"time":       "RFC 3339 UTC time the record was appended, nanoseconds",
	"request_id": "id of the request that wrote the record",
	"identity":   "blended identity: agent and operator",
	"prompt":     "session.open: the masked prompt and the SHA-256 of the original",
	"intents":    "classified intents with evidence",
	"action":     "decision: what was asked, on which target and resource",
	"verdict":    "decision: allow, deny or approval, and the deciding policies",
	"result":     "result: outcome, response digest and masking counts",
	"approval":   "approval.*: one step of an approval",
	"admin":      "admin.change: a new version of a policy set or intent catalog",
	"kill":       "kill, kill.revoke, kill.lift.request, kill.lift: a kill switch event (chain control)",
	"hash":       "the record's hash: SHA-256 of 0x00 and its canonical JSON without hash",
}

// Hive renders the type as Glue and Athena DDL write it.
func (t Type) Hive() string {
	switch t.kind {
	case "struct":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = f.Name + ":" + f.Type.Hive()
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case "array":
		return "array<" + t.elem.Hive() + ">"
	case "map":
		return "map<string," + t.elem.Hive() + ">"
	}
	return t.kind
}

// DuckDB renders the type as DuckDB writes it.
func (t Type) DuckDB() string {
	switch t.kind {
	case "struct":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = `"` + f.Name + `" ` + f.Type.DuckDB()
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	case "array":
		return t.elem.DuckDB() + "[]"
	case "map":
		return "MAP(VARCHAR, " + t.elem.DuckDB() + ")"
	case "string":
		return "VARCHAR"
	}
	return strings.ToUpper(t.kind)
}

// Columns are the record's fields (shared/audit.Record), in declaration order, derived from
// the record type so the table cannot drift from what is written. A field a record lacks
// reads as NULL.
var Columns = fieldsOf(reflect.TypeFor[audit.Record]())

// GlueTable is the Glue table definition infra/ creates: external, JSON SerDe over
// gzip-compressed JSON lines, partitioned by dt with partition projection (no crawler).
type GlueTable struct {
	Name          string
	Location      string
	Columns       []GlueColumn
	PartitionKeys []GlueColumn
	InputFormat   string
	OutputFormat  string
	SerDe         string
	SerDeParams   map[string]string
	Parameters    map[string]string
}

// GlueColumn is a column as Glue stores it.
type GlueColumn struct {
	Name, Type, Comment string
}

// Glue returns the table definition over the archive in bucket.
func Glue(bucket string) GlueTable {
	t := GlueTable{
		Name:          Table,
		Location:      fmt.Sprintf("s3://%s/%s", bucket, Prefix),
		PartitionKeys: []GlueColumn{{Name: PartitionKey, Type: "string", Comment: "UTC date of the records, YYYY-MM-DD"}},
		InputFormat:   "org.apache.hadoop.mapred.TextInputFormat",
		OutputFormat:  "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
		SerDe:         "org.openx.data.jsonserde.JsonSerDe",
		SerDeParams:   map[string]string{"ignore.malformed.json": "false", "case.insensitive": "false"},
		Parameters: map[string]string{
			"EXTERNAL":                    "TRUE",
			"classification":              "json",
			"compressionType":             "gzip",
			"projection.enabled":          "true",
			"projection.dt.type":          "date",
			"projection.dt.format":        "yyyy-MM-dd",
			"projection.dt.range":         "2024-01-01,NOW",
			"projection.dt.interval":      "1",
			"projection.dt.interval.unit": "DAYS",
			"storage.location.template":   fmt.Sprintf("s3://%s/%s%s=${dt}/", bucket, Prefix, PartitionKey),
		},
	}
	for _, c := range Columns {
		t.Columns = append(t.Columns, GlueColumn{Name: c.Name, Type: c.Type.Hive(), Comment: c.Doc})
	}
	return t
}

// Named is one named query.
type Named struct {
	Name        string
	Description string
	SQL         string
	// Params name the ? placeholders, in order.
	Params []string
}

// NamedQueries ship with the stack and run locally with `mandate query --named NAME`.
var NamedQueries = []Named{
	{
		Name:        "actions_by_operator",
		Description: "Decided actions per operator and verdict",
		SQL: `SELECT identity.operator AS operator, verdict.decision AS decision, count(*) AS actions
FROM audit
WHERE type = 'decision'
GROUP BY identity.operator, verdict.decision
ORDER BY operator, decision`,
	},
	{
		Name:        "denied_actions",
		Description: "Every denied action with the policies that denied it",
		SQL: `SELECT dt, session, seq, time, identity.agent AS agent, identity.operator AS operator,
  action.name AS action, action.resource AS resource, verdict.reasons AS reasons
FROM audit
WHERE type = 'decision' AND verdict.decision = 'deny'
ORDER BY dt, session, seq`,
	},
	{
		Name:        "approvals",
		Description: "Actions that needed a human's approval, and each step: who asked, who approved or denied, and when",
		SQL: `SELECT dt, session, seq, time, type, identity.operator AS operator,
  action.name AS action, action.resource AS resource, verdict.decision AS decision,
  approval.id AS approval_id, approval.status AS status, approval.by AS approved_by,
  approval.decision_seq AS decision_seq, approval.note AS note
FROM audit
WHERE verdict.decision = 'approval' OR type LIKE 'approval%'
ORDER BY dt, session, seq`,
	},
	{
		Name:        "masked_data_events",
		Description: "Records where sensitive values were masked, with counts per detector",
		SQL: `SELECT dt, session, seq, time, type, identity.operator AS operator,
  result.masking AS response_masking, prompt.masking AS prompt_masking
FROM audit
WHERE cardinality(result.masking) > 0 OR cardinality(prompt.masking) > 0
ORDER BY dt, session, seq`,
	},
	{
		Name:        "session_timeline",
		Description: "Every record of one session, in chain order, read only from the partitions (dt, YYYY-MM-DD) of the days given",
		SQL: `SELECT seq, time, type, identity.operator AS operator, action.name AS action,
  action.resource AS resource, verdict.decision AS decision, result.outcome AS outcome,
  approval.by AS approved_by, hash
FROM audit
WHERE dt BETWEEN ? AND ? AND session = ?
ORDER BY seq`,
		Params: []string{"from_dt", "to_dt", "session"},
	},
	{
		Name:        "incomplete_actions",
		Description: "Allowed decisions without a result: executed or not, nobody recorded the outcome",
		SQL: `SELECT d.dt, d.session, d.seq, d.time, d.identity.operator AS operator,
  d.action.name AS action, d.action.resource AS resource
FROM audit d
WHERE d.type = 'decision' AND d.verdict.decision = 'allow'
  AND NOT EXISTS (
    SELECT 1 FROM audit r
    WHERE r.type = 'result' AND r.session = d.session AND r.result.decision_seq = d.seq)
ORDER BY d.dt, d.session, d.seq`,
	},
}

// Find returns the named query; false if there is none.
func Find(name string) (Named, bool) {
	i := slices.IndexFunc(NamedQueries, func(n Named) bool { return n.Name == name })
	if i < 0 {
		return Named{}, false
	}
	return NamedQueries[i], true
}
