package authority

import (
	"context"
	"time"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/api"
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

// narrow keeps the deterministic intents the model also found: a model's answer can remove
// an intent the rules found (recorded beside it), never add one, so a prompt that talks the
// model into an intent unlocks nothing. Nothing left is the single unclassified intent.
func narrow(rules, model []api.Intent) []api.Intent {
	found := make(map[string]bool, len(model))
	for _, in := range model {
		found[in.Name] = true
	}
	var out []api.Intent
	for _, in := range rules {
		if found[in.Name] {
			out = append(out, in)
		}
	}
	if len(out) == 0 {
		return []api.Intent{{Name: intent.Unclassified, Evidence: []string{}}}
	}
	return out
}

// promptDigest is the prompt's keyed digest (audit.Prompt.HMAC); "" with no deployment key,
// since a bare hash of a short prompt gives back what its mask hides.
func (a *Authority) promptDigest(prompt string) string {
	if len(a.digestKey) == 0 {
		return ""
	}
	return action.Keyed(a.digestKey, domainPrompt, []byte(prompt))
}
