package config

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/revoke"
)

// Environment variables of runtime control. All are optional.
const (
	// EnvMaxActions is a session's action budget (default authority.DefaultMaxActions).
	EnvMaxActions = "MANDATE_MAX_ACTIONS"
	// EnvIAMEndpoint overrides the IAM endpoint the kill switch puts its revocation through
	// (a test server).
	EnvIAMEndpoint = "MANDATE_IAM_ENDPOINT"
	// EnvAccount is the kill switch's own AWS account id (the stack sets it). A target role
	// in any other account is revoked through that account's revocation role
	// (revoke.RevocationRoleName), assumed through STS (EnvSTSEndpoint); without it every
	// role is written with the kill switch's own credentials.
	EnvAccount = "MANDATE_ACCOUNT"
)

// MaxTargetCredentialLifetime is the longest a credential of a target role can live: the
// target roles' MaxSessionDuration (infra's NewTargetRole), above the 15 minutes the broker
// asks for. A revocation deny older than this refuses nothing and is swept.
const MaxTargetCredentialLifetime = time.Hour

// controlConfig reads runtime control: the action budget, and for a function that serves
// the kill route, the IAM client that revokes credentials minted for aws targets.
func (f Function) controlConfig(ctx context.Context, getenv func(string) string, routes []string) (authority.ControlConfig, error) {
	var c authority.ControlConfig
	if v := getenv(EnvMaxActions); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("config: %s must be a positive number, not %q", EnvMaxActions, v)
		}
		c.MaxActions = n
	}
	if !slices.Contains(routes, edge.RouteKill) {
		return c, nil
	}
	endpoint := getenv(EnvIAMEndpoint)
	if endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return c, fmt.Errorf("config: %s must be an absolute http(s) URL without credentials", EnvIAMEndpoint)
		}
	}
	account := getenv(EnvAccount)
	if account != "" && !awsAccountID(account) {
		return c, fmt.Errorf("config: %s must be a 12-digit AWS account id", EnvAccount)
	}
	stsEndpoint := getenv(EnvSTSEndpoint)
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return c, fmt.Errorf("config: load AWS configuration: %w", err)
	}
	iamClient := func(creds aws.CredentialsProvider) *iam.Client {
		return iam.NewFromConfig(cfg, func(o *iam.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
			if creds != nil {
				o.Credentials = creds
			}
		})
	}
	// Denies of earlier kills are swept once every credential they refuse has expired, so a
	// target role's revocation policy holds only the kills whose credentials may still live.
	r := revoke.New(iamClient(nil), MaxTargetCredentialLifetime, time.Now)
	if account != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if stsEndpoint != "" {
				o.BaseEndpoint = aws.String(stsEndpoint)
			}
		})
		r.CrossAccount(account, func(ctx context.Context, roleARN string) (revoke.IAM, error) {
			creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = "mandate-killswitch"
			}))
			if _, err := creds.Retrieve(ctx); err != nil {
				return nil, err
			}
			return iamClient(creds), nil
		})
	}
	c.IAM = r
	return c, nil
}

// awsAccountID reports whether s is a 12-digit AWS account id.
func awsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
