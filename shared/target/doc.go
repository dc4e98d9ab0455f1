// Package target reads and validates the targets registry: the systems Mandate acts on for
// agents. An agent only ever names a target; its kind, address, secret reference and limits
// stay on the server.
//
// Contract: Parse MUST reject a registry with unknown fields, duplicate names, unknown kinds,
// base URLs that are not absolute http(s) URLs without credentials, or non-positive limits,
// and report every problem at once. Defaults are filled in for limits left out.
package target
