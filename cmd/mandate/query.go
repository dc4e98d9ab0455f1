package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/query"
	"github.com/mandate-dev/mandate/shared/query/duck"
)

// cmdQuery runs SQL over the local archive with DuckDB:
//
//	mandate query [--data DIR] [--format tsv|json] "SELECT ... FROM audit ..." [ARG...]
//	mandate query [--data DIR] --named NAME [ARG...]
//	mandate query --list
func cmdQuery(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("query", stderr)
	dir := fs.String("data", "./.mandate", "data folder whose archive/ is queried")
	named := fs.String("named", "", "run the named query NAME (see --list)")
	list := fs.Bool("list", false, "list the named queries")
	format := fs.String("format", "tsv", "output: tsv (a header line, then one line per row) or json (one object per row)")
	fs.StringVar(format, "output", "tsv", "the same as --format, as the other commands spell it")
	pos, code, ok := parseArgs(fs, args, `mandate query [--data DIR] [--format tsv|json] "SQL" [ARG...] | --named NAME [ARG...] | --list`, nil, stdout, stderr)
	if !ok {
		return code
	}
	if *format != "tsv" && *format != "json" {
		fmt.Fprintf(stderr, "mandate query: --format must be tsv or json, not %q\n", *format)
		return exitUsage
	}
	if *list {
		for _, n := range query.NamedQueries {
			params := ""
			if len(n.Params) > 0 {
				params = " " + strings.ToUpper(strings.Join(n.Params, " "))
			}
			fmt.Fprintf(stdout, "%s%s\n    %s\n", n.Name, params, n.Description)
		}
		return exitOK
	}
	rest := pos
	var sql string
	var params []string
	if *named != "" {
		n, ok := query.Find(*named)
		if !ok {
			fmt.Fprintf(stderr, "mandate query: no named query %q (see mandate query --list)\n", *named)
			return exitUsage
		}
		if len(rest) != len(n.Params) {
			fmt.Fprintf(stderr, "mandate query: %s takes %d arguments (%s)\n", n.Name, len(n.Params), strings.Join(n.Params, ", "))
			return exitUsage
		}
		sql, params = n.SQL, rest
	} else {
		if len(rest) == 0 {
			fmt.Fprintln(stderr, `mandate query: give SQL, e.g. "SELECT type, count(*) FROM audit GROUP BY type", or --named NAME`)
			return exitUsage
		}
		sql, params = rest[0], rest[1:]
	}
	// A folder that is not there is a wrong question, never zero rows.
	if _, err := os.Stat(filepath.Join(*dir, local.ConfigFile)); err != nil {
		fmt.Fprintf(stderr, "mandate query: %s is not a Mandate data folder (no %s): %v\n", *dir, local.ConfigFile, err)
		return exitUsage
	}
	db, err := duck.Open(ctx, filepath.Join(*dir, local.ArchiveDir))
	if err != nil {
		fmt.Fprintf(stderr, "mandate query: %v\n", err)
		return exitFailed
	}
	defer db.Close()
	qargs := make([]any, len(params))
	for i, p := range params {
		qargs[i] = p
	}
	res, err := db.Query(ctx, sql, qargs...)
	if err != nil {
		fmt.Fprintf(stderr, "mandate query: %v\n", err)
		return exitFailed
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		for _, row := range res.Rows {
			obj := make(map[string]any, len(row))
			for i, c := range res.Columns {
				obj[c] = row[i]
			}
			if err := enc.Encode(obj); err != nil {
				fmt.Fprintf(stderr, "mandate query: %v\n", err)
				return exitFailed
			}
		}
		return exitOK
	}
	fmt.Fprintln(stdout, strings.Join(res.Columns, "\t"))
	for _, row := range res.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = cell(v)
		}
		fmt.Fprintln(stdout, strings.Join(cells, "\t"))
	}
	return exitOK
}

// cell renders one value on a TSV line: strings as they are (tabs and line breaks as
// spaces), NULL as nothing, everything else (numbers, lists, maps, structs) as JSON.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
