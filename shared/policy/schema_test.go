package policy

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cedar-policy/cedar-go"

	"github.com/mandate-dev/mandate/shared/action"
)

func TestDemoPoliciesValidate(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../local/defaults/policies.cedar")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile("policies.cedar", src)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate([]string{"customer_support.lookup", "customer_data.delete", "reporting.aggregate", "unclassified"}); err != nil {
		t.Fatal(err)
	}
}

func TestValidateReportsPositionedProblems(t *testing.T) {
	t.Parallel()
	intents := []string{"support.lookup"}
	tests := []struct {
		name, src string
		line      int
		want      string
	}{
		{"unknown context attribute", "\n@id(\"a\") permit (principal, action, resource) when { context.nope };", 2, "attribute `nope`"},
		{"unknown entity type", `@id("a") permit (principal == User::"x", action, resource);`, 1, "unrecognized entity type `User`"},
		{"action without a family", `@id("a") permit (principal, action == Action::"bogus", resource);`, 1, "unrecognized action"},
		{"type error", `@id("a") permit (principal, action, resource) when { context.operator.verified == 3 };`, 1, "not compatible"},
		{"score read without has", `@id("a") permit (principal, action, resource) when { context.intent_scores["support.lookup"] > 50 };`, 1, "optional attribute"},
		{"misspelt intent", `@id("a") permit (principal, action, resource) when { context.intents.contains("suport.lookup") };`, 1, `intent "suport.lookup" is not in the intent catalog`},
		{"misspelt intent in a set", `@id("a") permit (principal, action, resource) when { context.intents.containsAny(["support.lookup", "x.y"]) };`, 1, `intent "x.y"`},
		{"unknown intent score", `@id("a") permit (principal, action, resource) when { context.intent_scores has "x.y" };`, 1, `intent "x.y"`},
		{"second policy", "@id(\"a\") permit (principal, action, resource);\n\n@id(\"b\") permit (principal, action, resource) when { context.session.by_family.reads > 1 };", 3, "attribute `reads`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Compile("t.cedar", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			probs := Problems(s.Validate(intents))
			if len(probs) == 0 {
				t.Fatal("Validate accepted the document")
			}
			found := false
			for _, p := range probs {
				found = found || (p.Line == tt.line && p.File == "t.cedar" && strings.Contains(p.Message, tt.want))
			}
			if !found {
				t.Errorf("problems %v, want one at line %d with %q", probs, tt.line, tt.want)
			}
		})
	}
}

func TestValidateAcceptsTheModel(t *testing.T) {
	t.Parallel()
	s, err := Compile("ok.cedar", []byte(`
@id("a") permit (principal, action in [Action::"read", Action::"dynamodb:GetItem"], resource in Target::"t")
when {
  context.intents.contains("support.lookup") &&
  context.intent_scores has "support.lookup" && context.intent_scores["support.lookup"] >= 80 &&
  context.operator.verified && context.agent.kind == "iam" && context.agent.id like "arn:*" &&
  context.session.age_s < 900 && context.session.actions < 50 && context.session.by_family.delete == 0 &&
  context.time.hour >= 8 && context.time.weekday <= 5 && context.time.unix > 0 &&
  context.target.name == "t" && context.target.kind == "aws"
};
@id("b") forbid (principal, action == Action::"s3:DeleteBucket", resource);
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate([]string{"support.lookup"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(Schema(nil, []string{"s3:DeleteBucket", "nofamily"}), `action "s3:DeleteBucket" in ["delete"]`) {
		t.Error("Schema does not declare a named AWS action in its family")
	}
}

func TestCompileFilesKeepsFilePositions(t *testing.T) {
	t.Parallel()
	_, err := CompileFiles("dir", []Source{
		{Name: "a.cedar", Text: []byte(`@id("x") permit (principal, action, resource);`)},
		{Name: "b.cedar", Text: []byte("\n@id(\"x\") forbid (principal, action, resource);")},
	})
	p := Problems(err)
	if len(p) != 1 || p[0].File != "b.cedar" || p[0].Line != 2 || !strings.Contains(p[0].Message, "first used at a.cedar:1:1") {
		t.Fatalf("problems %v", p)
	}
}

// TestSchemaDeclaresEveryContextAttribute: every attribute of the context requests carry,
// and every attribute of the records in it, is in the schema uploads are validated against,
// so a policy reading it is not refused (context.sql.classes once was).
func TestSchemaDeclaresEveryContextAttribute(t *testing.T) {
	t.Parallel()
	r := benchRequest()
	r.SQL = &SQL{Type: "SELECT", Tables: []string{"public.t"}, Classes: []string{"email"}}
	r.HTTP = &HTTP{Segments: []string{"customers"}, Query: []action.Param{{Name: "a", Value: "b"}}}
	req, _ := cedarRequest(r, nil, ctxAll, sessAll)
	var paths []string
	for k, v := range req.Context.All() {
		if k == "intent_scores" { // keys are the catalog's intents, each optional
			continue
		}
		paths = append(paths, "context."+string(k))
		if rec, ok := v.(cedar.Record); ok {
			for k2 := range rec.All() {
				paths = append(paths, "context."+string(k)+"."+string(k2))
			}
		}
	}
	if len(paths) < 20 {
		t.Fatalf("only %d attributes: %v", len(paths), paths)
	}
	for _, p := range paths {
		s, err := Compile("t.cedar", []byte(fmt.Sprintf(`@id("a") permit (principal, action, resource) when { %s == %s };`, p, p)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate([]string{"intent3", "intent7"}); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
