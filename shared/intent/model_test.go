package intent

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
)

// fakeConverser answers Converse with a func.
type fakeConverser struct {
	converse func(*bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error)
}

func (f fakeConverser) Converse(_ context.Context, in *bedrockruntime.ConverseInput, _ ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseOutput, error) {
	return f.converse(in)
}

func textAnswer(s string) *bedrockruntime.ConverseOutput {
	return &bedrockruntime.ConverseOutput{Output: &types.ConverseOutputMemberMessage{Value: types.Message{
		Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}},
	}}}
}

const modelID = "anthropic.claude-test-v1:0"

// TestModelRequest: the Converse request names the model, carries the text as the user
// message (never in the instructions), asks for a JSON schema answer whose names are exactly
// the catalog's and Unclassified, and at temperature 0.
func TestModelRequest(t *testing.T) {
	t.Parallel()
	c := loadDemo(t)
	var got *bedrockruntime.ConverseInput
	m, err := newModelClassifier(fakeConverser{func(in *bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
		got = in
		return textAnswer(`{"intents":[]}`), nil
	}}, modelID, c)
	if err != nil {
		t.Fatal(err)
	}
	const text = "look up the contact details of customer [EMAIL]"
	if _, err := m.Classify(context.Background(), text); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.ModelId) != modelID {
		t.Errorf("model id %q", aws.ToString(got.ModelId))
	}
	if len(got.Messages) != 1 || got.Messages[0].Role != types.ConversationRoleUser || len(got.Messages[0].Content) != 1 {
		t.Fatalf("messages %+v", got.Messages)
	}
	if tb, ok := got.Messages[0].Content[0].(*types.ContentBlockMemberText); !ok || tb.Value != text {
		t.Errorf("user content %+v", got.Messages[0].Content[0])
	}
	sys := got.System[0].(*types.SystemContentBlockMemberText).Value
	for _, d := range c.Definitions() {
		if !strings.Contains(sys, d.Name) {
			t.Errorf("instructions omit intent %s", d.Name)
		}
	}
	if strings.Contains(sys, text) {
		t.Error("the text is in the instructions")
	}
	if got.InferenceConfig == nil || aws.ToFloat32(got.InferenceConfig.Temperature) != 0 || aws.ToInt32(got.InferenceConfig.MaxTokens) <= 0 {
		t.Errorf("inference config %+v", got.InferenceConfig)
	}
	tf := got.OutputConfig.TextFormat
	if tf.Type != types.OutputFormatTypeJsonSchema {
		t.Fatalf("output format %q", tf.Type)
	}
	var schema struct {
		Properties struct {
			Intents struct {
				Items struct {
					Properties struct {
						Name struct {
							Enum []string `json:"enum"`
						} `json:"name"`
					} `json:"properties"`
				} `json:"items"`
			} `json:"intents"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(tf.Structure.(*types.OutputFormatStructureMemberJsonSchema).Value.Schema)), &schema); err != nil {
		t.Fatal(err)
	}
	want := []string{Unclassified}
	for _, d := range c.Definitions() {
		want = append(want, d.Name)
	}
	if diff := cmp.Diff(want, schema.Properties.Intents.Items.Properties.Name.Enum); diff != "" {
		t.Errorf("schema names (-want +got):\n%s", diff)
	}
}

// TestModelAnswerBounded: the model's answer is kept only within the catalog, its scores
// clamped and thresholded, duplicates merged, evidence bounded; a malformed answer or a
// failed call is an error with the deterministic verdict still beside it.
func TestModelAnswerBounded(t *testing.T) {
	t.Parallel()
	c := loadDemo(t)
	long := strings.Repeat("é", 300)
	tests := []struct {
		name, answer string
		want         []api.Intent
		dropped      []string
		err          bool
	}{
		{"in catalog", `{"intents":[{"name":"customer_support.lookup","score":0.9,"evidence":["contact details"]}]}`,
			[]api.Intent{{Name: "customer_support.lookup", Score: 0.9, Evidence: []string{"contact details"}}}, nil, false},
		{"outside the catalog", `{"intents":[{"name":"admin.everything","score":1},{"name":"reporting.aggregate","score":0.7}]}`,
			[]api.Intent{{Name: "reporting.aggregate", Score: 0.7, Evidence: []string{}}}, []string{"admin.everything"}, false},
		{"clamped, thresholded, merged, sorted", `{"intents":[{"name":"reporting.aggregate","score":0.6},{"name":"customer_data.delete","score":7},{"name":"customer_support.lookup","score":0.01},{"name":"reporting.aggregate","score":0.8}]}`,
			[]api.Intent{{Name: "customer_data.delete", Score: 1, Evidence: []string{}}, {Name: "reporting.aggregate", Score: 0.8, Evidence: []string{}}}, nil, false},
		{"nothing", `{"intents":[{"name":"unclassified","score":1}]}`, []api.Intent{{Name: Unclassified, Evidence: []string{}}}, nil, false},
		{"long evidence", `{"intents":[{"name":"reporting.aggregate","score":0.9,"evidence":["` + long + `"]}]}`,
			[]api.Intent{{Name: "reporting.aggregate", Score: 0.9, Evidence: []string{strings.Repeat("é", maxEvidenceLength/2)}}}, nil, false},
		{"not JSON", `I think it is a lookup`, nil, nil, true},
		{"unknown field", `{"intents":[],"grant":"admin"}`, nil, nil, true},
		{"trailing text", `{"intents":[]} {"intents":[]}`, nil, nil, true},
	}
	for _, tt := range tests {
		m, err := newModelClassifier(fakeConverser{func(*bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
			return textAnswer(tt.answer), nil
		}}, modelID, c)
		if err != nil {
			t.Fatal(err)
		}
		v, err := m.Classify(context.Background(), "how many customers signed up last month")
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v", tt.name, err)
		}
		if v.ModelID != modelID || len(v.Deterministic) == 0 || v.Deterministic[0].Name != "reporting.aggregate" {
			t.Errorf("%s: verdict %+v lacks the model id or the deterministic verdict", tt.name, v)
		}
		if tt.err {
			continue
		}
		if diff := cmp.Diff(tt.want, v.Intents); diff != "" {
			t.Errorf("%s: intents (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.dropped, v.Dropped); diff != "" {
			t.Errorf("%s: dropped (-want +got):\n%s", tt.name, diff)
		}
	}
	// A failed call.
	m, _ := newModelClassifier(fakeConverser{func(*bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
		return nil, errors.New("throttled")
	}}, modelID, c)
	if v, err := m.Classify(context.Background(), "x"); err == nil || len(v.Deterministic) == 0 {
		t.Errorf("failed call: %+v, %v", v, err)
	}
	if _, err := newModelClassifier(fakeConverser{}, "", c); err == nil {
		t.Error("no model id accepted")
	}
}

// FuzzModelAnswer: any answer text is parsed without panic and bounded to the catalog.
func FuzzModelAnswer(f *testing.F) {
	c := loadDemo(f)
	m, err := newModelClassifier(fakeConverser{}, modelID, c)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"intents":[{"name":"customer_support.lookup","score":0.9,"evidence":["x"]}]}`)
	f.Add(`{"intents":[{"name":"x","score":-1e308}]}`)
	f.Fuzz(func(t *testing.T, answer string) {
		intents, _, err := m.bound([]byte(answer))
		if err != nil {
			return
		}
		for _, in := range intents {
			if in.Name != Unclassified && c.families(in.Name) == nil {
				t.Fatalf("intent %q outside the catalog", in.Name)
			}
			if in.Score < 0 || in.Score > 1 || len(in.Evidence) > maxModelEvidence {
				t.Fatalf("unbounded %+v", in)
			}
		}
	})
}
