package local

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/mandate-dev/mandate/shared/person"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File names inside the data folder.
const (
	ConfigFile      = "config.yaml"
	StoreFile       = "mandate.db"
	DemoSecretRef   = "file:secrets/customers.key"
	demoSecretPath  = "secrets/customers.key"
	DefaultRegion   = "us-east-1"
	DefaultAgent    = "demo-agent"
	DefaultOperator = "ada@example.com"
)

// Config is DATA/config.yaml.
type Config struct {
	// Region is the SigV4 region agents sign for (service execute-api), as with API Gateway.
	Region string `yaml:"region"`
	// Agents are the local agents' SigV4 keys, in the shape of ~/.aws/credentials entries.
	Agents []Agent `yaml:"agents"`
	// Operators are the humans agents may name. Those with a key pair are human operators
	// of Mandate itself: they list and decide approvals (never an agent's routes).
	Operators []Operator `yaml:"operators"`
	// Admins are the humans who manage policies and intents, each with a key pair.
	Admins []Operator `yaml:"admins,omitempty"`
	// DemoTarget is the demo customer service started beside the authority.
	DemoTarget DemoTarget `yaml:"demo_target"`
	// Store selects the store: the embedded file (default) or DynamoDB.
	Store StoreConfig `yaml:"store"`
	// Issuers are the OIDC issuers trusted for agents (bearer tokens) and for operators
	// (delegation and ID tokens); see Issuer.
	Issuers []Issuer `yaml:"issuers,omitempty"`
	// AWSEndpoint is the base URL of a local AWS stand-in serving STS and the targets'
	// services on one port (moto_server, e.g. http://127.0.0.1:5000). With it, aws targets
	// run for real: the broker assumes their roles through its STS and the executor calls
	// the service there with the minted credential. Empty: aws actions are decided and
	// recorded, and an allowed one is refused as unsupported. `--aws-endpoint` overrides it.
	AWSEndpoint string `yaml:"aws_endpoint,omitempty"`
}

// Agent is one local agent's key pair.
type Agent struct {
	Name            string `yaml:"name"`
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
}

// Operator is a human known to the local deployment.
type Operator struct {
	Name string `yaml:"name"`
	// AccessKeyID and SecretAccessKey, when set, let this human sign requests (SigV4, like
	// an agent); a signed request proves the human, so they count as verified.
	AccessKeyID     string `yaml:"access_key_id,omitempty"`
	SecretAccessKey string `yaml:"secret_access_key,omitempty"`
	// Aliases are other names (email addresses) this person goes by; an agent naming the
	// operator by any of them, in any case or Unicode spelling, names this person.
	Aliases []string `yaml:"aliases,omitempty"`
	// OIDC are the identities (issuer and subject) that prove this person in operator and
	// delegation tokens.
	OIDC []person.Subject `yaml:"oidc,omitempty"`
}

// DemoTarget says where the demo customer service listens. Targets reach it by the host name
// DemoTargetHost, which the local executor resolves to Addr, so the registry stays the same
// whichever port it gets.
type DemoTarget struct {
	Enabled bool `yaml:"enabled"`
	// Addr is host:port; port 0 picks a free port at each start.
	Addr string `yaml:"addr"`
}

// DemoTargetHost is the name the target registry uses for the demo customer service.
const DemoTargetHost = "customers.demo.internal"

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Region == "" {
		errs = append(errs, errors.New("region is required"))
	}
	if len(c.Agents) == 0 {
		errs = append(errs, errors.New("at least one agent is required"))
	}
	seen := map[string]bool{}
	for i, a := range c.Agents {
		if a.Name == "" || a.AccessKeyID == "" || len(a.SecretAccessKey) < 20 {
			errs = append(errs, fmt.Errorf("agents[%d]: name, access_key_id and a secret_access_key of at least 20 characters are required", i))
		}
		if seen[a.AccessKeyID] {
			errs = append(errs, fmt.Errorf("agents[%d]: duplicate access_key_id", i))
		}
		seen[a.AccessKeyID] = true
	}
	if k := c.Store.Kind; k != "" && k != StoreEmbedded && k != StoreDynamoDB {
		errs = append(errs, fmt.Errorf("store.kind must be %q or %q", StoreEmbedded, StoreDynamoDB))
	}
	errs = append(errs, c.validateHumans(seen)...)
	if _, err := person.New(c.people()); err != nil {
		errs = append(errs, err)
	}
	if err := ValidAWSEndpoint(c.AWSEndpoint); err != nil {
		errs = append(errs, fmt.Errorf("aws_endpoint: %w", err))
	}
	if c.DemoTarget.Enabled {
		if _, _, err := net.SplitHostPort(c.DemoTarget.Addr); err != nil {
			errs = append(errs, fmt.Errorf("demo_target.addr: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ValidAWSEndpoint checks an AWS endpoint: empty, or an absolute http(s) URL without
// credentials, path, query or fragment.
func ValidAWSEndpoint(u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil ||
		strings.Trim(p.Path, "/") != "" || p.RawQuery != "" || p.Fragment != "" {
		return errors.New("must be an http(s) URL of a host and port, such as http://127.0.0.1:5000")
	}
	return nil
}

// LoadConfig reads DATA/config.yaml strictly.
func LoadConfig(dir string) (Config, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return Config{}, fmt.Errorf("local: read config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("local: parse %s: %w", ConfigFile, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("local: %s: %w", ConfigFile, err)
	}
	return c, nil
}

// newConfig returns a fresh configuration with a demo agent key pair.
func newConfig() (Config, error) {
	return Config{
		Region: DefaultRegion,
		Agents: []Agent{{Name: DefaultAgent, AccessKeyID: "AKIA" + randomKeyID(), SecretAccessKey: randomSecret()}},
		Operators: []Operator{
			{Name: DefaultOperator, AccessKeyID: "AKIA" + randomKeyID(), SecretAccessKey: randomSecret()},
			{Name: DefaultApprover, AccessKeyID: "AKIA" + randomKeyID(), SecretAccessKey: randomSecret()},
		},
		// Two administrators, so that every two-person rule can be tried as it comes.
		Admins: []Operator{{Name: DefaultAdmin, AccessKeyID: "AKIA" + randomKeyID(), SecretAccessKey: randomSecret()},
			{Name: SecondAdmin, AccessKeyID: "AKIA" + randomKeyID(), SecretAccessKey: randomSecret()}},
		DemoTarget: DemoTarget{Enabled: true, Addr: "127.0.0.1:0"},
		Store:      StoreConfig{Kind: StoreEmbedded},
	}, nil
}

func writeConfig(dir string, c Config) error {
	raw, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("local: encode config: %w", err)
	}
	header := "# Mandate local configuration. The agent keys are secrets: keep this file private.\n"
	return writeFileOnce(filepath.Join(dir, ConfigFile), append([]byte(header), raw...))
}

// writeFileOnce creates a private file; it never overwrites one.
func writeFileOnce(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("local: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("local: sync %s: %w", path, err)
	}
	return f.Close()
}

func randomKeyID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return base32.StdEncoding.EncodeToString(b) // 16 characters of A-Z2-7
}

func randomSecret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b) // 40 characters, like an AWS secret key
}
