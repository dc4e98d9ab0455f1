//go:build ignore

// Command extract writes the labelled addresses of TestParseAddr in the Go standard
// library's net/netip tests as JSON lines: each validIPs case ParseAddr accepts (no wantErr)
// as valid, each invalidIPs string as invalid. The source is parsed; none of it runs.
//
//	cp "$(go env GOROOT)/src/net/netip/netip_test.go" netip_test.txt   # go run takes no _test.go
//	go run extract.go netip_test.txt > addresses.jsonl
package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
)

func main() {
	fs := token.NewFileSet()
	f, err := parser.ParseFile(fs, os.Args[1], nil, 0)
	if err != nil {
		panic(err)
	}
	enc := json.NewEncoder(os.Stdout)
	ast.Inspect(f, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "TestParseAddr" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok || len(spec.Names) != 1 || len(spec.Values) != 1 {
				return true
			}
			list, ok := spec.Values[0].(*ast.CompositeLit)
			if !ok {
				return true
			}
			for _, el := range list.Elts {
				switch x := el.(type) {
				case *ast.BasicLit: // invalidIPs
					s, _ := strconv.Unquote(x.Value)
					enc.Encode(map[string]any{"address": s, "valid": false})
				case *ast.CompositeLit: // validIPs
					in, bad := "", false
					for _, f := range x.Elts {
						kv := f.(*ast.KeyValueExpr)
						switch kv.Key.(*ast.Ident).Name {
						case "in":
							in, _ = strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
						case "wantErr":
							bad = true
						}
					}
					enc.Encode(map[string]any{"address": in, "valid": !bad})
				}
			}
			return false
		})
		return false
	})
}
