package pgquery

import (
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/mandate-dev/mandate/shared/sqlparse"
)

// lineage computes the output columns of the statement and the table columns each is
// computed from. It follows column references through expressions of any depth (functions,
// casts, aggregates, operators, CASE, JSON constructors), resolves them against the FROM
// clause of the statement's own SELECT, and falls back to whole tables ("schema.table")
// where it does not follow columns: subqueries, WITH queries, set operations, functions in
// FROM. It never under-states: a value it cannot place reads every table of the statement.
func lineage(stmt *pg.Node, all []string) []sqlparse.Output {
	var targets []*pg.Node
	l := &lin{all: all, rels: map[string]lrel{}}
	switch n := stmt.GetNode().(type) {
	case *pg.Node_SelectStmt:
		s := n.SelectStmt
		if s.GetOp() != pg.SetOperation_SETOP_NONE {
			// UNION and friends: the names are the left arm's, the values any arm's.
			left := s
			for left.GetOp() != pg.SetOperation_SETOP_NONE && left.GetLarg() != nil {
				left = left.GetLarg()
			}
			l.opaque = true
			targets = left.GetTargetList()
		} else {
			targets = s.GetTargetList()
			for _, c := range s.GetWithClause().GetCtes() {
				l.ctes = append(l.ctes, c.GetCommonTableExpr().GetCtename())
			}
			for _, f := range s.GetFromClause() {
				l.from(f)
			}
		}
	case *pg.Node_InsertStmt:
		targets = n.InsertStmt.GetReturningList()
		l.add(n.InsertStmt.GetRelation())
	case *pg.Node_UpdateStmt:
		targets = n.UpdateStmt.GetReturningList()
		l.add(n.UpdateStmt.GetRelation())
		for _, f := range n.UpdateStmt.GetFromClause() {
			l.from(f)
		}
	case *pg.Node_DeleteStmt:
		targets = n.DeleteStmt.GetReturningList()
		l.add(n.DeleteStmt.GetRelation())
		for _, f := range n.DeleteStmt.GetUsingClause() {
			l.from(f)
		}
	}
	out := []sqlparse.Output{}
	for _, t := range targets {
		rt := t.GetResTarget()
		if rt == nil {
			continue
		}
		l.src = map[string]bool{}
		if l.opaque {
			l.everything()
		} else {
			l.walk(rt.GetVal().ProtoReflect(), 0)
		}
		name := rt.GetName()
		if name == "" {
			name = defaultName(rt.GetVal())
		}
		out = append(out, sqlparse.Output{Name: name, Sources: slices.Sorted(mapsKeys(l.src))})
	}
	return out
}

// lrel is one FROM item: a table ("schema.table"), or nothing when its columns are not
// followed (subquery, WITH query, function).
type lrel struct{ table string }

type lin struct {
	all    []string        // every table of the statement, "schema.table"
	rels   map[string]lrel // by the name a column reference qualifies with
	order  []lrel
	ctes   []string
	opaque bool
	src    map[string]bool
}

func (l *lin) add(rv *pg.RangeVar) {
	if rv == nil {
		return
	}
	name := rv.GetRelname()
	if a := rv.GetAlias().GetAliasname(); a != "" {
		name = a
	}
	r := lrel{}
	if !(rv.GetSchemaname() == "" && slices.Contains(l.ctes, rv.GetRelname())) {
		schema := rv.GetSchemaname()
		if schema == "" {
			schema = sqlparse.DefaultSchema
		}
		r.table = schema + "." + rv.GetRelname()
	}
	l.rels[name] = r
	if rv.GetSchemaname() != "" && rv.GetAlias() == nil {
		l.rels[rv.GetSchemaname()+"."+rv.GetRelname()] = r
	}
	l.order = append(l.order, r)
}

func (l *lin) from(n *pg.Node) {
	switch {
	case n.GetRangeVar() != nil:
		l.add(n.GetRangeVar())
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		l.from(j.GetLarg())
		l.from(j.GetRarg())
		if a := j.GetAlias().GetAliasname(); a != "" {
			l.rels[a] = lrel{}
		}
	case n.GetRangeSubselect() != nil:
		r := lrel{}
		l.rels[n.GetRangeSubselect().GetAlias().GetAliasname()] = r
		l.order = append(l.order, r)
	case n.GetRangeFunction() != nil:
		r := lrel{}
		if a := n.GetRangeFunction().GetAlias().GetAliasname(); a != "" {
			l.rels[a] = r
		}
		l.order = append(l.order, r)
	default:
		l.order = append(l.order, lrel{})
	}
}

// everything records every table of the statement as a source.
func (l *lin) everything() {
	for _, t := range l.all {
		l.src[t] = true
	}
}

