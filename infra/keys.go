package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"
)

// keys creates the customer managed keys: one symmetric data key for everything stored, and
// the asymmetric key that signs checkpoints. Both outlive the stack (RETAIN): data encrypted
// with them must stay readable.
func (m *Mandate) keys() {
	s := m.Stack
	m.DataKey = awskms.NewKey(s, jsii.String("DataKey"), &awskms.KeyProps{
		Description:       jsii.String("Mandate " + m.Config.Stage + ": tables, archive, queues and logs"),
		EnableKeyRotation: jsii.Bool(true),
		Alias:             jsii.String("alias/mandate-" + m.Config.Stage + "-data"),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	// CloudWatch Logs encrypts the functions' and the API's log groups of this account and
	// Region with the data key, and nothing else.
	logs := awsiam.NewServicePrincipal(jsii.String("logs."+*s.Region()+".amazonaws.com"), nil)
	m.DataKey.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchLogsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{logs},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnLike": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": "arn:" + *s.Partition() + ":logs:" + *s.Region() + ":" + *s.Account() + ":log-group:*",
		}},
	}), nil)
	m.SigningKey = awskms.NewKey(s, jsii.String("CheckpointKey"), &awskms.KeyProps{
		Description:   jsii.String("Mandate " + m.Config.Stage + ": signs audit checkpoints"),
		KeySpec:       awskms.KeySpec_ECC_NIST_P256,
		KeyUsage:      awskms.KeyUsage_SIGN_VERIFY,
		Alias:         jsii.String("alias/mandate-" + m.Config.Stage + "-checkpoint"),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}
