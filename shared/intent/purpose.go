package intent

import (
	"slices"

	"github.com/mandate-dev/mandate/shared/api"
)

// CheckPurpose compares a declared purpose with the intents of the prompt (as Classify
// returned them) and returns a flag when the purpose contradicts the prompt, nil otherwise.
//
// The purpose is classified like a prompt. It contradicts the prompt when its top intent is
// not among the prompt's intents; the flag says whether that intent also leads to an action
// family none of the prompt's intents leads to. An empty purpose, or one that classifies as
// Unclassified, states nothing the classifier can compare and is never flagged; a purpose
// naming an intent when the prompt is Unclassified is flagged. A flag narrows nothing by
// itself: it is recorded for review.
func (c *Classifier) CheckPurpose(prompt []api.Intent, purpose string) *api.PurposeFlag {
	if purpose == "" {
		return nil
	}
	top := c.Classify(purpose)[0]
	if top.Name == Unclassified {
		return nil
	}
	var families []string
	for _, in := range prompt {
		if in.Name == top.Name {
			return nil
		}
		families = append(families, c.families(in.Name)...)
	}
	flag := &api.PurposeFlag{Intent: top.Name, Score: top.Score}
	for _, f := range c.families(top.Name) {
		if !slices.Contains(families, f) {
			flag.OtherFamilies = true
		}
	}
	return flag
}

// families returns the action families of the named intent; none for an unknown name.
func (c *Classifier) families(name string) []string {
	for _, d := range c.intents {
		if d.Name == name {
			return d.Families
		}
	}
	return nil
}
