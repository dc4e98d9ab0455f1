package audit

import "github.com/mandate-dev/mandate/shared/api"

// Model is a model-backed classifier's verdict on the prompt, recorded beside the
// deterministic one: which model answered, its intents (already bounded to the catalog), the
// names it gave that the catalog lacks, and the error if it did not answer (then the
// deterministic intents stand alone).
type Model struct {
	ModelID       string       `json:"model_id"`
	Intents       []api.Intent `json:"intents,omitempty"`
	Dropped       []string     `json:"dropped,omitempty"`
	Deterministic []api.Intent `json:"deterministic,omitempty"`
	Error         string       `json:"error,omitempty"`
}
