// Package local runs Mandate on a laptop: it keeps state in one data folder (config.yaml, an
// embedded store, local secrets), starts the demo target, and serves the same routes as API
// Gateway by turning each HTTP request into the same API Gateway v2 event — with the
// SigV4-verified identity in the request context, as API Gateway's IAM authorizer puts it —
// and calling the same edge handler the Lambda functions use. There is no second pipeline.
// With an AWS endpoint (Config.AWSEndpoint, a stand-in such as moto serving every service on
// one port) the broker assumes aws targets' roles through its STS and the executor performs
// their actions there; without one, allowed aws actions are refused as unsupported.
//
// Contract: on first run Init writes config.yaml with fresh demo keys (file mode 0600) and
// seeds the default policy set, intent catalog and target registry as version 1; later runs
// reuse them unchanged. Requests that fail SigV4 are answered 401 problem+json before any
// handler runs. Every call to the AWS endpoint MUST use the minted credential for the
// target's service and Mandate's own credentials (StandInCredentials) only for STS.
package local
