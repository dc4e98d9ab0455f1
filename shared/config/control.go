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
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/revoke"
)

// Environment variables of runtime control. Both are optional.
const (
	// EnvMaxActions is a session's action budget (default authority.DefaultMaxActions).
	EnvMaxActions = "MANDATE_MAX_ACTIONS"
	// EnvIAMEndpoint overrides the IAM endpoint the kill switch puts its revocation through
	// (a test server).
	EnvIAMEndpoint = "MANDATE_IAM_ENDPOINT"
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
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return c, fmt.Errorf("config: load AWS configuration: %w", err)
	}
	// Denies of earlier kills are swept once every credential they refuse has expired, so a
	// target role's inline policy quota never fills.
	c.IAM = revoke.NewSweeping(iam.NewFromConfig(cfg, func(o *iam.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), MaxTargetCredentialLifetime, time.Now)
	return c, nil
}
