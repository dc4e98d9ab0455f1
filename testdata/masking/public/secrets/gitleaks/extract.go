//go:build ignore

// Command extract writes the labelled cases of gitleaks' rule definitions as JSON lines:
// every string a rule lists as a true positive (tps) or a false positive (fps), evaluated
// from its literals and its generator calls (GenerateSampleSecrets's templates, NewSecret's
// and newPlausibleSecret's patterns, filled by a seeded random generator), with the rule's
// function name and, where the case was built from a known secret, that secret.
//
//	git -C gitleaks archive <commit> cmd/generate/config | tar -x -C src
//	go run extract.go src/cmd/generate/config > gitleaks.jsonl
//
// No gitleaks code runs: the source is parsed and only the string expressions above are read.
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
)

type row struct {
	Source string `json:"source"`
	Rule   string `json:"rule"`
	Secret bool   `json:"secret"`
	Text   string `json:"text"`
	Value  string `json:"value,omitempty"`
}

// sample is one evaluated string and the secret it was built from, if known.
type sample struct{ text, value string }

var rng = rand.New(rand.NewPCG(8, 8))

func main() {
	dir := os.Args[1]
	templates := readTemplates(filepath.Join(dir, "utils", "generate.go"))
	files, _ := filepath.Glob(filepath.Join(dir, "rules", "*.go"))
	sort.Strings(files)
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	skipped := 0
	for _, f := range files {
		fs := token.NewFileSet()
		file, err := parser.ParseFile(fs, f, nil, 0)
		if err != nil {
			panic(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ev := &evaluator{templates: templates}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
					return true
				}
				id, ok := as.Lhs[0].(*ast.Ident)
				if !ok || (id.Name != "tps" && id.Name != "fps") {
					return true
				}
				for _, s := range ev.list(as.Rhs[0]) {
					enc.Encode(row{Source: "cmd/generate/config/rules/" + filepath.Base(f), Rule: fn.Name.Name, Secret: id.Name == "tps", Text: s.text, Value: s.value})
				}
				return false
			})
			skipped += ev.skipped
		}
	}
	fmt.Fprintf(os.Stderr, "skipped %d expressions\n", skipped)
}

// readTemplates returns the values of the map literal in GenerateSampleSecrets.
func readTemplates(path string) []string {
	fs := token.NewFileSet()
	file, err := parser.ParseFile(fs, path, nil, 0)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, d := range file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "GenerateSampleSecrets" {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			if lit, ok := kv.Value.(*ast.BasicLit); ok {
				v, _ := strconv.Unquote(lit.Value)
				out = append(out, v)
			}
			return false
		})
	}
	sort.Strings(out)
	return out
}

type evaluator struct {
	templates []string
	skipped   int
}

// list evaluates an expression that stands for a list of strings.
func (ev *evaluator) list(e ast.Expr) []sample {
	switch x := e.(type) {
	case *ast.CompositeLit:
		var out []sample
		for _, el := range x.Elts {
			if s, ok := ev.one(el); ok {
				out = append(out, s)
			} else {
				ev.skipped++
			}
		}
		return out
	case *ast.CallExpr:
		switch name(x.Fun) {
		case "append":
			var out []sample
			for i, a := range x.Args {
				if i == 0 {
					continue
				}
				if x.Ellipsis.IsValid() && i == len(x.Args)-1 {
					out = append(out, ev.list(a)...)
				} else if s, ok := ev.one(a); ok {
					out = append(out, s)
				} else {
					ev.skipped++
				}
			}
			return out
		case "utils.GenerateSampleSecrets":
			id, ok1 := ev.one(x.Args[0])
			sec, ok2 := ev.one(x.Args[1])
			if !ok1 || !ok2 {
				ev.skipped++
				return nil
			}
			var out []sample
			for _, t := range ev.templates {
				r := strings.NewReplacer("{i}", id.text, "{I}", strings.ToUpper(id.text), "{s}", sec.text)
				out = append(out, sample{r.Replace(t), sec.text})
			}
			return out
		}
	}
	ev.skipped++
	return nil
}

