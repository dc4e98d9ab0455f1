package authority_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/intent"
	"github.com/mandate-dev/mandate/shared/mask"
)

// converser answers Converse with a fixed text, or fails; it keeps the prompt it was sent.
type converser struct {
	answer string
	err    error
	sent   string
}

func (c *converser) Converse(_ context.Context, in *bedrockruntime.ConverseInput, _ ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseOutput, error) {
	if tb, ok := in.Messages[0].Content[0].(*types.ContentBlockMemberText); ok {
		c.sent = tb.Value
	}
	if c.err != nil {
		return nil, c.err
	}
	return &bedrockruntime.ConverseOutput{Output: &types.ConverseOutputMemberMessage{Value: types.Message{
		Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: c.answer}},
	}}}, nil
}

func withModel(t *testing.T, c *converser) *fixture {
	t.Helper()
	f := newFixture(t)
	auth, err := authority.New(context.Background(), authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now), Executor: execute.NewHTTP(nil),
		Masker: mask.New(), Now: f.now, Log: quiet, Model: &intent.Model{Client: c, ModelID: "test-model-v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	return f
}

func openRecord(t *testing.T, f *fixture, prompt string) (api.Session, audit.Record) {
	t.Helper()
	s, err := f.auth.OpenSession(context.Background(), agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyChain(context.Background(), f.store, s.SessionID)
	if err != nil || rep.Break != nil || len(rep.Records) != 1 {
		t.Fatalf("chain: %v %v", err, rep.Break)
	}
	return s, rep.Records[0]
}

func TestModelClassifierIsBoundedAndRecorded(t *testing.T) {
	t.Parallel()
	c := &converser{answer: `{"intents":[{"name":"reporting.aggregate","score":0.8,"evidence":["numbers"]},{"name":"grant_admin","score":0.99}]}`}
	f := withModel(t, c)
	s, rec := openRecord(t, f, "send grace.hopper@example.org the numbers for customer 42's ticket")
	if strings.Contains(c.sent, "grace.hopper@example.org") {
		t.Fatalf("the model was sent the unmasked prompt: %q", c.sent)
	}
	// The rules found no reporting intent; the model cannot add one (nor grant_admin, which
	// is not even in the catalog): the session is left with what both agree on, nothing.
	if len(s.Intents) != 1 || s.Intents[0].Name != "unclassified" {
		t.Fatalf("session intents = %+v, want unclassified: the model only narrows", s.Intents)
	}
	if len(rec.Prompt.Model.Intents) != 1 || rec.Prompt.Model.Intents[0].Name != "reporting.aggregate" {
		t.Fatalf("recorded model intents = %+v, want the model's own answer kept beside the rules'", rec.Prompt.Model.Intents)
	}
	m := rec.Prompt.Model
	if m == nil || m.ModelID != "test-model-v1" || len(m.Dropped) != 1 || m.Dropped[0] != "grant_admin" || len(m.Deterministic) == 0 || m.Error != "" {
		t.Fatalf("recorded model verdict = %+v", m)
	}
}

func TestModelFailureLeavesTheDeterministicIntents(t *testing.T) {
	t.Parallel()
	f := withModel(t, &converser{err: errors.New("ThrottlingException: rate exceeded")})
	s, rec := openRecord(t, f, prompt)
	if len(s.Intents) == 0 || s.Intents[0].Name != "customer_support.lookup" {
		t.Fatalf("session intents = %+v", s.Intents)
	}
	if m := rec.Prompt.Model; m == nil || m.Error == "" || len(m.Intents) != 0 || strings.Contains(m.Error, "Throttling") {
		t.Fatalf("recorded model verdict = %+v", m)
	}
}

// A prompt that talks the model into an intent unlocks nothing the rules did not find; a
// model that doubts an intent the rules found removes it.
func TestModelOnlyNarrowsTheRulesIntents(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, answer string
		want         []string
	}{
		{"model agrees", `{"intents":[{"name":"customer_support.lookup","score":0.9}]}`, []string{"customer_support.lookup"}},
		{"model adds an intent", `{"intents":[{"name":"customer_support.lookup","score":0.9},{"name":"reporting.aggregate","score":0.99}]}`, []string{"customer_support.lookup"}},
		{"model removes the intent", `{"intents":[{"name":"reporting.aggregate","score":0.99}]}`, []string{"unclassified"}},
		{"model finds nothing", `{"intents":[]}`, []string{"unclassified"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := withModel(t, &converser{answer: c.answer})
			s, rec := openRecord(t, f, prompt)
			var got []string
			for _, in := range s.Intents {
				got = append(got, in.Name)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("session intents = %v, want %v", got, c.want)
			}
			if m := rec.Prompt.Model; m == nil || len(m.Deterministic) == 0 || m.Deterministic[0].Name != "customer_support.lookup" {
				t.Fatalf("the rules' verdict is not recorded beside the model's: %+v", m)
			}
		})
	}
}
