// Package target reads and validates the targets registry: the systems Mandate acts on for
// agents. An agent only ever names a target; its kind, address, secret reference and limits
// stay on the server.
//
// Kinds: http (base URL, secret, header), sql (PostgreSQL endpoint, database, user, secret,
// allowed tables) and aws (account, role ARN, region, allowed resource ARN patterns, policy
// window, optional endpoint of a local stand-in).
//
// Contract: Parse MUST reject a registry with unknown fields, duplicate names, unknown kinds,
// base URLs that are not absolute http(s) URLs without credentials, sql targets without an
// endpoint, database, user, secret or allowed tables, aws targets whose role is not in their
// account or without resource patterns, KMS keys that are not key ARNs in the target's Region
// (or on a target that is not aws), or negative limits, and report every problem at once,
// each naming its target and field. Defaults are filled in for limits left out.
package target