func (l *lin) column(r lrel, col string) {
	if r.table == "" {
		l.everything()
		return
	}
	l.src[r.table+"."+col] = true
}

func (l *lin) ref(fields []*pg.Node) {
	var parts []string
	star := false
	for _, f := range fields {
		switch {
		case f.GetAStar() != nil:
			star = true
		case f.GetString_() != nil:
			parts = append(parts, f.GetString_().GetSval())
		}
	}
	col := "*"
	if !star {
		if len(parts) == 0 {
			l.everything()
			return
		}
		col, parts = parts[len(parts)-1], parts[:len(parts)-1]
	}
	switch len(parts) {
	case 0: // unqualified: any FROM item may have it
		if len(l.order) == 0 {
			l.everything()
		}
		if r, ok := l.rels[col]; ok { // SELECT c FROM customers c: the whole row
			l.column(r, "*")
		}
		for _, r := range l.order {
			l.column(r, col)
		}
	default:
		q := parts[len(parts)-1]
		if len(parts) >= 2 {
			q = parts[len(parts)-2] + "." + q
		}
		r, ok := l.rels[q]
		if !ok {
			l.everything() // an outer reference or a name this walk does not know
			return
		}
		l.column(r, col)
	}
}

var (
	subLinkName  = (&pg.SubLink{}).ProtoReflect().Descriptor().FullName()
	selectNameL  = (&pg.SelectStmt{}).ProtoReflect().Descriptor().FullName()
	columnRefNmL = (&pg.ColumnRef{}).ProtoReflect().Descriptor().FullName()
)

func (l *lin) walk(m protoreflect.Message, depth int) {
	if !m.IsValid() || depth > maxDepth {
		return
	}
	switch m.Descriptor().FullName() {
	case columnRefNmL:
		l.ref(m.Interface().(*pg.ColumnRef).GetFields())
		return
	case subLinkName, selectNameL:
		l.everything() // a subquery: its columns are not followed
		return
	}
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.IsList() && f.Kind() == protoreflect.MessageKind:
			lst := v.List()
			for i := range lst.Len() {
				l.walk(lst.Get(i).Message(), depth+1)
			}
		case !f.IsMap() && f.Kind() == protoreflect.MessageKind:
			l.walk(v.Message(), depth+1)
		}
		return true
	})
}

// defaultName is the name PostgreSQL gives an output column without AS (FigureColname), for
// the forms a star's place depends on and the common ones; "*" only for a star that expands
// into columns. A name it gets wrong costs over-masking, never a value unmasked
// (sqlparse.ClassifyColumns).
func defaultName(n *pg.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		return lastField(n.GetColumnRef().GetFields(), false)
	case n.GetAIndirection() != nil:
		ind := n.GetAIndirection().GetIndirection()
		if len(ind) > 0 {
			switch last := ind[len(ind)-1]; {
			case last.GetAStar() != nil:
				return "*" // (c).* expands
			case last.GetString_() != nil:
				return last.GetString_().GetSval()
			}
		}
		return defaultName(n.GetAIndirection().GetArg())
	case n.GetFuncCall() != nil:
		f := n.GetFuncCall().GetFuncname()
		if len(f) > 0 {
			return f[len(f)-1].GetString_().GetSval()
		}
	case n.GetTypeCast() != nil:
		arg := n.GetTypeCast().GetArg()
		inner := defaultName(arg)
		if arg.GetColumnRef() != nil {
			inner = lastField(arg.GetColumnRef().GetFields(), true) // c.*::text is one column, "c"
		}
		if inner != "?column?" && inner != "*" {
			return inner
		}
		names := n.GetTypeCast().GetTypeName().GetNames()
		if len(names) > 0 {
			return names[len(names)-1].GetString_().GetSval()
		}
	case n.GetCollateClause() != nil:
		return defaultName(n.GetCollateClause().GetArg())
	case n.GetCaseExpr() != nil:
		return "case"
	case n.GetAArrayExpr() != nil:
		return "array"
	case n.GetRowExpr() != nil:
		return "row"
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().GetOp() == pg.MinMaxOp_IS_LEAST {
			return "least"
		}
		return "greatest"
	}
	return "?column?"
}

