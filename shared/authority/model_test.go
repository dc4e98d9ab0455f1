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
	if len(s.Intents) != 1 || s.Intents[0].Name != "reporting.aggregate" {
		t.Fatalf("session intents = %+v, want the model's, bounded to the catalog", s.Intents)
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
