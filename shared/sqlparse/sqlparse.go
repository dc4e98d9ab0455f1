package sqlparse

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors a Parser returns; each is the caller's mistake (400) and nothing is minted.
var (
	// ErrSyntax means the text is not a PostgreSQL statement.
	ErrSyntax = errors.New("sqlparse: not a valid statement")
	// ErrMultiple means the text holds more than one statement (or none); send one at a time.
	ErrMultiple = errors.New("sqlparse: exactly one statement is accepted")
	// ErrUnsupported means the statement's type, or a construct in it, is not one Mandate can
	// scope a credential to (DDL, COPY, SET, data-modifying WITH, SELECT INTO, row locks ...).
	ErrUnsupported = errors.New("sqlparse: unsupported statement")
	// ErrNoParser means this binary was built without the PostgreSQL parser (CGO_ENABLED=0).
	ErrNoParser = errors.New("sqlparse: this build has no SQL parser")
)

// MaxStatementBytes bounds the statement text a Parser accepts.
const MaxStatementBytes = 64 << 10

// Statement types a Parser returns.
const (
	TypeSelect   = "SELECT"
	TypeInsert   = "INSERT"
	TypeUpdate   = "UPDATE"
	TypeDelete   = "DELETE"
	TypeTruncate = "TRUNCATE"
	TypeDrop     = "DROP"
)

// Privileges a table may need, as PostgreSQL names them in GRANT.
const (
	PrivSelect   = "SELECT"
	PrivInsert   = "INSERT"
	PrivUpdate   = "UPDATE"
	PrivDelete   = "DELETE"
	PrivTruncate = "TRUNCATE"
	// PrivOwner is what DROP needs: it can never be granted to an ephemeral role.
	PrivOwner = "OWNER"
)

// DefaultSchema is the schema of a table the statement does not qualify.
const DefaultSchema = "public"

// Table is one table a statement touches.
type Table struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Privileges are what the statement needs on it, sorted.
	Privileges []string `json:"privileges"`
}

// QualifiedName is "schema.name".
func (t Table) QualifiedName() string { return t.Schema + "." + t.Name }

// Statement is one parsed statement.
type Statement struct {
	// Type is one of the Type constants.
	Type string `json:"type"`
	// Tables are sorted by qualified name; each appears once.
	Tables []Table `json:"tables"`
	// Columns are the column names the statement references, sorted, deduplicated; "*" for
	// a star.
	Columns []string `json:"columns"`
	// ReadOnly says the statement changes nothing (the executor runs it in a read-only
	// transaction).
	ReadOnly bool `json:"read_only"`
	// Functions are the functions the statement calls (FunctionName), sorted, once each.
	Functions []string `json:"functions"`
	// Casts are the types it casts to (FunctionName of the type), sorted, once each.
	Casts []string `json:"casts"`
	// Outputs are the statement's output columns with their lineage, in order.
	Outputs []Output `json:"outputs,omitempty"`
	// Stored are the values a write stores, one per column it writes, with their lineage:
	// Name is "schema.table.column", or "schema.table.*" where the statement does not name
	// the columns (INSERT INTO t SELECT ...). Empty for statements that store nothing.
	Stored []Output `json:"stored,omitempty"`
	// Literals are the statement's string constants, each with the column it is placed
	// against; not recorded (the statement is).
	Literals []Literal `json:"-"`
}

// Literal is one string constant of a statement.
type Literal struct {
	Value string
	// Column is the column ("schema.table.column") the constant is compared with (=, <>,
	// IN, either side) or stored in (a VALUES item under a column list, SET), as itself and
	// with nothing around it; "" wherever else it stands (an argument, an operand of any
	// other operator, an output, a cast) or where the column cannot be told.
	Column string
}

// Unplaced returns why one of values may not stand where it does in s, or "" when each
// stands only as a Literal placed against a column classified. These are values the
// statement is rewritten with before it runs (the values of masking tokens): computed with,
// they would come back in another shape than the one masking knows, or answer a question a
// character at a time; compared with or stored in a classified column, lineage masks them.
func (s Statement) Unplaced(values []string, classified map[string]string) string {
	for _, v := range values {
		for _, l := range s.Literals {
			if !strings.Contains(l.Value, v) {
				continue
			}
			switch {
			case l.Value != v || l.Column == "":
				return fmt.Sprintf("%s stands where the statement computes with it; it may only be compared (=, <>, IN) with a classified column or stored in one, as a literal of its own", v)
			case classified[l.Column] == "":
				return fmt.Sprintf("%s is placed against %s, which is not a classified column", v, l.Column)
			}
		}
	}
	return ""
}

// TableNames returns the qualified names of the tables.
func (s Statement) TableNames() []string {
	out := make([]string, len(s.Tables))
	for i, t := range s.Tables {
		out[i] = t.QualifiedName()
	}
	return out
}

// Parser parses one statement.
type Parser interface {
	Parse(sql string) (Statement, error)
}

// Builder accumulates tables and columns while a parse tree is walked.
type Builder struct {
	tables    map[string]*Table
	columns   map[string]bool
	functions map[string]bool
	casts     map[string]bool
}

// AddFunction records a called function.
func (b *Builder) AddFunction(name string) {
	if b.functions == nil {
		b.functions = map[string]bool{}
	}
	b.functions[name] = true
}

// AddCast records a cast's target type.
func (b *Builder) AddCast(name string) {
	if b.casts == nil {
		b.casts = map[string]bool{}
	}
	b.casts[name] = true
}

// AddTable records that the statement needs priv on schema.name (schema "" is DefaultSchema).
func (b *Builder) AddTable(schema, name, priv string) {
	if b.tables == nil {
		b.tables = map[string]*Table{}
	}
	if schema == "" {
		schema = DefaultSchema
	}
	key := schema + "." + name
	t, ok := b.tables[key]
	if !ok {
		t = &Table{Schema: schema, Name: name}
		b.tables[key] = t
	}
	if !slices.Contains(t.Privileges, priv) {
		t.Privileges = append(t.Privileges, priv)
		slices.Sort(t.Privileges)
	}
}

// AddColumn records a referenced column.
func (b *Builder) AddColumn(name string) {
	if b.columns == nil {
		b.columns = map[string]bool{}
	}
	b.columns[name] = true
}

// Statement returns the statement of type typ with what was recorded.
func (b *Builder) Statement(typ string) Statement {
	s := Statement{Type: typ, Tables: []Table{}, Columns: []string{}, Functions: []string{}, Casts: []string{}, ReadOnly: typ == TypeSelect}
	for f := range b.functions {
		s.Functions = append(s.Functions, f)
	}
	slices.Sort(s.Functions)
	for c := range b.casts {
		s.Casts = append(s.Casts, c)
	}
	slices.Sort(s.Casts)
	for _, t := range b.tables {
		s.Tables = append(s.Tables, *t)
	}
	slices.SortFunc(s.Tables, func(a, b Table) int { return strings.Compare(a.QualifiedName(), b.QualifiedName()) })
	for c := range b.columns {
		s.Columns = append(s.Columns, c)
	}
	slices.Sort(s.Columns)
	return s
}
