package intent

import "errors"

// Converser is the Bedrock Runtime call a model classifier makes; *bedrockruntime.Client
// fits it, and tests hand in a fake.
type Converser = converser

// Model names the Bedrock model the authority asks beside the deterministic classifier.
type Model struct {
	Client  Converser
	ModelID string
}

// For returns a classifier of m bounded to catalog, the active catalog of the moment (the
// catalog can be replaced at run time, so the authority asks for one per use).
func (m *Model) For(catalog *Classifier) (*ModelClassifier, error) {
	if m == nil || m.Client == nil {
		return nil, errors.New("intent: no model configured")
	}
	return newModelClassifier(m.Client, m.ModelID, catalog)
}
