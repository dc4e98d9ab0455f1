package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/x/exp/schema"
	exptypes "github.com/cedar-policy/cedar-go/x/exp/types"

	"github.com/mandate-dev/mandate/shared/intent"
	"github.com/mandate-dev/mandate/shared/policy"
)

const policyUsage = `usage: mandate policy validate [--policies PDIR] [--intents FILE] [--output text|json] DIR
       mandate policy test [--policies PDIR] [--intents FILE] [--output text|json] DIR
validate compiles and validates the *.cedar files of PDIR (default DIR); test does the same,
then decides every case file of DIR through the engine the authority runs. Exit 0 when all
holds, 1 on a problem or a mismatch, 2 on a wrong command line.

examples:
  mandate policy validate shared/local/defaults
  mandate policy test --policies shared/local/defaults testdata/policies`

// cmdPolicy is `mandate policy validate|test [--policies PDIR] [--intents FILE] DIR`, for
// policy authors and CI:
//
//   - validate compiles every *.cedar file of PDIR (default DIR) as one policy set (in file
//     name order) and validates it against the Mandate schema; the intent names come from
//     --intents, or PDIR/intents.yaml when it exists (whose examples are then checked too).
//   - test does the same, then decides every case of every *.cases.yaml, *.cases.yml and
//     *.cases.json file of DIR with that set, and every request of every Cedar
//     integration-test file (*.json naming "policies" and "requests") with the policies,
//     entities and schema it names, through the same sliced engine.
//
// Both exit 0 when everything holds, 1 on any problem or mismatch, 2 on a usage error.
func cmdPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "validate" && args[0] != "test") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintln(stdout, policyUsage)
			return exitOK
		}
		fmt.Fprintln(stderr, policyUsage)
		return exitUsage
	}
	sub := args[0]
	flagSet := flags("policy "+sub, stderr)
	policies := flagSet.String("policies", "", "folder of the *.cedar files (default: DIR)")
	intentsFile := flagSet.String("intents", "", "intent catalog whose names policies may use (default: PDIR/intents.yaml if present)")
	output := flagSet.String("output", "text", "text, or json: one object with the exit code, the problems and the report")
	pos, code, ok := parseArgs(flagSet, args[1:], "mandate policy "+sub+" [--policies PDIR] [--intents FILE] DIR", exactly1, stdout, stderr)
	if !ok {
		return code
	}
	dir := pos[0]
	if *policies == "" {
		*policies = dir
	}
	// A folder that is not there is a wrong question, never a pass.
	for _, d := range []string{dir, *policies} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "mandate policy %s: %s is not a folder\n", sub, d)
			return exitUsage
		}
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "mandate policy %s: --output must be text or json, not %q\n", sub, *output)
		return exitUsage
	}
	var text bytes.Buffer
	r := &policyRun{out: stdout}
	if *output == "json" {
		r.out = &text
		defer func() { policyJSON(stdout, r, &text) }()
	}
	set := r.validate(*policies, *intentsFile)
	if sub == "test" {
		r.test(dir, set)
		if r.ran == 0 {
			r.fail("%s: no test cases (*.cases.yaml, *.cases.json or Cedar integration tests): nothing was tested", dir)
		}
	} else if r.policyFiles == 0 {
		r.fail("%s: no *.cedar policy files: nothing was validated", *policies)
	}
	if r.failed > 0 {
		fmt.Fprintf(stdout, "FAILED: %d problem(s)\n", r.failed)
		return exitFailed
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}

// policyJSON prints a policy run as one JSON object.
func policyJSON(stdout io.Writer, r *policyRun, text *bytes.Buffer) {
	code := exitOK
	if r.failed > 0 {
		code = exitFailed
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		ExitCode int      `json:"exit_code"`
		Problems int      `json:"problems"`
		Report   []string `json:"report"`
	}{code, r.failed, lines})
}

// policyRun accumulates what a policy command found.
type policyRun struct {
	out    io.Writer
	failed int
	// policyFiles and ran count what was validated and tested: none is a failure.
	policyFiles, ran int
}