// lastField is the name of a column reference: its last field, "*" for a star, or with
// skipStar the last name before it.
func lastField(f []*pg.Node, skipStar bool) string {
	for i := len(f) - 1; i >= 0; i-- {
		if f[i].GetAStar() != nil {
			if skipStar {
				continue
			}
			return "*"
		}
		return f[i].GetString_().GetSval()
	}
	return "?column?"
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// stored computes the values an INSERT or UPDATE stores, one per column it writes, and the
// table columns each is computed from, as lineage does for outputs: SET expressions against
// the target and FROM, an INSERT's select list by position against its own FROM, VALUES rows
// against nothing. Where positions cannot be followed (a star, a set operation, no column
// list) every written value reads what all of them read; a subquery reads every table.
func stored(stmt *pg.Node, all []string) []sqlparse.Output {
	switch n := stmt.GetNode().(type) {
	case *pg.Node_InsertStmt:
		ins := n.InsertStmt
		table := qualified(ins.GetRelation())
		var cols []string
		for _, c := range ins.GetCols() {
			cols = append(cols, c.GetResTarget().GetName())
		}
		srcs, follows := insertSources(ins, all)
		var out []sqlparse.Output
		if len(cols) == 0 || !follows || len(srcs) != len(cols) {
			union := map[string]bool{}
			for _, s := range srcs {
				for k := range s {
					union[k] = true
				}
			}
			names := cols
			if len(names) == 0 {
				names = []string{"*"}
			}
			for _, c := range names {
				out = append(out, sqlparse.Output{Name: table + "." + c, Sources: slices.Sorted(mapsKeys(union))})
			}
		} else {
			for i, c := range cols {
				out = append(out, sqlparse.Output{Name: table + "." + c, Sources: slices.Sorted(mapsKeys(srcs[i]))})
			}
		}
		if oc := ins.GetOnConflictClause(); oc != nil {
			l := &lin{all: all, rels: map[string]lrel{}}
			l.add(ins.GetRelation())
			l.rels["excluded"] = lrel{} // the row proposed: whatever the insert read
			out = append(out, l.sets(table, oc.GetTargetList())...)
		}
		return out
	case *pg.Node_UpdateStmt:
		up := n.UpdateStmt
		l := &lin{all: all, rels: map[string]lrel{}}
		l.add(up.GetRelation())
		for _, f := range up.GetFromClause() {
			l.from(f)
		}
		return l.sets(qualified(up.GetRelation()), up.GetTargetList())
	}
	return nil
}

// insertSources returns the sources of each value position of an INSERT's rows, and whether
// positions could be followed one for one.
func insertSources(ins *pg.InsertStmt, all []string) ([]map[string]bool, bool) {
	sel := ins.GetSelectStmt().GetSelectStmt()
	if sel == nil {
		return nil, true // DEFAULT VALUES
	}
	if rows := sel.GetValuesLists(); len(rows) > 0 {
		var out []map[string]bool
		for _, r := range rows {
			for i, e := range r.GetList().GetItems() {
				if i == len(out) {
					out = append(out, map[string]bool{})
				}
				l := &lin{all: all, rels: map[string]lrel{}, src: out[i]}
				l.walk(e.ProtoReflect(), 0)
			}
		}
		return out, true
	}
	l := &lin{all: all, rels: map[string]lrel{}}
	if sel.GetOp() != pg.SetOperation_SETOP_NONE {
		l.src = map[string]bool{}
		l.everything()
		return []map[string]bool{l.src}, false
	}
	for _, w := range []*pg.WithClause{ins.GetWithClause(), sel.GetWithClause()} {
		for _, c := range w.GetCtes() {
			l.ctes = append(l.ctes, c.GetCommonTableExpr().GetCtename())
		}
	}
	for _, f := range sel.GetFromClause() {
		l.from(f)
	}
	var out []map[string]bool
	follows := true
	for _, t := range sel.GetTargetList() {
		v := t.GetResTarget().GetVal()
		if ref := v.GetColumnRef(); ref != nil && lastField(ref.GetFields(), false) == "*" {
			follows = false // a star fills as many positions as it has columns
		}
		l.src = map[string]bool{}
		l.walk(v.ProtoReflect(), 0)
		out = append(out, l.src)
	}
	return out, follows
}

// sets returns the values SET assignments store in table, each against l's relations.
func (l *lin) sets(table string, targets []*pg.Node) []sqlparse.Output {
	var out []sqlparse.Output
	for _, t := range targets {
		rt := t.GetResTarget()
		l.src = map[string]bool{}
		l.walk(rt.GetVal().ProtoReflect(), 0)
		out = append(out, sqlparse.Output{Name: table + "." + rt.GetName(), Sources: slices.Sorted(mapsKeys(l.src))})
	}
	return out
}

// qualified is rv's "schema.table", in the default schema when it names none.
func qualified(rv *pg.RangeVar) string {
	schema := rv.GetSchemaname()
	if schema == "" {
		schema = sqlparse.DefaultSchema
	}
	return schema + "." + rv.GetRelname()
}
