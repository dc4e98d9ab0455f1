// Package iamaction maps the AWS SDK operations Mandate performs to the IAM actions they
// need and checks the resource ARN an action names, so the broker can write a session policy
// that allows exactly that operation on exactly that resource.
//
// Contract: Lookup MUST return, for a supported operation, every IAM action the operation
// needs and nothing more, and MUST refuse an operation it does not know (ErrUnsupported).
// Resource MUST refuse an ARN that is not of the operation's resource type, and any ARN that
// IAM would read as a pattern or a policy variable (*, ?, $): a session policy names one
// resource, never a family of them. The table is part of the security model: change it
// only with its tests.
package iamaction
