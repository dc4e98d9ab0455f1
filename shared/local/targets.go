package local

import (
	"time"

	"github.com/mandate-dev/mandate/shared/broker"
)

// DemoSQLTarget is the name of the demo PostgreSQL target in the default registry.
const DemoSQLTarget = "warehouse"

// brokerFor builds the broker of the instance; Close closes it.
func (inst *Instance) brokerFor(secrets broker.Secrets) *broker.Broker {
	inst.broker = broker.New(secrets, time.Now)
	return inst.broker
}