func (r *policyRun) fail(format string, args ...any) {
	r.failed++
	fmt.Fprintf(r.out, format+"\n", args...)
}

// validate compiles and validates DIR's *.cedar files; it returns nil when there are none or
// they do not compile.
func (r *policyRun) validate(dir, intentsFile string) *policy.Set {
	files, err := filepath.Glob(filepath.Join(dir, "*.cedar"))
	if err != nil || len(files) == 0 {
		if err != nil {
			r.fail("%s: %v", dir, err)
		}
		return nil
	}
	slices.Sort(files)
	var srcs []policy.Source
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			r.fail("%v", err)
			return nil
		}
		srcs = append(srcs, policy.Source{Name: f, Text: text})
	}
	r.policyFiles = len(files)
	set, err := policy.CompileFiles(dir, srcs)
	if err != nil {
		for _, p := range policy.Problems(err) {
			r.fail("%v", p)
		}
		return nil
	}
	intents := r.intentNames(dir, intentsFile)
	if err := set.Validate(intents); err != nil {
		for _, p := range policy.Problems(err) {
			r.fail("%v", p)
		}
		return r.served(dir, set)
	}
	fmt.Fprintf(r.out, "valid: %d policies in %d file(s)\n", set.Len(), len(files))
	return r.served(dir, set)
}

// served returns the set as the authority runs it (policy.Set.Served: read back from its
// precompiled form and indexed as on a cold start), so tests decide what production runs.
func (r *policyRun) served(name string, set *policy.Set) *policy.Set {
	s, err := set.Served()
	if err != nil {
		r.fail("%s: the policy set has no precompiled form the authority could load: %v", name, err)
		return nil
	}
	return s
}

// decidedBy names how a set decides, for the report.
func decidedBy(set *policy.Set) string {
	if set.FromPrecompiledForm() {
		return "as served: read back from its precompiled form"
	}
	return "compiled from text"
}

// intentNames reads the intent catalog, checks its examples and returns its names (with
// "unclassified"); nil when there is no catalog.
func (r *policyRun) intentNames(dir, file string) []string {
	if file == "" {
		file = filepath.Join(dir, "intents.yaml")
		if _, err := os.Stat(file); err != nil {
			return nil
		}
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		r.fail("%v", err)
		return nil
	}
	cl, err := intent.Parse(raw)
	if err == nil {
		err = cl.CheckExamples()
	}
	if err != nil {
		r.fail("%s: %v", file, err)
		return nil
	}
	var names []string
	for _, d := range cl.Definitions() {
		names = append(names, d.Name)
	}
	return append(names, intent.Unclassified)
}

// test runs the case files against set and the Cedar integration tests found in dir and
// its subfolders, in lexical order.
func (r *policyRun) test(dir string, set *policy.Set) {
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := e.Name()
		switch {
		case e.IsDir():
		case strings.HasSuffix(name, ".cases.yaml"), strings.HasSuffix(name, ".cases.yml"), strings.HasSuffix(name, ".cases.json"):
			r.cases(path, set)
		case strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".entities.json"):
			r.cedarTest(path)
		}
		return nil
	})
	if err != nil {
		r.fail("%v", err)
	}
}

func (r *policyRun) cases(path string, set *policy.Set) {
	raw, err := os.ReadFile(path)
	if err != nil {
		r.fail("%v", err)
		return
	}
	cases, err := policy.ParseCases(raw)
	if err != nil {
		r.fail("%s: %v", path, err)
		return
	}
	if set == nil {
		r.fail("%s: no valid policy set in the folder to test", path)
		return
	}
	if len(cases) == 0 {
		r.fail("%s: no cases", path)
		return
	}
	r.ran += len(cases)
	errs := set.Check(cases)
	for _, e := range splitJoined(errs) {
		r.fail("%s: %v", path, e)
	}
	fmt.Fprintf(r.out, "%s: %d case(s), %d failed (%s)\n", path, len(cases), len(splitJoined(errs)), decidedBy(set))
}

