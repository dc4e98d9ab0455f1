// Package load is Mandate's load generator: it drives signed actions through a running
// authority from concurrent workers for a bounded number of requests and time, and reports
// throughput and latency percentiles beside a baseline measured in the same run (the same
// requests sent straight to the demo target with a pre-minted token, i.e. without the
// authority), so the figure that matters — what the authority adds — is a difference of two
// numbers taken on the same machine at the same moment.
//
// It only ever sends traffic to the loopback addresses of a local instance it starts itself.
package load
