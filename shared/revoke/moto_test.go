package revoke

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// motoEndpoint is a moto server (IAM and STS); a test without one skips, or fails in CI.
func motoEndpoint(t *testing.T) string {
	t.Helper()
	e := os.Getenv("MANDATE_TEST_DYNAMODB_TX_ENDPOINT")
	if e == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MANDATE_TEST_DYNAMODB_TX_ENDPOINT (moto_server) is required in CI")
		}
		t.Skip("set MANDATE_TEST_DYNAMODB_TX_ENDPOINT to a moto_server to run against its IAM and STS")
	}
	return e
}

func motoIAM(endpoint string, creds aws.CredentialsProvider) *iam.Client {
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds})
}

// motoTarget creates, as NewTargetRole does, a tagged role whose permissions boundary is a
// revocation policy holding EmptyDocument, and returns the role's ARN.
func motoTarget(t *testing.T, c *iam.Client, name string) string {
	t.Helper()
	ctx := context.Background()
	p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name + "-Revocation"), Path: aws.String(PolicyPath), PolicyDocument: aws.String(string(EmptyDocument()))})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`),
		PermissionsBoundary:      p.Policy.Arn,
		Tags:                     []types.Tag{{Key: aws.String("mandate:target"), Value: aws.String("true")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(r.Role.Arn)
}

func motoDefault(t *testing.T, c *iam.Client, role string) *Document {
	t.Helper()
	ctx := context.Background()
	r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	arn := r.Role.PermissionsBoundary.PermissionsBoundaryArn
	p, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDocument(aws.ToString(v.PolicyVersion.Document), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRevokeOnMoto: against moto's IAM and STS, a kill is written into the revocation policy
// of a target role of the home account with the home credentials, and into that of a target
// role of another account through that account's revocation role, assumed as the kill
// switch's configuration does (stscreds), past IAM's five versions.
func TestRevokeOnMoto(t *testing.T) {
	t.Parallel()
	endpoint := motoEndpoint(t)
	ctx := context.Background()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "orders-" + hex.EncodeToString(suffix)
	homeCreds := credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")
	home := motoIAM(endpoint, homeCreds)
	stsClient := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: homeCreds})
	as := func(roleARN string) aws.CredentialsProvider {
		return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "mandate-killswitch"
		}))
	}
	// The other account's administrator sets up its target role.
	far := motoIAM(endpoint, as("arn:aws:iam::222222222222:role/admin"))
	homeRole, farRole := motoTarget(t, home, name), motoTarget(t, far, name)
	if homeRole == farRole {
		t.Fatalf("moto put both roles in one account: %s", homeRole)
	}

	now := time.Now().UTC()
	var assumed []string
	r := New(home, time.Hour, func() time.Time { return now }).CrossAccount("123456789012", func(ctx context.Context, roleARN string) (IAM, error) {
		assumed = append(assumed, roleARN)
		creds := as(roleARN)
		if _, err := creds.Retrieve(ctx); err != nil {
			return nil, err
		}
		return motoIAM(endpoint, creds), nil
	})
	var kills []Kill
	for i := range 7 { // more versions than IAM keeps
		k := Kill{Scope: ScopeSession, Value: "ses_" + hex.EncodeToString(suffix) + string(rune('a'+i)), At: now.Add(-time.Duration(7-i) * time.Minute)}
		if err := r.Revoke(ctx, []Kill{k}, []string{homeRole, farRole}); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		kills = append(kills, k)
	}
	if want := "arn:aws:iam::222222222222:role/" + RevocationRoleName; len(assumed) != 1 || assumed[0] != want {
		t.Fatalf("assumed %v, want %s once", assumed, want)
	}
	for _, c := range []*iam.Client{home, far} {
		d := motoDefault(t, c, name)
		for _, k := range kills {
			// Issued before its kill: refused; issued at the latest kill of the window: allowed.
			if !d.Covers(k) || !d.Refuses("", k.Value, "", k.At.Add(-time.Second)) || d.Refuses("", k.Value, "", ceilSecond(kills[len(kills)-1].At)) {
				t.Fatalf("the default version does not hold the kill of %s: %s", k.Value, d.Render())
			}
		}
	}
}
