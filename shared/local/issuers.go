package local

import (
	"fmt"
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
type Issuer = identity.IssuerSpec

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
		cfg, err := is.Config(dir)
		if err != nil {
			return nil, fmt.Errorf("local: %s issuers[%d]: %w", ConfigFile, i, err)
		}
		out = append(out, cfg)
	}
	return out, nil
}

// withBearer makes g accept bearer tokens of tv's agent issuers (none when tv is nil).
func withBearer(g *Gateway, tv *identity.TokenVerifier) *Gateway {
	g.AcceptBearer(tv)
	return g
}
