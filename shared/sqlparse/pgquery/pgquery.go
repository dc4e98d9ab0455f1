package pgquery

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/mandate-dev/mandate/shared/sqlparse"
)

// Parser implements sqlparse.Parser with libpg_query.
type Parser struct{}

var _ sqlparse.Parser = Parser{}

// New returns the parser.
func New() Parser { return Parser{} }

// Parse parses exactly one statement.
func (Parser) Parse(sql string) (sqlparse.Statement, error) {
	if len(sql) > sqlparse.MaxStatementBytes {
		return sqlparse.Statement{}, fmt.Errorf("%w: longer than %d bytes", sqlparse.ErrUnsupported, sqlparse.MaxStatementBytes)
	}
	if strings.IndexByte(sql, 0) >= 0 {
		return sqlparse.Statement{}, fmt.Errorf("%w: NUL byte", sqlparse.ErrSyntax)
	}
	tree, err := parse(sql)
	if errors.Is(err, sqlparse.ErrNoParser) {
		return sqlparse.Statement{}, err
	}
	if err != nil {
		return sqlparse.Statement{}, fmt.Errorf("%w: %v", sqlparse.ErrSyntax, err)
	}
	return Analyze(tree)
}

// Analyze turns a parse tree into a Statement.
func Analyze(tree *pg.ParseResult) (sqlparse.Statement, error) {
	if tree == nil || len(tree.Stmts) != 1 || tree.Stmts[0].GetStmt() == nil {
		n := 0
		if tree != nil {
			n = len(tree.Stmts)
		}
		return sqlparse.Statement{}, fmt.Errorf("%w: got %d", sqlparse.ErrMultiple, n)
	}
	w := &walker{skip: map[*pg.RangeVar]bool{}}
	var typ string
	switch n := tree.Stmts[0].GetStmt().GetNode().(type) {
	case *pg.Node_SelectStmt:
		typ = sqlparse.TypeSelect
	case *pg.Node_InsertStmt:
		typ = sqlparse.TypeInsert
		s := n.InsertStmt
		w.target(s.GetRelation(), sqlparse.PrivInsert)
		if len(s.GetReturningList()) > 0 {
			w.target(s.GetRelation(), sqlparse.PrivSelect)
		}
		if oc := s.GetOnConflictClause(); oc != nil {
			if oc.GetAction() == pg.OnConflictAction_ONCONFLICT_UPDATE {
				w.target(s.GetRelation(), sqlparse.PrivUpdate)
			}
			w.target(s.GetRelation(), sqlparse.PrivSelect)
		}
		w.resTargets(s.GetCols())
		table := qualified(s.GetRelation())
		if cols := s.GetCols(); len(cols) > 0 {
			for _, row := range s.GetSelectStmt().GetSelectStmt().GetValuesLists() {
				for i, item := range row.GetList().GetItems() {
					if i < len(cols) {
						w.place(item, place{column: table + "." + cols[i].GetResTarget().GetName()})
					}
				}
			}
		}
		for _, t := range s.GetOnConflictClause().GetTargetList() {
			w.place(t.GetResTarget().GetVal(), place{column: table + "." + t.GetResTarget().GetName()})
		}
	case *pg.Node_UpdateStmt:
		typ = sqlparse.TypeUpdate
		s := n.UpdateStmt
		w.target(s.GetRelation(), sqlparse.PrivUpdate)
		w.target(s.GetRelation(), sqlparse.PrivSelect) // SET a = a + 1 and WHERE read the row
		w.resTargets(s.GetTargetList())
		for _, t := range s.GetTargetList() {
			w.place(t.GetResTarget().GetVal(), place{column: qualified(s.GetRelation()) + "." + t.GetResTarget().GetName()})
		}
	case *pg.Node_DeleteStmt:
		typ = sqlparse.TypeDelete
		s := n.DeleteStmt
		w.target(s.GetRelation(), sqlparse.PrivDelete)
		if s.GetWhereClause() != nil || len(s.GetReturningList()) > 0 || len(s.GetUsingClause()) > 0 {
			w.target(s.GetRelation(), sqlparse.PrivSelect)
		}
	case *pg.Node_TruncateStmt:
		typ = sqlparse.TypeTruncate
		for _, r := range n.TruncateStmt.GetRelations() {
			rv := r.GetRangeVar()
			if rv == nil {
				return sqlparse.Statement{}, fmt.Errorf("%w: TRUNCATE of something that is not a table", sqlparse.ErrUnsupported)
			}
			w.target(rv, sqlparse.PrivTruncate)
		}
	case *pg.Node_DropStmt:
		typ = sqlparse.TypeDrop
		s := n.DropStmt
		if s.GetRemoveType() != pg.ObjectType_OBJECT_TABLE {
			return sqlparse.Statement{}, fmt.Errorf("%w: DROP %s", sqlparse.ErrUnsupported, strings.TrimPrefix(s.GetRemoveType().String(), "OBJECT_"))
		}
		for _, o := range s.GetObjects() {
			var parts []string
			for _, p := range o.GetList().GetItems() {
				parts = append(parts, p.GetString_().GetSval())
			}
			switch len(parts) {
			case 1:
				w.b.AddTable("", parts[0], sqlparse.PrivOwner)
			case 2:
				w.b.AddTable(parts[0], parts[1], sqlparse.PrivOwner)
			default:
				return sqlparse.Statement{}, fmt.Errorf("%w: DROP of a name with %d parts", sqlparse.ErrUnsupported, len(parts))
			}
		}
		return w.b.Statement(typ), nil
	default:
		name := "empty statement"
		if n != nil {
			name = strings.TrimPrefix(fmt.Sprintf("%T", n), "*pg_query.Node_")
		}
		return sqlparse.Statement{}, fmt.Errorf("%w: %s", sqlparse.ErrUnsupported, name)
	}
	if w.err != nil {
		return sqlparse.Statement{}, w.err
	}
	w.visit(tree.Stmts[0].GetStmt().ProtoReflect(), nil, true)
	if w.err != nil {
		return sqlparse.Statement{}, w.err
	}
	w.wholeRows()
	st := w.b.Statement(typ)
	st.Outputs = lineage(tree.Stmts[0].GetStmt(), st.TableNames())
	st.Stored = stored(tree.Stmts[0].GetStmt(), st.TableNames())
	st.Literals = w.literals(st)
	return st, nil
}

