package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"

	"github.com/mandate-dev/mandate/shared/target"
)

// RDSConnectAction is the IAM action IAM database authentication needs.
const RDSConnectAction = "rds-db:connect"

// PlanRDS computes the AssumeRole request for a sql action on an RDS target with IAM
// database authentication: rds-db:connect as the target's database user on exactly its
// database, until now + the target's policy window.
func PlanRDS(t target.Target, sc Scope, now time.Time) (AWSPlan, error) {
	if !t.IAMAuth() {
		return AWSPlan{}, fmt.Errorf("%w: target %q does not use IAM database authentication", ErrUnsupported, t.Name)
	}
	return planAssume(t, []string{RDSConnectAction}, t.DBUserARN(), sc, now)
}

// mintRDS assumes the target role with PlanRDS's session policy and signs an RDS auth token
// for the target's database user with that credential. The statement's tables are checked
// as for a local role (SQLGrants refuses DROP and tables outside the target) before STS is
// called; on RDS the statement runs with the database user's own privileges, in a read-only
// transaction when it only reads.
func (b *Broker) mintRDS(ctx context.Context, t target.Target, sc Scope) (Credential, error) {
	if sc.Statement == nil {
		return Credential{}, fmt.Errorf("%w: sql action on target %q without a parsed statement", ErrUnsupported, t.Name)
	}
	if _, err := SQLGrants(t, *sc.Statement); err != nil {
		return Credential{}, err
	}
	if b.aws == nil {
		return Credential{}, fmt.Errorf("%w: no STS client is configured for RDS target %q", ErrUnsupported, t.Name)
	}
	key := reuseKey{t.Name, sc.Session, sc.Agent, "rds-db", "connect", t.DBUserARN(), sc.Intent}
	c, reused, err := b.aws.assume(ctx, t, key, func(now time.Time) (AWSPlan, error) { return PlanRDS(t, sc, now) })
	if err != nil {
		return Credential{}, err
	}
	token, err := RDSAuthToken(ctx, t, c)
	if err != nil {
		return Credential{}, err
	}
	kind := "rds-iam-token"
	if reused {
		kind = "rds-iam-token (reused sts-session)"
	}
	return Credential{Kind: kind, ExpiresAt: c.NotAfter, AWS: &c,
		SQL: &SQLLogin{User: t.User, Password: token, ReadOnly: sc.Statement.ReadOnly, Writes: writtenTables(*sc.Statement), Outputs: sc.Statement.Outputs, Reads: sc.Statement.TableNames()}}, nil
}

// RDSAuthToken signs the IAM database authentication token of t's user with credential c
// (feature/rds/auth): a presigned rds-db connect URL without its scheme, valid 15 minutes
// for opening a connection, and only while c's session policy window lasts.
func RDSAuthToken(ctx context.Context, t target.Target, c AWSCredential) (string, error) {
	creds := credentials.StaticCredentialsProvider{Value: aws.Credentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Source: "mandate-broker",
	}}
	tok, err := auth.BuildAuthToken(ctx, t.Endpoint, t.Region, t.User, creds)
	if err != nil {
		return "", fmt.Errorf("broker: RDS auth token for target %q: %w", t.Name, err)
	}
	return tok, nil
}
