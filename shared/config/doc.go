// Package config is the typed configuration of Mandate's Lambda functions, read from the
// environment and validated whole before anything is served, and the wiring that turns it
// into an edge handler. The environment variable names are constants here so the CDK app in
// infra/ and the functions cannot drift apart.
package config
