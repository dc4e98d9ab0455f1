package sqlparse

import (
	"fmt"
	"slices"
	"strings"
)

// Output is one output column of a statement (a SELECT's target list or a RETURNING list)
// with its lineage: the table columns its value is computed from, through any function,
// cast, aggregate, operator or JSON key position.
type Output struct {
	// Name is the column's name in the result ("*" for a star, which expands to the named
	// table columns).
	Name string `json:"name"`
	// Sources are, sorted and once each:
	//   "schema.table.column"  the value reads that column;
	//   "schema.table.*"       a star over the table: each result column it expands to is
	//                          that table column under its own name;
	//   "schema.table"         anything of the table (read through a subquery, WITH query,
	//                          set operation or function whose columns are not followed).
	Sources []string `json:"sources"`
	// Class is the classification the value is masked by ("" when it reads no classified
	// column); set by Classify, not by the parser.
	Class string `json:"class,omitempty"`
}

// Classify returns the class of the result column named name, given the statement's
// outputs and the target's classified columns ("schema.table.column" -> class): the class
// of the first classified source, in sorted order, of any output that can produce a column
// of that name. A source naming a whole table is classified if any column of the table is.
func Classify(outputs []Output, classified map[string]string, name string) string {
	var classes []string
	for _, o := range outputs {
		star := o.Name == "*"
		if !star && o.Name != name {
			continue
		}
		for _, s := range o.Sources {
			switch {
			case strings.HasSuffix(s, ".*") && !star: // row_to_json(c.*): the whole row in one value
				classes = append(classes, tableClasses(classified, strings.TrimSuffix(s, ".*"))...)
			case strings.HasSuffix(s, ".*"):
				if c, ok := classified[strings.TrimSuffix(s, "*")+name]; ok {
					classes = append(classes, c)
				}
			case strings.Count(s, ".") == 1:
				if star || o.Name == name {
					classes = append(classes, tableClasses(classified, s)...)
				}
			default:
				if !star {
					if c, ok := classified[s]; ok {
						classes = append(classes, c)
					}
				}
			}
		}
	}
	if len(classes) == 0 {
		return ""
	}
	slices.Sort(classes)
	return classes[0]
}

// ClassifyColumns returns the class of each column of a result whose columns PostgreSQL
// named names, in order, given the statement's outputs: "" for a column that reads no
// classified column. Without a star the outputs are the columns, one for one, whatever their
// names. From the first star on, a column is classified by name (Classify); an output there
// whose name is none of those columns' names (PostgreSQL named it otherwise) lends its class
// to every one of them, so a name computed differently never unmasks a value. When the
// outputs cannot be matched at all, every column gets the first class any output reads.
func ClassifyColumns(outputs []Output, classified map[string]string, names []string) []string {
	out := make([]string, len(names))
	if len(classified) == 0 {
		return out
	}
	star := slices.IndexFunc(outputs, func(o Output) bool { return o.Name == "*" })
	if star < 0 && len(outputs) != len(names) || star > len(names) {
		if all := Classes(outputs, classified); len(all) > 0 {
			for i := range out {
				out[i] = all[0]
			}
		}
		return out
	}
	if star < 0 {
		star = len(outputs)
	}
	for i := range star {
		out[i] = first(Classes(outputs[i:i+1], classified))
	}
	rest, tail := names[star:], outputs[star:]
	var loose []string
	for _, o := range tail {
		if o.Name != "*" && !slices.Contains(rest, o.Name) {
			loose = append(loose, Classes([]Output{o}, classified)...)
		}
	}
	for i, name := range rest {
		cs := slices.Clone(loose)
		if c := Classify(tail, classified, name); c != "" {
			cs = append(cs, c)
		}
		slices.Sort(cs)
		out[star+i] = first(cs)
	}
	return out
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func tableClasses(classified map[string]string, table string) []string {
	var out []string
	for col, c := range classified {
		if strings.HasPrefix(col, table+".") {
			out = append(out, c)
		}
	}
	return out
}

// Classes returns, sorted and once each, the classes of classified (schema.table.column ->
// class) that any output of the statement can carry: what Classify would mask in its result,
// whatever names the columns come back under.
func Classes(outputs []Output, classified map[string]string) []string {
	if len(classified) == 0 {
		return nil
	}
	var out []string
	for _, o := range outputs {
		for _, s := range o.Sources {
			switch {
			case strings.HasSuffix(s, ".*"):
				out = append(out, tableClasses(classified, strings.TrimSuffix(s, ".*"))...)
			case strings.Count(s, ".") == 1:
				out = append(out, tableClasses(classified, s)...)
			default:
				if c, ok := classified[s]; ok {
					out = append(out, c)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ClassesRead returns the classes of the classified columns statement s reads anywhere:
// those its result reads (Classes), and those it names in a filter, a join, an order, a
// grouping or an assignment, each of which tells values apart as surely as returning them
// (`WHERE card LIKE '4111%'` is one digit a query). Columns are matched by name against the
// tables s touches; a star, a whole-row reference, a NATURAL join or columns renamed by an
// alias reach columns without naming them, and the parser records those as "*": every
// classified column of the tables s touches.
func ClassesRead(s Statement, classified map[string]string) []string {
	if len(classified) == 0 {
		return nil
	}
	out := Classes(s.Outputs, classified)
	_, star := slices.BinarySearch(s.Columns, "*")
	for _, tb := range s.Tables {
		prefix := tb.QualifiedName() + "."
		for col, class := range classified {
			name, ok := strings.CutPrefix(col, prefix)
			if !ok || strings.Contains(name, ".") {
				continue
			}
			if _, named := slices.BinarySearch(s.Columns, name); star || named {
				out = append(out, class)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// StoresClassified returns why statement s may not run on a target with the classified
// columns given, or "" when it may: it stores a value read from a classified column in a
// column not classified the same. Lineage masks a class only where it is read, so a value
// copied to another column (INSERT INTO notes SELECT translate(card, ...) FROM customers, or
// UPDATE customers SET tier = card ... RETURNING tier) would come back unmasked.
func StoresClassified(s Statement, classified map[string]string) string {
	for _, o := range s.Stored {
		for _, c := range Classes([]Output{o}, classified) {
			if classified[o.Name] != c {
				return fmt.Sprintf("the statement stores values read from a column classified %s in %s, which is not classified %s", c, o.Name, c)
			}
		}
	}
	return ""
}

// WithClasses returns outputs with Class set from classified.
func WithClasses(outputs []Output, classified map[string]string) []Output {
	out := make([]Output, len(outputs))
	for i, o := range outputs {
		o.Sources = slices.Clone(o.Sources)
		if o.Name == "*" {
			var classes []string
			for _, s := range o.Sources {
				classes = append(classes, tableClasses(classified, strings.TrimSuffix(strings.TrimSuffix(s, ".*"), "."))...)
			}
			if len(classes) > 0 {
				slices.Sort(classes)
				o.Class = "by column: " + strings.Join(slices.Compact(classes), ", ")
			}
		} else {
			o.Class = Classify([]Output{o}, classified, o.Name)
		}
		out[i] = o
	}
	return out
}
