// Package edge turns API Gateway v2 HTTP events into authority calls and authority results
// into API Gateway v2 responses. It is the only package that imports aws-lambda-go/events;
// the Lambda functions and `mandate local` both call it, so there is one code path.
//
// Contract: every error response is RFC 9457 problem+json with a stable type from shared/api;
// the mapping from authority errors to statuses lives in one table here; internal error text
// never reaches the caller; a panic is recovered, logged and answered with a bare 500;
// request bodies are limited (413), decoded strictly (unknown fields and trailing data are
// 400).
package edge