// walker collects the tables and columns of a parse tree and refuses what cannot be scoped.
type walker struct {
	b    sqlparse.Builder
	skip map[*pg.RangeVar]bool // target relations already recorded with their privileges
	err  error
	// names are the column names recorded; rels the names and aliases of the tables, by
	// which a reference can name a whole row instead (c, c::text, to_jsonb(customers)).
	names, rels map[string]bool
	// aliases are the tables by the names references qualify columns with ("" where two
	// tables share one); placed the string constants compared with or stored in a column,
	// and consts every string constant, in the order met.
	aliases map[string]string
	placed  map[*pg.A_Const]place
	consts  []*pg.A_Const
	// ranges counts the FROM items and targets (tables, WITH queries, subqueries, functions):
	// an unqualified column is told only when there is one.
	ranges int
}

// notTable records a name a reference can qualify columns with that is no table (a subquery,
// a WITH query, a function, a join): a column qualified with it is not told.
func (w *walker) notTable(name string) {
	if name == "" {
		return
	}
	if w.aliases == nil {
		w.aliases = map[string]string{}
	}
	w.aliases[name] = ""
}

// place is the column a constant is placed against: a reference to resolve (qual, name), or
// a column already known (column, for INSERT and UPDATE targets).
type place struct{ qual, name, column string }

// place records that c, if it is a string constant, is placed against the column.
func (w *walker) place(n *pg.Node, p place) {
	if c := n.GetAConst(); c != nil && c.GetSval() != nil {
		if w.placed == nil {
			w.placed = map[*pg.A_Const]place{}
		}
		w.placed[c] = p
	}
}

