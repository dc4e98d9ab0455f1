package local

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/mandate-dev/mandate/shared/identity"
)

// Issuer is one trusted OIDC issuer in config.yaml, for agents (bearer tokens) or for
// operators (delegation and ID tokens):
//
//	issuers:
//	  - issuer: https://token.actions.githubusercontent.com
//	    audiences: [mandate]
//	    algorithms: [RS256]
//	    discovery_url: https://token.actions.githubusercontent.com/.well-known/openid-configuration
//	    trust: agent
//	  - issuer: https://login.example.com
//	    audiences: [mandate]
//	    algorithms: [ES256]
//	    jwks_file: operators.jwks   # relative to the data folder
//	    trust: operator
type Issuer struct {
	Issuer       string   `yaml:"issuer"`
	Audiences    []string `yaml:"audiences"`
	Algorithms   []string `yaml:"algorithms"`
	DiscoveryURL string   `yaml:"discovery_url,omitempty"`
	JWKSURL      string   `yaml:"jwks_url,omitempty"`
	JWKSFile     string   `yaml:"jwks_file,omitempty"`
	// Trust is "agent" or "operator".
	Trust string `yaml:"trust"`
	// Type is the required typ header, if the issuer sets one.
	Type string `yaml:"type,omitempty"`
	// OperatorClaim names the claim that identifies the human (operator issuers; default sub).
	OperatorClaim string `yaml:"operator_claim,omitempty"`
	// Leeway is the clock tolerance on exp, nbf and iat ("30s"; at most 2m).
	Leeway string `yaml:"leeway,omitempty"`
}

// tokenVerifier builds the verifier of the configured issuers (nil when there are none);
// jwks_file paths are relative to dir.
func (c Config) tokenVerifier(dir string) (*identity.TokenVerifier, error) {
	if len(c.Issuers) == 0 {
		return nil, nil
	}
	cfgs, err := c.issuerConfigs(dir)
	if err != nil {
		return nil, err
	}
	v, err := identity.NewTokenVerifier(cfgs, nil, time.Now)
	if err != nil {
		return nil, fmt.Errorf("local: %s issuers: %w", ConfigFile, err)
	}
	return v, nil
}

func (c Config) issuerConfigs(dir string) ([]identity.IssuerConfig, error) {
	out := make([]identity.IssuerConfig, 0, len(c.Issuers))
	for i, is := range c.Issuers {
		var leeway time.Duration
		if is.Leeway != "" {
			d, err := time.ParseDuration(is.Leeway)
			if err != nil {
				return nil, fmt.Errorf("local: %s issuers[%d]: leeway: %w", ConfigFile, i, err)
			}
			leeway = d
		}
		file := is.JWKSFile
		if file != "" && !filepath.IsAbs(file) && dir != "" {
			file = filepath.Join(dir, file)
		}
		out = append(out, identity.IssuerConfig{
			Issuer: is.Issuer, Audiences: is.Audiences, Algorithms: is.Algorithms,
			DiscoveryURL: is.DiscoveryURL, JWKSURL: is.JWKSURL, JWKSFile: file,
			Trust: is.Trust, Type: is.Type, OperatorClaim: is.OperatorClaim, Leeway: leeway,
		})
	}
	return out, nil
}

// withBearer makes g accept bearer tokens of tv's agent issuers (none when tv is nil).
func withBearer(g *Gateway, tv *identity.TokenVerifier) *Gateway {
	g.AcceptBearer(tv)
	return g
}
