package policy

import (
	"github.com/cedar-policy/cedar-go"

	"github.com/mandate-dev/mandate/shared/action"
)

// HTTP is what policy sees of an http action beyond its resource (the canonical path
// without its query), as context.http:
//
//	context.http.query         Set<{name: String, value: String}>  the query's parameters, decoded
//	context.http.query_names   Set<String>                         their names, each once
//	context.http.query_string  String                              the canonical query ("" if none)
//
// For actions of other kinds the record is present with empty sets and "", so a policy can
// test it without `has`. An approval asked for an action covers its query too.
type HTTP = action.Path

var emptyHTTP = cedar.NewRecord(cedar.RecordMap{"query": cedar.NewSet(), "query_names": cedar.NewSet(), "query_string": cedar.String("")})

func httpRecord(p *HTTP) cedar.Value {
	if p == nil || len(p.Query) == 0 {
		return emptyHTTP
	}
	params := make([]cedar.Value, len(p.Query))
	for i, q := range p.Query {
		params[i] = cedar.NewRecord(cedar.RecordMap{"name": cedar.String(q.Name), "value": cedar.String(q.Value)})
	}
	return cedar.NewRecord(cedar.RecordMap{
		"query":        cedar.NewSet(params...),
		"query_names":  stringSet(p.Names()),
		"query_string": cedar.String(p.RawQuery()),
	})
}
