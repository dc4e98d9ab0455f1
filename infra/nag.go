package main

import (
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppress records that a cdk-nag AwsSolutions finding on c (and its children) is accepted,
// and why. appliesTo narrows an IAM5 suppression to the named wildcard findings.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String("AwsSolutions-" + rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		l := make([]any, len(appliesTo))
		for i, a := range appliesTo {
			if strings.HasPrefix(a, "/") {
				l[i] = &cdknag.RegexAppliesTo{Regex: jsii.String(a)}
			} else {
				l[i] = a
			}
		}
		s.AppliesTo = &l
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// Findings of the wildcards that grants on the data key carry. CDK's table grants (and
// S3 SSE-KMS) need kms:GenerateDataKey* and kms:ReEncrypt*; the resource is the one data key.
var dataKeyFindings = []string{"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"}

const dataKeyReason = "DynamoDB and S3 encryption with the customer managed data key need these KMS actions; the resource is that single key"

// suppressDataKey accepts the data key's action wildcards on role.
func suppressDataKey(role constructs.IConstruct) {
	suppress(role, "IAM5", dataKeyReason, dataKeyFindings...)
}
