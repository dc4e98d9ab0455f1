package api

// PurposeFlag records that a session's declared purpose contradicts its prompt: the intent
// classifier's top intent for the purpose is not among the intents of the prompt. It is kept
// on the session and in its session.open record.
type PurposeFlag struct {
	// Intent is the purpose's top intent and Score its score.
	Intent string  `json:"intent"`
	Score  float64 `json:"score"`
	// OtherFamilies is true when Intent leads to an action family (read, write, delete)
	// that none of the prompt's intents leads to: the stronger contradiction.
	OtherFamilies bool `json:"other_families,omitempty"`
}
