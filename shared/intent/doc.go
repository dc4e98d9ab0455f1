// Package intent classifies the human's originating prompt into the named intents of an
// intent catalog, deterministically and with the evidence for each verdict.
//
// # Place in the flow
//
// authenticate -> session and kill switch -> **classify intent** (when a session opens) ->
// evaluate policy -> record decision -> broker -> execute -> mask -> record result. The
// session keeps the classified intents; policy sees their names and scores in its context
// (context.intents, context.intent_scores). An intent can only narrow what policy allows:
// policies decide what a session with a given intent may do, and an intent grants nothing by
// itself.
//
// # Catalog
//
// YAML, or JSON when the document starts with '{':
//
//	threshold: 0.5                  # optional, in (0, 1]; DefaultThreshold when absent
//	intents:
//	  - name: customer_support.lookup   # lowercase dot-separated words, unique
//	    description: ...
//	    risk: low                        # low | medium | high
//	    families: [read]                 # read | write | delete, at least one
//	    phrases:  [{text: contact details, weight: 0.6}]
//	    keywords: [{text: customer, weight: 0.2}]    # one word each
//	    negative: [{text: delete, weight: 0.7}]
//	    examples: [...]                  # must classify to this intent
//	    counter_examples: [...]          # must not
//
// A recogniser's text is normalised as prompts are; each of its words may end in '*' to
// match any word with that prefix ("delet*" matches delete, deleted, deleting). Weights are
// in (0, 1]. An intent needs at least one phrase or keyword. Parse reports every problem at
// once; CheckExamples runs the examples.
//
// # Classification
//
// The prompt is normalised: Unicode simple case folding (fullwidth forms to ASCII,
// typographic apostrophes to '), split on white space, punctuation and symbols stripped from
// the ends of each word, a possessive 's dropped. A phrase matches where its words appear
// consecutively; a keyword where its word appears. Each recogniser counts once, however
// often it appears. For each intent
//
//	P     = 1 - Π (1 - weight)   over its matched phrases and keywords
//	N     = 1 - Π (1 - weight)   over its matched negative cues
//	score = max(0, P - N), rounded to 4 decimal places, in [0, 1]
//
// Classify returns the intents with a score above 0 and at least the threshold, by score
// descending then name, each with Evidence listing its matched recognisers in catalog
// order: "phrase:<text>", "keyword:<text>", then "negative:<text>". When none qualifies it
// returns the single intent Unclassified ("unclassified") with score 0 and empty evidence.
//
// # Contract
//
//   - Classify is a pure function of the catalog and the prompt: the same input always gives
//     the same output, and it never panics, whatever the prompt.
//   - A Classifier is immutable and safe for concurrent use.
//   - Parse rejects unknown fields, so a misspelt field never silently disables a recogniser.
package intent
