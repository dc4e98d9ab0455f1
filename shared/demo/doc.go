// Package demo is the scripted agent behind `mandate demo` and `make demo`: it starts the
// local authority, acts through the real signed HTTP API as an agent would, narrates each
// step for a person, and checks that every scenario behaved as expected, ending with a
// verification of the audit chain. Given an AWS endpoint (a local stand-in such as moto), it
// sets up the orders target's role and table there and performs the allowed DynamoDB read
// through STS; without one it says so in one line and explains that read instead.
package demo