// placeRef places c against the column reference ref, when it is one.
func (w *walker) placeRef(ref, c *pg.Node) {
	fields := ref.GetColumnRef().GetFields()
	if len(fields) == 0 || fields[len(fields)-1].GetString_() == nil {
		return
	}
	var parts []string
	for _, f := range fields {
		parts = append(parts, f.GetString_().GetSval())
	}
	name, qual := parts[len(parts)-1], strings.Join(parts[:len(parts)-1], ".")
	w.place(c, place{qual: qual, name: name})
}

// literals resolves the string constants met against the tables of st.
func (w *walker) literals(st sqlparse.Statement) []sqlparse.Literal {
	var out []sqlparse.Literal
	for _, c := range w.consts {
		l := sqlparse.Literal{Value: c.GetSval().GetSval()}
		if p, ok := w.placed[c]; ok {
			switch {
			case p.column != "":
				l.Column = p.column
			case p.qual != "":
				if t := w.aliases[p.qual]; t != "" {
					l.Column = t + "." + p.name
				}
			case len(st.Tables) == 1 && w.ranges == 1:
				l.Column = st.Tables[0].QualifiedName() + "." + p.name
			}
		}
		out = append(out, l)
	}
	return out
}

// column records a referenced column name.
func (w *walker) column(name string) {
	if w.names == nil {
		w.names = map[string]bool{}
	}
	w.names[name] = true
	w.b.AddColumn(name)
}

// relation records the name and alias by which rv's rows can be referenced. Columns renamed
// by the alias (customers AS c(i, e, k)) are then referenced by names that are not theirs:
// every column counts as referenced ("*").
func (w *walker) relation(rv *pg.RangeVar) {
	if w.rels == nil {
		w.rels = map[string]bool{}
	}
	w.rels[rv.GetRelname()] = true
	w.ranges++
	if w.aliases == nil {
		w.aliases = map[string]string{}
	}
	alias := func(name string) {
		if t, ok := w.aliases[name]; ok && t != qualified(rv) {
			w.aliases[name] = "" // two tables by one name: a reference to it is not told
			return
		}
		w.aliases[name] = qualified(rv)
	}
	if a := rv.GetAlias().GetAliasname(); a != "" {
		alias(a)
	} else {
		alias(rv.GetRelname())
		alias(qualified(rv))
	}
	if a := rv.GetAlias(); a != nil {
		w.rels[a.GetAliasname()] = true
		if len(a.GetColnames()) > 0 {
			w.b.AddColumn("*")
		}
	}
}

// wholeRows records "*" when a column reference names a table or its alias: a whole-row
// reference reads every column of the row.
func (w *walker) wholeRows() {
	for n := range w.names {
		if w.rels[n] {
			w.b.AddColumn("*")
			return
		}
	}
}

func (w *walker) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: "+format, append([]any{sqlparse.ErrUnsupported}, args...)...)
	}
}

func (w *walker) target(rv *pg.RangeVar, priv string) {
	if rv == nil {
		w.fail("statement without a target table")
		return
	}
	if rv.GetCatalogname() != "" {
		w.fail("table %q names another database", rv.GetRelname())
		return
	}
	if !w.skip[rv] { // a target is recorded once for each privilege it needs
		w.relation(rv)
	}
	w.skip[rv] = true
	w.b.AddTable(rv.GetSchemaname(), rv.GetRelname(), priv)
}

func (w *walker) resTargets(nodes []*pg.Node) {
	for _, n := range nodes {
		if rt := n.GetResTarget(); rt != nil && rt.GetName() != "" {
			w.column(rt.GetName())
		}
	}
}

