// Package demo is the scripted agent behind `mandate demo` and `make demo`: it starts the
// local authority, acts through the real signed HTTP API as an agent would, narrates each
// step for a person, and checks that every scenario behaved as expected, ending with a
// verification of the audit chain.
package demo
