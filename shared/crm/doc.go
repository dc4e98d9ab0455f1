// Package crm is the demo target: a small customer-records HTTP service whose records hold
// emails, phone numbers and payment card numbers. It answers only requests that carry an
// action token minted by Mandate's broker for exactly that method and path, so the demo shows
// that an agent cannot reach it directly.
//
// It is a real service used by `mandate demo`, `mandate local` and the end-to-end tests; it is
// not part of what Mandate deploys.
package crm
