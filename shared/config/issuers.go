package config

import (
	"fmt"
	"time"

	"github.com/mandate-dev/mandate/shared/identity"
)

// EnvIssuers holds the trusted OIDC issuers of a function as a JSON array of
// identity.IssuerSpec ({"issuer", "audiences", "algorithms", "discovery_url"|"jwks_url",
// "trust": "agent"|"operator", ...}). Empty means none: operator tokens and bearer agents are
// refused (fail closed).
const EnvIssuers = "MANDATE_ISSUERS"

// TokensFromEnv builds the verifier of the issuers in EnvIssuers; nil when there are none.
func TokensFromEnv(getenv func(string) string) (*identity.TokenVerifier, error) {
	raw := getenv(EnvIssuers)
	if raw == "" {
		return nil, nil
	}
	specs, err := identity.ParseIssuerSpecs([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvIssuers, err)
	}
	cfgs := make([]identity.IssuerConfig, 0, len(specs))
	for i, s := range specs {
		c, err := s.Config("")
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", EnvIssuers, i, err)
		}
		cfgs = append(cfgs, c)
	}
	v, err := identity.NewTokenVerifier(cfgs, nil, time.Now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvIssuers, err)
	}
	return v, nil
}
