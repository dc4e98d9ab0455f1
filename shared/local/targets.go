package local

import (
	"time"

	"github.com/mandate-dev/mandate/shared/broker"
)

// DemoSQLTarget is the name of the demo PostgreSQL target in the default registry.
const DemoSQLTarget = "warehouse"

// Names of the demo AWS target in the default registry: a DynamoDB table.
const (
	// DemoAWSTarget is the target's name.
	DemoAWSTarget = "orders"
	// DemoOrdersTableARN is the one resource it allows.
	DemoOrdersTableARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
)

// demoAWSTarget is the registry entry of DemoAWSTarget (YAML, indented as a list item).
const demoAWSTarget = `  # A DynamoDB table in AWS: each allowed action runs with a credential from STS AssumeRole
  # into role_arn, with a session policy for exactly that operation on exactly that table for
  # two minutes. Local mode has no STS: actions on it are decided and recorded, and
  # "mandate explain" shows what would be minted; an allowed one is refused as unsupported.
  - name: ` + DemoAWSTarget + `
    kind: aws
    account: "123456789012"
    role_arn: arn:aws:iam::123456789012:role/mandate-orders
    region: us-east-1
    allowed_resources: ["` + DemoOrdersTableARN + `"]
    policy_window: 2m
    timeout: 5s
`

// brokerFor builds the broker of the instance; Close closes it.
func (inst *Instance) brokerFor(secrets broker.Secrets) *broker.Broker {
	inst.broker = broker.New(secrets, time.Now)
	return inst.broker
}
