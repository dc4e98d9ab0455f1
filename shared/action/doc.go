// Package action turns an agent's action into its one canonical form, once, before anything
// decides on it. Policy, the approval and idempotency digests, the audit record and the bytes
// sent to the target all come from that form and nothing else, so what was decided is exactly
// what ran: a spelling that means the same thing to the target either becomes the same
// canonical action or is refused.
//
// Its place in the flow: shared/authority calls it right after the session and kill switches
// are checked and before request inspection, counting and policy. Stage packages downstream
// (policy, broker, execute) receive the canonical action.
//
// The canonical forms:
//
//   - http: the method in upper case; the path split into segments, each percent-decoded once
//     and re-encoded by one rule (Encode); the query split off into parameters decoded once
//     (form rules: '+' is a space), sorted by name (values of one name keep their order) and
//     re-encoded by the same rule. Policy's resource is the path without the query; the query
//     is context.http.query. Refused with ErrNonCanonicalPath: an encoded or raw '\', an
//     encoded '/', NUL and other control characters, '.' and '..' segments (in any encoding),
//     ';' path parameters, a '%' that survives one decoding (double encoding), empty segments
//     (a doubled or trailing '/'), invalid UTF-8, text that Unicode NFKC normalisation would
//     change, a fragment. A '?' with nothing after it, and empty '&' pieces, are dropped; a
//     parameter without '=' is the parameter with an empty value.
//   - json bodies and aws params: decoded with every number kept as written (json.Number);
//     objects with a repeated name are refused (I-JSON, RFC 7493); the canonical bytes sort
//     object names and keep numbers' text (CanonicalJSON).
//   - aws: service and operation exactly as the SDK spells them, and the exact resource ARN.
//   - sql: the statement as written; its parse (shared/sqlparse) names the type and tables.
//
// Contract: Parse MUST be idempotent (the canonical form of a canonical action is itself); a
// refusal MUST name the rule it broke and never echo more of the input than the rule needs;
// nothing here may panic on any input (FuzzParsePath holds it to that).
package action
