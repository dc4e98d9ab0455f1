// Package policy decides whether an agent's action is allowed, with Cedar policies
// (github.com/cedar-policy/cedar-go).
//
// # Place in the flow
//
// authenticate -> session and kill switch -> classify intent -> **evaluate policy** -> record
// decision -> broker -> execute -> mask -> record result. The authority builds a Request from
// the authenticated agent, the session (operator, classified intents, age, action count) and
// the normalised action, calls Set.Evaluate, and records the Decision before anything runs.
//
// # Contract
//
//   - Compile parses a Cedar policy document. Every policy MUST carry an @id("...")
//     annotation, unique in the document, of 1 to MaxIDLength characters [A-Za-z0-9._:/-]
//     starting with a letter or digit; "default-deny" is reserved. A rejected document yields
//     an error wrapping ErrInvalid that lists every problem with its file, line and column
//     (see Problems).
//   - Evaluate is default deny: with no matching permit the verdict is deny with the single
//     reason ReasonDefaultDeny ("default-deny"). Any matching forbid wins over every permit.
//     Every candidate policy is evaluated, so Reasons names all the permits that allowed or
//     all the forbids that denied, in document order.
//   - A policy whose evaluation fails (for example it reads a context attribute that is
//     absent) is skipped, as Cedar specifies, and the failure is reported in
//     Decision.Errors. Evaluation never panics. Because a failing forbid is skipped, write
//     forbids defensively: test presence with `has` before reading optional attributes.
//   - Evaluate hands cedar-go only the policies that can match the request: sliced by
//     action (policies naming the action or its family, and those with no action scope),
//     by target (policies whose resource scope is `resource in Target::"<target>"` for this
//     target, and those naming no target), by resource (a resource scope naming one
//     resource), by agent (a principal scope naming one agent) and by guards, the leading
//     conditions that test the operator's verification, an intent, the agent's kind, or
//     compare a counter, the hour, the weekday or an intent's score with a literal, alone
//     or joined by || and && (guard.go). Scopes the index proves are left out of what
//     cedar-go evaluates, a candidate whose conditions are all guards the request passes is
//     decided without it (as is the error of one that reads the score of an intent the
//     request lacks), and only the context attributes the remaining candidates read are
//     built. The result is by construction, and by property test (over generated sets and
//     the mixed set of mixedgen_test.go), equal to cedar-go evaluating every policy:
//     verdict, reasons and errors. Policies with no scope and no guard are candidates for
//     every request, so keep global rules few, and put the guards of a policy first.
//   - Evaluate's verdict is allow, deny or approval; Reasons are unaffected by variants.
//   - Evaluate builds only the context attributes some policy of the set reads (found at
//     Compile time; leaving out what no policy observes cannot change a decision), and
//     reuses records that repeat between requests from small bounded caches on the Set
//     (the session's agent, operator and intents; the target; the clock second; the family
//     counters). A Set is otherwise immutable and safe for concurrent use.
//   - Load compiles a stored document: from the last few Sets compiled in this process, or
//     from a Set.Precompiled form of the same name and text (cedar-go's AST in a compact
//     binary form, checksummed; anything else falls back to parsing the text), with the
//     same result and errors as Compile (precompiled.go). A set loaded from its form builds
//     each action's candidates on the first request for it, and compiles each policy on the
//     first decision that reaches it. Set.Served is the set the authority runs for a
//     compiled one: `mandate policy test` MUST decide with it.
//
// # Policy model
//
// This mapping is the interface policy authors write against; it MUST stay stable.
//
//	principal  Agent::"<agent id>"
//	action     Action::"<service>:<operation>"       e.g. Action::"http:GET", Action::"sql:SELECT",
//	                                                      Action::"dynamodb:GetItem"
//	resource   Resource::"<target>/<resource>"      e.g. Resource::"customers//customers/42":
//	                                                      the canonical path (shared/action),
//	                                                      the tables, or the ARN
//
// Entities. Each action's parent is its family (see Family): Action::"read",
// Action::"write" or Action::"delete", so `action in Action::"read"` covers every read. The
// resource's parent is Target::"<target>", so `resource in Target::"customers"` covers every
// resource of that target. Entities carry no attributes; everything else is in the context.
//
// Context record:
//
//	intents        Set<String>    names of the session's intents, as the classifier returned
//	                              them: those whose score reached its threshold, or the single
//	                              "unclassified"
//	intent_scores  Record         intent name -> score as a Long percentage 0..100 (the
//	                              classifier's [0,1] score times 100, rounded), e.g.
//	                              context.intent_scores["customer_support.lookup"] >= 80
//	                              (test with `has` first: an absent intent is an error)
//	operator       {id: String, verified: Bool,  the operator as named or proven; person is
//	                person: String, known: Bool}  who that is in the directory of people
//	                                              ("" and known false for nobody)
//	agent          {id: String, kind: String}
//	session        {age_s: Long, actions: Long,   actions asked for in the session, this one
//	                by_family: {read, write,       included (counted atomically first), in all
//	                delete}}                       and by family (Long each): `> 20` allows 20
//	target         {name: String, kind: String}   the target and its kind (http, sql, aws)
//	sql            {type, tables, columns}        a sql action's parsed statement
//	http           {query, query_names,           an http action's query, decoded and sorted
//	                query_string}                  (HTTP); the resource is the path without it
//	time           {hour: Long 0..23, weekday: Long 1..7 (ISO 8601, Monday = 1), unix: Long}
//	               all in UTC
//
// The whole model is a Cedar schema (mandate.cedarschema; Schema prints it). Set.Validate
// checks a document against it with cedar-go's strict validator before an upload is
// stored, and checks that every intent a policy names is in the intent catalog.
//
// # Verdict variants
//
// Annotations on permit policies qualify an allow they decide (annotations.go):
// @approval("why") turns it into api.VerdictApproval (a human must approve this exact
// action; any deciding permit asking for approval is enough), @self_approval("allowed")
// lets the session's own operator approve, @mask("profile") names the masking profile and
// @max_ttl("30s") bounds the credential's lifetime (the shortest wins). Decision carries
// them. Compile rejects them on forbid policies and with malformed values.
//
// # Cedar's own corpora
//
// CompileUnnamed and Set.Authorize decide requests in Cedar's own terms (any entity types,
// any action hierarchy) through the same slicing, for `mandate policy test` over Cedar's
// integration-test format.
//
// An example policy:
//
//	@id("support-reads-customers")
//	permit (principal, action in Action::"read", resource in Target::"customers")
//	when { context.intents.contains("customer_support.lookup") };
package policy
