// Package metrics writes CloudWatch Embedded Metric Format (EMF) lines: one JSON object per
// action carrying its metrics and dimensions, which CloudWatch Logs turns into metrics with no
// agent or sidecar (a Lambda function's standard output is its log stream). Locally the same
// lines can go to any writer.
//
// Contract: a line never carries a secret, a value that was masked, or anything with unbounded
// cardinality as a dimension (dimensions are the verdict and the target's name); writing is
// best effort and never fails or slows the request beyond one buffered write.
package metrics
