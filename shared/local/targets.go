package local

import (
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
)

// DemoSQLTarget is the name of the demo PostgreSQL target in the default registry.
const DemoSQLTarget = "warehouse"

// Names of the demo AWS target in the default registry: a DynamoDB table.
const (
	// DemoAWSTarget is the target's name.
	DemoAWSTarget = "orders"
	// DemoOrdersTableARN is the one resource it allows.
	DemoOrdersTableARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	// DemoOrdersRoleARN is the role the broker assumes for it.
	DemoOrdersRoleARN = "arn:aws:iam::123456789012:role/mandate-orders"
)

// demoAWSTarget is the registry entry of DemoAWSTarget (YAML, indented as a list item).
const demoAWSTarget = `  # A DynamoDB table in AWS: each allowed action runs with a credential from STS AssumeRole
  # into role_arn, with a session policy for exactly that operation on exactly that table for
  # two minutes. Without an AWS endpoint (aws_endpoint in config.yaml, or --aws-endpoint:
  # moto_server) local mode has no STS: actions on it are decided and recorded, "mandate
  # explain" shows what would be minted, and an allowed one is refused as unsupported.
  - name: ` + DemoAWSTarget + `
    kind: aws
    account: "123456789012"
    role_arn: ` + DemoOrdersRoleARN + `
    region: us-east-1
    allowed_resources: ["` + DemoOrdersTableARN + `"]
    policy_window: 2m
    timeout: 5s
`

// brokerFor builds the broker of the instance (Close closes it) and the executor of aws
// actions. With an AWS endpoint both go there through rt: the broker assumes target roles
// through its STS, and the executor sends every target without an endpoint of its own there.
func (inst *Instance) brokerFor(secrets broker.Secrets, rt http.RoundTripper) (*broker.Broker, *execute.AWS) {
	inst.broker = broker.New(secrets, time.Now)
	x := execute.NewAWS(rt)
	if inst.AWSEndpoint != "" {
		if rt == nil {
			rt = execute.Transport()
		}
		inst.broker.UseSTS(sts.New(sts.Options{
			Region: inst.Config.Region, BaseEndpoint: aws.String(inst.AWSEndpoint), Credentials: StandInCredentials(),
			HTTPClient: &http.Client{Transport: rt, Timeout: 10 * time.Second}, RetryMaxAttempts: 1,
		}))
		x.UseEndpoint(inst.AWSEndpoint)
	}
	return inst.broker, x
}

// Broker is the instance's broker: its ReuseStats count the AssumeRole calls made and saved.
func (inst *Instance) Broker() *broker.Broker { return inst.broker }

// StandInCredentials are what Mandate signs its own calls to the AWS endpoint with: the
// environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN when set,
// otherwise a fixed placeholder pair, which a local stand-in such as moto accepts.
func StandInCredentials() aws.CredentialsProvider {
	if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))
	}
	return credentials.NewStaticCredentialsProvider("AKIAMANDATELOCAL0000", "mandate-local-stand-in-secret-key-000000", "")
}
