// Command infra is Mandate's CDK app: `cdk synth` / `cdk deploy` run it (cdk.json) from the
// repository root. It reads the configuration from the CDK context, deploys every function
// of the catalog whose folder exists under functions/ from the bootstraps `make build` wrote
// to build/, and checks the stack with cdk-nag's AwsSolutions pack.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AssetDir is where `make build` writes the bootstraps, relative to the repository root.
const AssetDir = "build"

func main() {
	defer jsii.Close()
	app := newApp(nil)
	cfg, err := ConfigFromContext(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fs := Available(".")
	if err := checkFunctions(fs, AssetDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	NewMandateStack(app, "Mandate-"+cfg.Stage, &MandateStackProps{
		StackProps: awscdk.StackProps{
			Description: jsii.String("Mandate: runtime authority for AI agents (" + cfg.Stage + ")"),
			Env:         env(),
		},
		Config:    cfg,
		Functions: fs,
		AssetDir:  AssetDir,
	})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
}

// FeatureFlags are the CDK feature flags the stack is written for; cdk.json sets the same.
var FeatureFlags = map[string]any{
	// Server access logs are delivered under a bucket policy, not the LogDeliveryWrite ACL,
	// so every bucket keeps ACLs disabled (BucketOwnerEnforced).
	"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": true,
}

// newApp returns an app with FeatureFlags set, then context (tests pass theirs).
func newApp(context map[string]any) awscdk.App {
	app := awscdk.NewApp(nil)
	for k, v := range FeatureFlags {
		app.Node().SetContext(jsii.String(k), v)
	}
	for k, v := range context {
		app.Node().SetContext(jsii.String(k), v)
	}
	return app
}

// env is the account and Region the CDK CLI resolved, or none (an environment-agnostic stack).
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}
