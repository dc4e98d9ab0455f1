package authority

import (
	"context"
	"time"

	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/intent"
)

// ModelTimeout bounds the model call when a session opens; past it the deterministic
// intents stand alone.
const ModelTimeout = 5 * time.Second

// askModel asks the configured model about the (masked) prompt, bounded to the active
// catalog. It returns nil when no model is configured; otherwise the verdict to record, with
// the deterministic intents beside it and the error when the model did not answer — in which
// case the caller keeps the deterministic intents. The model never widens the catalog: its
// answer is bounded to the catalog's names before it is used.
func (a *Authority) askModel(ctx context.Context, cl *intent.Classifier, prompt string) *audit.Model {
	if a.model == nil {
		return nil
	}
	m, err := a.model.For(cl)
	if err != nil {
		return &audit.Model{ModelID: a.model.ModelID, Deterministic: cl.Classify(prompt), Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, ModelTimeout)
	defer cancel()
	v, err := m.Classify(ctx, prompt)
	rec := &audit.Model{ModelID: v.ModelID, Intents: v.Intents, Dropped: v.Dropped, Deterministic: v.Deterministic}
	if err != nil {
		a.log.WarnContext(ctx, "intent model did not answer; the deterministic intents stand", "model", v.ModelID, "error", err)
		rec.Intents, rec.Error = nil, "the model did not answer"
	}
	return rec
}