// cedarTest is one file of Cedar's integration-test format.
type cedarTest struct {
	Policies       string `json:"policies"`
	Entities       string `json:"entities"`
	Schema         string `json:"schema"`
	ShouldValidate bool   `json:"shouldValidate"`
	Requests       []struct {
		Description     string           `json:"description"`
		Principal       *cedar.EntityUID `json:"principal"`
		Action          *cedar.EntityUID `json:"action"`
		Resource        *cedar.EntityUID `json:"resource"`
		Context         cedar.Record     `json:"context"`
		ValidateRequest bool             `json:"validateRequest"`
		Decision        string           `json:"decision"`
		Reasons         []string         `json:"reason"`
		Errors          []string         `json:"errors"`
	} `json:"requests"`
}

// cedarTest decides the requests of a Cedar integration-test file. A JSON file of another
// shape is skipped. Paths in the file are resolved against the file's folder, then against
// its parent folders (the upstream corpus names them from its root).
func (r *policyRun) cedarTest(path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		r.fail("%v", err)
		return
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) != nil || probe["policies"] == nil || probe["requests"] == nil {
		return
	}
	var tt cedarTest
	if err := json.Unmarshal(raw, &tt); err != nil {
		r.fail("%s: not a Cedar integration test: %v", path, err)
		return
	}
	r.ran += len(tt.Requests)
	read := func(name string) ([]byte, error) {
		for d := filepath.Dir(path); ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, name)); err == nil {
				return b, nil
			}
			if d == filepath.Dir(d) || d == "." {
				return nil, fmt.Errorf("%s: %s not found beside it or above", path, name)
			}
		}
	}
	polText, err := read(tt.Policies)
	if err != nil {
		r.fail("%v", err)
		return
	}
	compiled, err := policy.CompileUnnamed(tt.Policies, polText)
	if err != nil {
		r.fail("%s: %v", path, err)
		return
	}
	set := r.served(path, compiled)
	if set == nil {
		return
	}
	var ents cedar.EntityMap
	entText, err := read(tt.Entities)
	if err != nil {
		r.fail("%v", err)
		return
	}
	if schemaText, err := read(tt.Schema); err == nil {
		// Entities are read with the schema, as Cedar does, so extension values in
		// attributes have their declared types.
		var sc schema.Schema
		sc.SetFilename(tt.Schema)
		if err := sc.UnmarshalCedar(schemaText); err == nil {
			if rs, err := sc.Resolve(); err == nil {
				var em exptypes.EntityMap
				if err := em.UnmarshalJSONWithSchema(entText, rs); err == nil {
					ents = cedar.EntityMap(em)
				}
			}
		}
	}
	if ents == nil {
		if err := json.Unmarshal(entText, &ents); err != nil {
			r.fail("%s: entities: %v", path, err)
			return
		}
	}
	bad := 0
	for _, q := range tt.Requests {
		req := cedar.Request{Context: q.Context}
		if q.Principal != nil {
			req.Principal = *q.Principal
		}
		if q.Action != nil {
			req.Action = *q.Action
		}
		if q.Resource != nil {
			req.Resource = *q.Resource
		}
		d := set.Authorize(ents, req)
		reasons := d.Reasons
		if slices.Equal(reasons, []string{policy.ReasonDefaultDeny}) {
			reasons = nil
		}
		if d.Verdict != q.Decision || !sameSet(reasons, q.Reasons) || !sameSet(d.ErrorPolicies, q.Errors) {
			bad++
			r.fail("%s: %s: got %s %v errors %v, want %s %v errors %v", path, q.Description, d.Verdict, reasons, d.ErrorPolicies, q.Decision, q.Reasons, q.Errors)
		}
	}
	fmt.Fprintf(r.out, "%s: %d request(s), %d failed (%s)\n", path, len(tt.Requests), bad, decidedBy(set))
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func splitJoined(err error) []error {
	if err == nil {
		return nil
	}
	var out []error
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range u.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	return []error{err}
}
