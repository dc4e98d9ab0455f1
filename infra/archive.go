package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/archive"
)

// Storage classes the archive moves through while it stays locked. Nothing is expired: the
// records outlive their retention until someone decides otherwise.
const (
	ArchiveInfrequentAfterDays = 30
	ArchiveGlacierAfterDays    = 90
)

// archive creates the buckets: the access-log bucket, the audit archive (Object Lock COMPLIANCE
// with the configured default retention, versioned, SSE-KMS with the data key, public access
// blocked, TLS 1.2+ only, access-logged, lifecycle to cheaper storage classes) and the Athena
// results bucket.
func (m *Mandate) archive() {
	s := m.Stack
	m.AccessLogs = awss3.NewBucket(s, jsii.String("AccessLogs"), &awss3.BucketProps{
		// S3 server access logs can only be delivered to an SSE-S3 bucket.
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Versioned:         jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Transitions: &[]*awss3.Transition{{StorageClass: awss3.StorageClass_INFREQUENT_ACCESS(), TransitionAfter: awscdk.Duration_Days(jsii.Number(ArchiveInfrequentAfterDays))}},
		}},
	})
	m.Archive = awss3.NewBucket(s, jsii.String("Archive"), &awss3.BucketProps{
		ObjectLockEnabled:          jsii.Bool(true),
		ObjectLockDefaultRetention: awss3.ObjectLockRetention_Compliance(awscdk.Duration_Days(jsii.Number(m.Config.RetentionDays))),
		Versioned:                  jsii.Bool(true),
		Encryption:                 awss3.BucketEncryption_KMS,
		EncryptionKey:              m.DataKey,
		BucketKeyEnabled:           jsii.Bool(true),
		BlockPublicAccess:          awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:                 jsii.Bool(true),
		MinimumTLSVersion:          jsii.Number(1.2),
		ObjectOwnership:            awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket:     m.AccessLogs,
		ServerAccessLogsPrefix:     jsii.String("archive/"),
		RemovalPolicy:              awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Transitions: &[]*awss3.Transition{
				{StorageClass: awss3.StorageClass_INFREQUENT_ACCESS(), TransitionAfter: awscdk.Duration_Days(jsii.Number(ArchiveInfrequentAfterDays))},
				{StorageClass: awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL(), TransitionAfter: awscdk.Duration_Days(jsii.Number(ArchiveGlacierAfterDays))},
			},
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
	// Defence in depth beside COMPLIANCE mode: nobody, whatever their identity policy says,
	// removes a version, hides one behind a delete marker (s3:DeleteObject on a versioned
	// bucket) or bypasses a lock through this bucket.
	m.Archive.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyVersionDeletionAndLockBypass"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"),
		Resources:  jsii.Strings(*m.Archive.ArnForObjects(jsii.String("*"))),
	}))
	// Nor does anyone put a new current version over an object: every write must be a create
	// (If-None-Match: *, as the shipper and the checkpoint function send).
	m.Archive.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyOverwrite"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  jsii.Strings(*m.Archive.ArnForObjects(jsii.String("*"))),
		Conditions: &map[string]any{"Null": map[string]any{"s3:if-none-match": "true"}},
	}))
	m.AthenaResults = awss3.NewBucket(s, jsii.String("AthenaResults"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          m.DataKey,
		BucketKeyEnabled:       jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: m.AccessLogs,
		ServerAccessLogsPrefix: jsii.String("athena-results/"),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration: awscdk.Duration_Days(jsii.Number(30)),
		}},
	})
}

// grantArchiveWrite lets role write objects under prefix of the archive with a COMPLIANCE
// lock. PutObject with x-amz-object-lock-* headers is authorized by S3 as
// s3:PutObjectRetention too; that permission is granted only for COMPLIANCE locks of at least
// the configured retention (a day of rounding allowed), which no caller can ever shorten.
// Delete, legal hold and governance bypass are never granted.
func (m *Mandate) grantArchiveWrite(role awsiam.IRole, prefix string) {
	objects := *m.Archive.ArnForObjects(jsii.String(prefix + "*"))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ArchiveAppend"),
		Actions:   jsii.Strings("s3:PutObject", "s3:GetObject"),
		Resources: jsii.Strings(objects),
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ArchiveLockCompliance"),
		Actions:   jsii.Strings("s3:PutObjectRetention"),
		Resources: jsii.Strings(objects),
		Conditions: &map[string]any{
			"StringEquals":             map[string]any{"s3:object-lock-mode": "COMPLIANCE"},
			"NumericGreaterThanEquals": map[string]any{"s3:object-lock-remaining-retention-days": max(m.Config.RetentionDays-1, 0)},
		},
	}))
	m.DataKey.GrantEncryptDecrypt(role)
	suppress(role, "IAM5", "objects are named by session and sequence under "+prefix+", so the grant is on that prefix of the archive",
		`/^Resource::<Archive[A-F0-9]+\.Arn>\/`+strings.ReplaceAll(prefix, "/", `\/`)+`\*$/`)
}

// grantArchiveRead lets role list and read the archive.
func (m *Mandate) grantArchiveRead(role awsiam.IRole) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ArchiveRead"),
		Actions:   jsii.Strings("s3:GetObject", "s3:ListBucket"),
		Resources: jsii.Strings(*m.Archive.BucketArn(), *m.Archive.ArnForObjects(jsii.String("*"))),
	}))
	m.DataKey.GrantDecrypt(role)
	suppress(role, "IAM5", "reading the archive means reading every object of it (read only: no write, delete or lock change)",
		`/^Resource::<Archive[A-F0-9]+\.Arn>\/\*$/`)
}

// archiveEnv is the shipper's and checkpoint's archive configuration (archive.ConfigFromEnv).
func (m *Mandate) archiveEnv() map[string]string {
	return map[string]string{
		archive.EnvBucket:        *m.Archive.BucketName(),
		archive.EnvRetentionDays: itoa(m.Config.RetentionDays),
	}
}