// one evaluates an expression that stands for one string.
func (ev *evaluator) one(e ast.Expr) (sample, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return sample{}, false
		}
		v, err := strconv.Unquote(x.Value)
		return sample{text: v}, err == nil
	case *ast.ParenExpr:
		return ev.one(x.X)
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return sample{}, false
		}
		a, ok1 := ev.one(x.X)
		b, ok2 := ev.one(x.Y)
		v := a.value + b.value
		return sample{a.text + b.text, v}, ok1 && ok2
	case *ast.CallExpr:
		args := make([]string, len(x.Args))
		for i, a := range x.Args {
			s, ok := ev.one(a)
			if !ok {
				return sample{}, false
			}
			args[i] = s.text
		}
		switch name(x.Fun) {
		case "utils.GenerateSampleSecret":
			return sample{fmt.Sprintf("%s_api_token = \"%s\"", args[0], args[1]), args[1]}, true
		case "secrets.NewSecret":
			v, ok := generate(args[0], false)
			return sample{v, v}, ok
		case "newPlausibleSecret":
			v, ok := generate(args[0], true)
			return sample{v, v}, ok
		case "utils.Numeric":
			return sample{text: "[0-9]{" + args[0] + "}"}, true
		case "utils.Hex":
			return sample{text: "[a-f0-9]{" + args[0] + "}"}, true
		case "utils.AlphaNumeric":
			return sample{text: "[a-z0-9]{" + args[0] + "}"}, true
		case "utils.AlphaNumericExtendedShort":
			return sample{text: "[a-z0-9_-]{" + args[0] + "}"}, true
		case "utils.AlphaNumericExtended":
			return sample{text: `[a-z0-9=_\-]{` + args[0] + "}"}, true
		case "utils.AlphaNumericExtendedLong":
			return sample{text: `[a-z0-9\/=_\+\-]{` + args[0] + "}"}, true
		case "utils.Hex8_4_4_4_12":
			return sample{text: `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`}, true
		}
	}
	return sample{}, false
}

func name(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return name(x.X) + "." + x.Sel.Name
	}
	return ""
}

// generate returns a random string the pattern matches (with a digit 1-9 when digit).
func generate(pattern string, digit bool) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	for range 100 {
		var b strings.Builder
		if !gen(&b, re.Simplify()) {
			return "", false
		}
		if !digit || strings.ContainsAny(b.String(), "123456789") {
			return b.String(), true
		}
	}
	return "", false
}

func gen(b *strings.Builder, re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && rng.IntN(2) == 0 {
				r = []rune(strings.ToUpper(string(r)))[0]
			}
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		n := 0
		for i := 0; i < len(re.Rune); i += 2 {
			n += int(re.Rune[i+1]-re.Rune[i]) + 1
		}
		k := rng.IntN(n)
		for i := 0; i < len(re.Rune); i += 2 {
			size := int(re.Rune[i+1]-re.Rune[i]) + 1
			if k < size {
				b.WriteRune(re.Rune[i] + rune(k))
				break
			}
			k -= size
		}
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteByte(byte('a' + rng.IntN(26)))
	case syntax.OpCapture:
		return gen(b, re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !gen(b, s) {
				return false
			}
		}
	case syntax.OpAlternate:
		return gen(b, re.Sub[rng.IntN(len(re.Sub))])
	case syntax.OpRepeat, syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		lo, hi := re.Min, re.Max
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, 3
		case syntax.OpPlus:
			lo, hi = 1, 3
		case syntax.OpQuest:
			lo, hi = 0, 1
		}
		if hi < 0 {
			hi = lo + 3
		}
		for range lo + rng.IntN(hi-lo+1) {
			if !gen(b, re.Sub[0]) {
				return false
			}
		}
	case syntax.OpEmptyMatch, syntax.OpBeginText, syntax.OpEndText, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpWordBoundary:
	default:
		return false
	}
	return true
}