var (
	rangeVarName       = (&pg.RangeVar{}).ProtoReflect().Descriptor().FullName()
	columnRefName      = (&pg.ColumnRef{}).ProtoReflect().Descriptor().FullName()
	joinExprName       = (&pg.JoinExpr{}).ProtoReflect().Descriptor().FullName()
	indirectionName    = (&pg.A_Indirection{}).ProtoReflect().Descriptor().FullName()
	aConstName         = (&pg.A_Const{}).ProtoReflect().Descriptor().FullName()
	rangeSubselectName = (&pg.RangeSubselect{}).ProtoReflect().Descriptor().FullName()
	rangeFunctionName  = (&pg.RangeFunction{}).ProtoReflect().Descriptor().FullName()
	selectName         = (&pg.SelectStmt{}).ProtoReflect().Descriptor().FullName()
	withClauseName     = (&pg.WithClause{}).ProtoReflect().Descriptor().FullName()
	funcCallName       = (&pg.FuncCall{}).ProtoReflect().Descriptor().FullName()
	typeNameName       = (&pg.TypeName{}).ProtoReflect().Descriptor().FullName()
	aExprName          = (&pg.A_Expr{}).ProtoReflect().Descriptor().FullName()
	// builtinOperators are the operators of PostgreSQL's catalogue on built-in types that
	// read only their operands.
	builtinOperators = map[string]bool{"=": true, "<>": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
		"+": true, "-": true, "*": true, "/": true, "%": true, "^": true, "||": true, "~~": true, "!~~": true, "~~*": true, "!~~*": true,
		"~": true, "!~": true, "~*": true, "!~*": true, "->": true, "->>": true, "#>": true, "#>>": true, "@>": true, "<@": true,
		"?": true, "?|": true, "?&": true, "&&": true, "|": true, "&": true, "#": true, "<<": true, ">>": true,
		"BETWEEN": true, "NOT BETWEEN": true, "BETWEEN SYMMETRIC": true, "NOT BETWEEN SYMMETRIC": true}
	modifyNames = []protoreflect.FullName{
		(&pg.InsertStmt{}).ProtoReflect().Descriptor().FullName(),
		(&pg.UpdateStmt{}).ProtoReflect().Descriptor().FullName(),
		(&pg.DeleteStmt{}).ProtoReflect().Descriptor().FullName(),
		(&pg.MergeStmt{}).ProtoReflect().Descriptor().FullName(),
	}
)

// maxDepth bounds the walk; libpg_query itself refuses deeper trees long before this.
const maxDepth = 10_000

// visit walks m. ctes are the WITH query names in scope; top is true only for the statement
// itself, the one place a data-modifying statement may appear.
func (w *walker) visit(m protoreflect.Message, ctes []string, top bool) {
	w.walk(m, ctes, top, 0)
}

