package sqlparse

import (
	"fmt"
	"strings"
)

// Functions and casts are the second way a statement reaches what the table allow-list never
// sees (query_to_xml('SELECT ... FROM pg_roles'), pg_stat_get_activity, lo_from_bytea, a
// SECURITY DEFINER function in VALUES): every function call and every cast in the parse
// tree is named in Statement.Functions and Statement.Casts, and only those in the built-in
// default (pure, side-effect-free) or listed by the target run (Allowed).

// DefaultFunctions are the functions every target allows: aggregates, string, math,
// date/time, comparison and JSON-building functions that read only their arguments and
// change nothing. Catalogue readers, large objects, dblink, *_to_xml, set_config,
// current_setting, pg_sleep, advisory locks and the like are not here.
var DefaultFunctions = setOf(
	// aggregates
	"count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "string_agg", "array_agg",
	"stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "percentile_cont", "percentile_disc", "mode",
	// string
	"lower", "upper", "initcap", "length", "char_length", "character_length", "octet_length", "bit_length",
	"substr", "substring", "left", "right", "trim", "btrim", "ltrim", "rtrim", "lpad", "rpad", "concat", "concat_ws",
	"replace", "reverse", "repeat", "split_part", "strpos", "position", "starts_with", "format", "translate",
	"regexp_replace", "regexp_match", "regexp_matches", "regexp_like", "regexp_count", "regexp_substr", "md5",
	// math
	"abs", "ceil", "ceiling", "floor", "round", "trunc", "mod", "power", "sqrt", "cbrt", "exp", "ln", "log", "log10",
	"sign", "greatest", "least", "div", "width_bucket", "gcd", "lcm",
	// date and time
	"now", "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp",
	"date_trunc", "date_part", "extract", "age", "make_date", "make_time", "make_timestamp", "make_interval",
	"to_char", "to_date", "to_timestamp", "to_number", "justify_days", "justify_hours", "justify_interval", "date_bin",
	// conditional and comparison
	"coalesce", "nullif", "num_nulls", "num_nonnulls",
	// JSON built from the query's own values
	"json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array", "to_json", "to_jsonb",
	"json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "jsonb_extract_path", "jsonb_extract_path_text",
	"json_extract_path", "json_extract_path_text", "jsonb_typeof", "json_typeof", "jsonb_array_length", "json_array_length",
	// arrays
	"array_length", "cardinality", "unnest", "array_position", "array_to_string", "string_to_array",
)

// DefaultCasts are the types every target allows casts to: built-in scalar types. Casts to
// reg* types (which read the catalogue), xml and user-defined types are not here.
var DefaultCasts = setOf(
	"int2", "int4", "int8", "smallint", "integer", "int", "bigint", "numeric", "decimal", "float4", "float8", "real",
	"text", "varchar", "bpchar", "char", "bool", "boolean", "date", "time", "timetz", "timestamp", "timestamptz",
	"interval", "uuid", "json", "jsonb", "money",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// FunctionName is how a call is named: "name" for a built-in (unqualified or in pg_catalog),
// "schema.name" otherwise. Unquoted names arrive lower-cased from the parser; a quoted name
// keeps its case and so matches nothing unless listed that way. A part that holds a dot or a
// quote, or is empty, is written quoted, so the function "app.refresh" in the search path
// (`"app.refresh"()`) is never the function refresh of schema app.
func FunctionName(parts []string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = p
		if p == "" || strings.ContainsAny(p, `."`) {
			q[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
		}
	}
	switch {
	case len(q) == 1:
		return q[0]
	case len(q) == 2 && parts[0] == "pg_catalog":
		return q[1]
	}
	return strings.Join(q, ".")
}

// Disallowed returns the first function or cast of s that neither the default nor extra
// (the target's allowed_functions, which may name "schema.name" functions and types) allows,
// as "function NAME" or "cast to TYPE"; "" when every one is allowed.
func (s Statement) Disallowed(extra []string) string {
	allowed := setOf(extra...)
	for _, f := range s.Functions {
		if !DefaultFunctions[f] && !allowed[f] {
			return fmt.Sprintf("function %s", f)
		}
	}
	for _, c := range s.Casts {
		if !DefaultCasts[c] && !allowed[c] {
			return fmt.Sprintf("cast to %s", c)
		}
	}
	return ""
}
