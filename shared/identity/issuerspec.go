package identity

import (
	"bytes"
	"fmt"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// IssuerSpec is how people write a trusted issuer: an entry of `issuers:` in the local
// config.yaml, or of the JSON array in the functions' MANDATE_ISSUERS variable (JSON is
// YAML). Config turns it into an IssuerConfig.
type IssuerSpec struct {
	Issuer       string   `yaml:"issuer" json:"issuer"`
	Audiences    []string `yaml:"audiences" json:"audiences"`
	Algorithms   []string `yaml:"algorithms" json:"algorithms"`
	DiscoveryURL string   `yaml:"discovery_url,omitempty" json:"discovery_url,omitempty"`
	JWKSURL      string   `yaml:"jwks_url,omitempty" json:"jwks_url,omitempty"`
	JWKSFile     string   `yaml:"jwks_file,omitempty" json:"jwks_file,omitempty"`
	// Trust is "agent" or "operator".
	Trust string `yaml:"trust" json:"trust"`
	// Type is the required typ header, if the issuer sets one.
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
	// OperatorClaim names the claim that identifies the human (operator issuers; default sub).
	OperatorClaim string `yaml:"operator_claim,omitempty" json:"operator_claim,omitempty"`
	// Leeway is the clock tolerance on exp, nbf and iat ("30s"; at most MaxLeeway).
	Leeway string `yaml:"leeway,omitempty" json:"leeway,omitempty"`
}

// Config returns the IssuerConfig of s; a relative JWKSFile is taken relative to dir.
func (s IssuerSpec) Config(dir string) (IssuerConfig, error) {
	var leeway time.Duration
	if s.Leeway != "" {
		d, err := time.ParseDuration(s.Leeway)
		if err != nil {
			return IssuerConfig{}, fmt.Errorf("issuer %q: leeway: %w", s.Issuer, err)
		}
		leeway = d
	}
	file := s.JWKSFile
	if file != "" && !filepath.IsAbs(file) && dir != "" {
		file = filepath.Join(dir, file)
	}
	return IssuerConfig{
		Issuer: s.Issuer, Audiences: s.Audiences, Algorithms: s.Algorithms,
		DiscoveryURL: s.DiscoveryURL, JWKSURL: s.JWKSURL, JWKSFile: file,
		Trust: s.Trust, Type: s.Type, OperatorClaim: s.OperatorClaim, Leeway: leeway,
	}, nil
}

// ParseIssuerSpecs reads a YAML or JSON list of issuers strictly (unknown fields refused).
func ParseIssuerSpecs(src []byte) ([]IssuerSpec, error) {
	var specs []IssuerSpec
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("identity: issuers: %w", err)
	}
	return specs, nil
}
