// Package config is the typed configuration of Mandate's Lambda functions, read from the
// environment and validated whole before anything is served, and the wiring that turns it
// into an edge handler. The environment variable names are constants here so the CDK app in
// infra/ and the functions cannot drift apart.
//
// Every function gets the real broker: STS (the SDK's default configuration, EnvSTSEndpoint
// to override the endpoint) for aws targets and RDS IAM database authentication, target
// secrets from Secrets Manager ARNs (EnvSecretsManagerEndpoint) or from files under
// EnvSecretsDir, and the http and aws executors. Only a function given WithSQLParser (the
// action function, when built with cgo) parses and performs sql actions; any other refuses
// them before anything is minted.
package config