func (w *walker) walk(m protoreflect.Message, ctes []string, top bool, depth int) {
	if w.err != nil || !m.IsValid() {
		return
	}
	if depth > maxDepth {
		w.fail("statement nested too deeply")
		return
	}
	name := m.Descriptor().FullName()
	switch {
	case name == rangeVarName:
		rv := m.Interface().(*pg.RangeVar)
		if w.skip[rv] {
			return
		}
		if rv.GetCatalogname() != "" {
			w.fail("table %q names another database", rv.GetRelname())
			return
		}
		if rv.GetSchemaname() == "" && slices.Contains(ctes, rv.GetRelname()) {
			w.ranges++
			w.notTable(rv.GetRelname())
			w.notTable(rv.GetAlias().GetAliasname())
			return // a WITH query in scope, not a table
		}
		w.relation(rv)
		w.b.AddTable(rv.GetSchemaname(), rv.GetRelname(), sqlparse.PrivSelect)
		return
	case name == rangeSubselectName, name == rangeFunctionName:
		w.ranges++
		w.notTable(m.Interface().(interface{ GetAlias() *pg.Alias }).GetAlias().GetAliasname())
	case name == joinExprName:
		// NATURAL joins on the columns both sides share, naming none of them; USING names
		// them outside any column reference.
		j := m.Interface().(*pg.JoinExpr)
		w.notTable(j.GetAlias().GetAliasname())
		if j.GetIsNatural() {
			w.b.AddColumn("*")
		}
		for _, n := range j.GetUsingClause() {
			w.column(n.GetString_().GetSval())
		}
	case name == indirectionName:
		// A field of a composite ((c).card) is a column named outside a column reference.
		for _, n := range m.Interface().(*pg.A_Indirection).GetIndirection() {
			switch {
			case n.GetAStar() != nil:
				w.b.AddColumn("*")
			case n.GetString_() != nil:
				w.column(n.GetString_().GetSval())
			}
		}
	case name == columnRefName:
		fields := m.Interface().(*pg.ColumnRef).GetFields()
		if len(fields) > 0 {
			last := fields[len(fields)-1]
			switch {
			case last.GetAStar() != nil:
				w.b.AddColumn("*")
			case last.GetString_() != nil:
				w.column(last.GetString_().GetSval())
			}
		}
		return
	case name == funcCallName:
		var parts []string
		for _, n := range m.Interface().(*pg.FuncCall).GetFuncname() {
			parts = append(parts, n.GetString_().GetSval())
		}
		w.b.AddFunction(sqlparse.FunctionName(parts))
		// its arguments are walked below
	case name == typeNameName:
		var parts []string
		for _, n := range m.Interface().(*pg.TypeName).GetNames() {
			parts = append(parts, n.GetString_().GetSval())
		}
		w.b.AddCast(sqlparse.FunctionName(parts))
	case name == aExprName:
		// A user-defined operator runs a function the allow-list must see: only the
		// built-in operators of PostgreSQL's own catalogue are taken.
		e := m.Interface().(*pg.A_Expr)
		for _, n := range e.GetName() {
			if op := n.GetString_().GetSval(); !builtinOperators[op] && op != "pg_catalog" {
				w.fail("operator %q", op)
				return
			}
		}
		if len(e.GetName()) == 1 {
			switch op := e.GetName()[0].GetString_().GetSval(); {
			case e.GetKind() == pg.A_Expr_Kind_AEXPR_OP && (op == "=" || op == "<>" || op == "!="):
				w.placeRef(e.GetLexpr(), e.GetRexpr())
				w.placeRef(e.GetRexpr(), e.GetLexpr())
			case e.GetKind() == pg.A_Expr_Kind_AEXPR_IN:
				for _, item := range e.GetRexpr().GetList().GetItems() {
					w.placeRef(e.GetLexpr(), item)
				}
			}
		}
	case name == aConstName:
		if c := m.Interface().(*pg.A_Const); c.GetSval() != nil {
			w.consts = append(w.consts, c)
		}
		return
	case name == selectName:
		s := m.Interface().(*pg.SelectStmt)
		if s.GetIntoClause() != nil {
			w.fail("SELECT INTO creates a table")
			return
		}
		if len(s.GetLockingClause()) > 0 {
			w.fail("row-locking clauses (FOR UPDATE/SHARE)")
			return
		}
	case slices.Contains(modifyNames, name) && !top:
		w.fail("a data-modifying statement inside another statement")
		return
	}

	// A WITH clause brings its query names into scope for the rest of this statement; each
	// query sees the ones before it, or all of them when WITH RECURSIVE.
	var with protoreflect.FieldDescriptor
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Kind() == protoreflect.MessageKind && f.Message().FullName() == withClauseName && m.Has(f) {
			with = f
		}
	}
	scope := ctes
	if with != nil {
		wc := m.Get(with).Message().Interface().(*pg.WithClause)
		var names []string
		for _, c := range wc.GetCtes() {
			names = append(names, c.GetCommonTableExpr().GetCtename())
		}
		for i, c := range wc.GetCtes() {
			cte := c.GetCommonTableExpr()
			if cte == nil {
				w.fail("malformed WITH clause")
				return
			}
			visible := names[:i]
			if wc.GetRecursive() {
				visible = names
			}
			w.walk(cte.ProtoReflect(), append(slices.Clone(ctes), visible...), false, depth+1)
		}
		scope = append(slices.Clone(ctes), names...)
	}
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if f == with {
			return true
		}
		switch {
		case f.IsList() && f.Kind() == protoreflect.MessageKind:
			l := v.List()
			for i := range l.Len() {
				w.walk(l.Get(i).Message(), scope, false, depth+1)
			}
		case f.IsMap():
			// The parse tree has no maps.
		case f.Kind() == protoreflect.MessageKind:
			// A oneof wrapper (Node) is not the statement itself but keeps top: the
			// statement's own Node is visited once, with top set.
			w.walk(v.Message(), scope, top && name == nodeName, depth+1)
		}
		return w.err == nil
	})
}

var nodeName = (&pg.Node{}).ProtoReflect().Descriptor().FullName()
