package main

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// Table names as Writes and Reads spell them.
const (
	TableSessions  = "sessions"
	TableControls  = "controls"
	TableApprovals = "approvals"
	TablePolicies  = "policies"
	TableIntents   = "intents"
	TableTargets   = "targets"
	TableClaims    = "claims"
)

// DynamoDB write operations, one per store method that calls it (shared/store/dynamo).
const (
	// opPut is PutItem: CreateSession, UpdateSession, CreateApproval, PutControl, PutDocument
	// (including the precompiled companion of a policy set), ClaimKey.
	opPut = "dynamodb:PutItem"
	// opUpdate is UpdateItem: the counters of a decision commit.
	opUpdate = "dynamodb:UpdateItem"
	// opDelete is DeleteItem: DeleteControl only.
	opDelete = "dynamodb:DeleteItem"
)

// Writes is, for each API function, the DynamoDB write operations its code makes, per table,
// derived from the store methods shared/authority calls on that function's routes. A function
// is granted exactly these writes (and TestGrantsMatchTheCode checks the template against this
// table); every API function also reads what Reads lists and appends to the audit chain.
//
//   - session: CreateSession and CloseSession's UpdateSession (PutItem); the replay claim.
//   - action: the counters of a decision commit (UpdateItem of CounterAttributes only: never
//     a PutItem of a whole session); CreateApproval and ConsumeApproval (PutItem of request
//     and use items, Keys); the replay and idempotency claims. It never decides an approval:
//     decisions live in items whose keys only the approval function may write. It never
//     writes a document: the precompiled policy form is written by admin when it stores a
//     version, and a function that finds none parses the text (a writer of forms could
//     smuggle policies into a version nobody has stored yet).
//   - mcp: open_session's CreateSession (PutItem) and, per tool call, what action writes (the
//     counters, request and use items, Keys); the replay and idempotency claims.
//   - approval: DecideApproval (PutItem of a decision item, Keys); the replay claim.
//   - killswitch: PutControl and DeleteControl; the replay and kill-round claims.
//   - admin: PutDocument on the three document tables (versions are never deleted or
//     rewritten: PutItem is conditional on a new version); the replay claim.
//   - audit: nothing.
var Writes = map[string]map[string][]string{
	"session":    {TableSessions: {opPut}, TableClaims: {opPut}},
	"action":     {TableSessions: {opUpdate}, TableApprovals: {opPut}, TableClaims: {opPut}},
	"mcp":        {TableSessions: {opPut, opUpdate}, TableApprovals: {opPut}, TableClaims: {opPut}},
	"approval":   {TableApprovals: {opPut}, TableClaims: {opPut}},
	"killswitch": {TableControls: {opPut, opDelete}, TableClaims: {opPut}},
	"admin":      {TablePolicies: {opPut}, TableIntents: {opPut}, TableTargets: {opPut}, TableClaims: {opPut}},
	"audit":      {},
}

// Keys is, for each function and table, the partition keys its writes may name (IAM
// dynamodb:LeadingKeys, StringLike): two functions write the approvals table, and only the
// key tells a request or a use (the action function's) from a decision (the approval
// function's). See shared/store/dynamo's approval items.
var Keys = map[string]map[string][]string{
	"action":   {TableApprovals: {"apr_*", dynamo.ApprovalUsePrefix + "*"}},
	"mcp":      {TableApprovals: {"apr_*", dynamo.ApprovalUsePrefix + "*"}},
	"approval": {TableApprovals: {dynamo.ApprovalDecisionPrefix + "*"}},
}

// Attributes is, for each function and table, the attributes its writes may touch (IAM
// dynamodb:Attributes, StringLike): the action function updates a session's counters and
// nothing else (not its operator, its expiry or its state). IAM cannot bound the values:
// the counters are the function's to keep, and every action is in the chain besides.
var Attributes = map[string]map[string][]string{
	"action": {TableSessions: dynamo.CounterAttributes},
}

// Reads is, for each API function, the tables it reads (GetItem, BatchGetItem, Query, Scan).
// Every function that claims reads the holding claim back (ClaimKey); every function loads
// the documents and kill switches.
var Reads = map[string][]string{
	"session":    {TableSessions, TableClaims, TableControls, TablePolicies, TableIntents, TableTargets},
	"action":     {TableSessions, TableClaims, TableApprovals, TableControls, TablePolicies, TableIntents, TableTargets},
	"mcp":        {TableSessions, TableClaims, TableApprovals, TableControls, TablePolicies, TableIntents, TableTargets},
	"approval":   {TableSessions, TableClaims, TableApprovals, TableControls, TablePolicies, TableIntents, TableTargets},
	"killswitch": {TableSessions, TableClaims, TableControls, TablePolicies, TableIntents, TableTargets},
	"admin":      {TableClaims, TableControls, TablePolicies, TableIntents, TableTargets},
	"audit":      {TableSessions, TableControls, TablePolicies, TableIntents, TableTargets},
}

// table returns the table Writes and Reads name.
func (t Tables) table(name string) awsdynamodb.Table {
	switch name {
	case TableSessions:
		return t.Sessions
	case TableControls:
		return t.Controls
	case TableApprovals:
		return t.Approvals
	case TablePolicies:
		return t.Policies
	case TableIntents:
		return t.Intents
	case TableTargets:
		return t.Targets
	case TableClaims:
		return t.Claims
	}
	panic("infra: no table " + name)
}

// grantTables gives role the reads and writes Reads and Writes list for function fn, and
// nothing else on the tables (the audit table is grantAudit's).
func (m *Mandate) grantTables(fn string, role awsiam.IRole) {
	for _, name := range Reads[fn] {
		m.Tables.table(name).GrantReadData(role)
	}
	writes := Writes[fn]
	names := make([]string, 0, len(writes))
	for name := range writes {
		names = append(names, name)
	}
	slices.Sort(names) // a stable template
	for _, name := range names {
		keys, attrs := Keys[fn][name], Attributes[fn][name]
		if keys == nil && attrs == nil {
			m.Tables.table(name).Grant(role, *jsii.Strings(writes[name]...)...)
			continue
		}
		// ForAllValues is true of an absent key: Null false requires the request to name it.
		like, present := map[string]any{}, map[string]any{}
		if keys != nil {
			like["dynamodb:LeadingKeys"], present["dynamodb:LeadingKeys"] = keys, "false"
		}
		if attrs != nil {
			like["dynamodb:Attributes"], present["dynamodb:Attributes"] = attrs, "false"
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings(writes[name]...),
			Resources:  jsii.Strings(*m.Tables.table(name).TableArn()),
			Conditions: &map[string]any{"ForAllValues:StringLike": like, "Null": present},
		}))
	}
}
