package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// Tables are the DynamoDB tables, with the key schema shared/store/dynamo expects.
type Tables struct {
	Names dynamo.Tables

	Sessions, Controls, Approvals, Policies, Intents, Targets, Claims, Audit awsdynamodb.Table
}

// Env returns the environment variables that name every table (dynamo.TablesFromEnv).
func (t Tables) Env() map[string]string {
	return map[string]string{
		dynamo.EnvTableSessions:  *t.Sessions.TableName(),
		dynamo.EnvTableControls:  *t.Controls.TableName(),
		dynamo.EnvTableApprovals: *t.Approvals.TableName(),
		dynamo.EnvTablePolicies:  *t.Policies.TableName(),
		dynamo.EnvTableIntents:   *t.Intents.TableName(),
		dynamo.EnvTableTargets:   *t.Targets.TableName(),
		dynamo.EnvTableClaims:    *t.Claims.TableName(),
		dynamo.EnvTableAudit:     *t.Audit.TableName(),
	}
}

// Documents are the tables of versioned documents (policies, intents, targets).
func (t Tables) Documents() []awsdynamodb.Table {
	return []awsdynamodb.Table{t.Policies, t.Intents, t.Targets}
}

// tables creates every table: on demand, point-in-time recovery, deletion protection,
// encrypted with the data key, RETAIN on stack deletion. Sessions and claims expire by TTL on
// dynamo.AttrTTL (the store cannot enable TTL itself); the audit table streams new images to
// the shipper.
func (m *Mandate) tables() {
	n := dynamo.NamedTables("mandate-" + m.Config.Stage)
	m.Tables.Names = n
	mk := func(id, name, partition, sort, ttl string, stream bool) awsdynamodb.Table {
		p := &awsdynamodb.TableProps{
			TableName:    jsii.String(name),
			PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(partition), Type: awsdynamodb.AttributeType_STRING},
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			DeletionProtection: jsii.Bool(true),
			Encryption:         awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
			EncryptionKey:      m.DataKey,
			RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		}
		if sort != "" {
			p.SortKey = &awsdynamodb.Attribute{Name: jsii.String(sort), Type: awsdynamodb.AttributeType_NUMBER}
		}
		if ttl != "" {
			p.TimeToLiveAttribute = jsii.String(ttl)
		}
		if stream {
			p.Stream = awsdynamodb.StreamViewType_NEW_IMAGE
		}
		return awsdynamodb.NewTable(m.Stack, jsii.String(id), p)
	}
	m.Tables.Sessions = mk("Sessions", n.Sessions, dynamo.AttrID, "", dynamo.AttrTTL, false)
	m.Tables.Controls = mk("Controls", n.Controls, dynamo.AttrControlKey, "", "", false)
	m.Tables.Approvals = mk("Approvals", n.Approvals, dynamo.AttrID, "", "", false)
	m.Tables.Policies = mk("Policies", n.Policies, dynamo.AttrName, dynamo.AttrVersion, "", false)
	m.Tables.Intents = mk("Intents", n.Intents, dynamo.AttrName, dynamo.AttrVersion, "", false)
	m.Tables.Targets = mk("Targets", n.Targets, dynamo.AttrName, dynamo.AttrVersion, "", false)
	m.Tables.Claims = mk("Claims", n.Claims, dynamo.AttrClaimKey, "", dynamo.AttrTTL, false)
	m.Tables.Audit = mk("Audit", n.Audit, dynamo.AttrSessionID, dynamo.AttrSeq, "", true)
}

// Audit table access. The chain is append-only: no function is ever granted UpdateItem,
// DeleteItem, BatchWriteItem or PartiQL writes on it.
var (
	auditAppendActions = []string{"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable"}
	auditReadActions   = []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable"}
)

// grantAudit lets role append to (or only read, when !write) the audit table.
func (m *Mandate) grantAudit(role awsiam.IRole, write bool) {
	actions := auditReadActions
	if write {
		actions = auditAppendActions
	}
	m.Tables.Audit.Grant(role, *jsii.Strings(actions...)...)
	if write {
		m.DataKey.GrantEncryptDecrypt(role)
	} else {
		m.DataKey.GrantDecrypt(role)
	}
}
