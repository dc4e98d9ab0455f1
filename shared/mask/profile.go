package mask

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Profiles. A masking profile is a named configuration of the engine: a mode per detector,
// the JSON fields masked whole, the input cap, and what to do with secrets an agent puts in
// an action. The target's mask_profile names the profile of its responses; a deciding
// policy's @mask annotation overrides it for one action.
//
// A profile document (YAML, or JSON, which is YAML):
//
//	profiles:
//	  - name: support
//	    default_mode: redact        # redact | partial | token | format | off (default redact)
//	    modes: {email: token, card: partial, ip: off}
//	    fields: [password, dob]     # JSON keys and CSV columns masked whole
//	    requests: refuse            # refuse | mask | allow: secrets in an action's parameters
//	    max_bytes: 1048576          # input cap (default DefaultMaxBytes)
//	    allow_secrets: ['(?i)fake'] # secret values left in clear (RE2), for fixtures' placeholders
//	    phone_regions: [ES, BR]     # national numbers of these regions masked with no label

// DefaultProfile is the profile used when neither the target nor the policy names one.
const DefaultProfile = "default"

// RequestAction is what a profile does with secrets found in an agent's action parameters.
type RequestAction string

// Request actions.
const (
	// RequestRefuse refuses the action with a problem naming the detectors (never a value).
	RequestRefuse RequestAction = "refuse"
	// RequestMask replaces the secrets before the action goes to the target.
	RequestMask RequestAction = "mask"
	// RequestAllow sends the parameters as they are.
	RequestAllow RequestAction = "allow"
)

// Profile is one entry of a profile document.
type Profile struct {
	Name        string            `yaml:"name" json:"name"`
	DefaultMode string            `yaml:"default_mode,omitempty" json:"default_mode,omitempty"`
	Modes       map[string]string `yaml:"modes,omitempty" json:"modes,omitempty"`
	Fields      []string          `yaml:"fields,omitempty" json:"fields,omitempty"`
	Requests    RequestAction     `yaml:"requests,omitempty" json:"requests,omitempty"`
	MaxBytes    int               `yaml:"max_bytes,omitempty" json:"max_bytes,omitempty"`
	// AllowSecrets are regular expressions (RE2) of secret values left in clear: known
	// placeholders of fixtures. See WithAllowedSecrets.
	AllowSecrets []string `yaml:"allow_secrets,omitempty" json:"allow_secrets,omitempty"`
	// PhoneRegions are the regions (ISO 3166 codes) whose national numbers are masked with no
	// label. See WithPhoneRegions.
	PhoneRegions []string `yaml:"phone_regions,omitempty" json:"phone_regions,omitempty"`
}

// Catalog is a set of compiled profiles, one engine each, built with one deployment key.
// It is immutable and safe for concurrent use.
type Catalog struct {
	engines  map[string]*Engine
	requests map[string]RequestAction
	inspect  *Engine // the engine that inspects requests: secret detectors only
}

//go:embed profiles.yaml
var builtinProfiles []byte

// BuiltinProfiles returns the profile document compiled into Mandate (profiles.yaml):
// default, strict, tokenize, partial and format.
func BuiltinProfiles() []byte { return bytes.Clone(builtinProfiles) }

// NewCatalog compiles the built-in profiles and then those of doc (nil: none), which may
// redefine a built-in one by name. key is the deployment key (WithKey); without it, token
// and format modes redact. Every problem of doc is reported at once.
func NewCatalog(doc []byte, key []byte) (*Catalog, error) {
	c := &Catalog{engines: map[string]*Engine{}, requests: map[string]RequestAction{}}
	for _, src := range [][]byte{builtinProfiles, doc} {
		if len(bytes.TrimSpace(src)) == 0 {
			continue
		}
		profiles, err := ParseProfiles(src)
		if err != nil {
			return nil, err
		}
		for _, p := range profiles {
			e, _ := p.engine(key) // validated by ParseProfiles
			c.engines[p.Name] = e
			c.requests[p.Name] = p.requests()
		}
	}
	inspect := []Option{WithMode(ModeOff, names[:]...), WithKey(key)}
	for _, d := range secretDetectors {
		inspect = append(inspect, WithMode(ModeRedact, names[d]))
	}
	c.inspect = New(inspect...)
	return c, nil
}

// ParseProfiles reads and validates a profile document.
func ParseProfiles(src []byte) ([]Profile, error) {
	var doc struct {
		Profiles []Profile `yaml:"profiles"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("mask: profiles: %w", err)
	}
	var errs []error
	seen := map[string]bool{}
	for i, p := range doc.Profiles {
		if !validName(p.Name) {
			errs = append(errs, fmt.Errorf("profile %d: name %q must be 1 to 64 of a-z 0-9 _ -", i, p.Name))
		}
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("profile %q: defined twice", p.Name))
		}
		seen[p.Name] = true
		if _, err := p.engine(nil); err != nil {
			errs = append(errs, fmt.Errorf("profile %q: %w", p.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mask: profiles: %w", err)
	}
	return doc.Profiles, nil
}

func (p Profile) requests() RequestAction {
	if p.Requests == "" {
		return RequestRefuse
	}
	return p.Requests
}

// engine builds the profile's engine, reporting every problem.
func (p Profile) engine(key []byte) (*Engine, error) {
	var errs []error
	def := ModeRedact
	if p.DefaultMode != "" {
		m, err := ParseMode(p.DefaultMode)
		if err != nil {
			errs = append(errs, fmt.Errorf("default_mode: %w", err))
		}
		def = m
	}
	opts := []Option{WithMode(def, names[:]...)}
	det := make([]string, 0, len(p.Modes))
	for d := range p.Modes {
		det = append(det, d)
	}
	sort.Strings(det)
	for _, d := range det {
		if _, ok := detectorNamed(d); !ok {
			errs = append(errs, fmt.Errorf("modes: unknown detector %q", d))
			continue
		}
		m, err := ParseMode(p.Modes[d])
		if err != nil {
			errs = append(errs, fmt.Errorf("modes: %s: %w", d, err))
			continue
		}
		opts = append(opts, WithMode(m, d))
	}
	for _, f := range p.Fields {
		switch {
		case f == "":
			errs = append(errs, errors.New("fields: an empty field name"))
		case FieldName(f) == "":
			errs = append(errs, fmt.Errorf("fields: %q has no letter or digit, so names no field", f))
		}
	}
	switch p.Requests {
	case "", RequestRefuse, RequestMask, RequestAllow:
	default:
		errs = append(errs, fmt.Errorf("requests: %q is not refuse, mask or allow", p.Requests))
	}
	if p.MaxBytes < 0 {
		errs = append(errs, errors.New("max_bytes must not be negative"))
	}
	for _, r := range p.PhoneRegions {
		if _, ok := nationalPlans[r]; !ok {
			errs = append(errs, fmt.Errorf("phone_regions: %q is no region with a numbering plan (ISO 3166 code in capitals, such as ES)", r))
		}
	}
	allow := make([]*regexp.Regexp, 0, len(p.AllowSecrets))
	for _, a := range p.AllowSecrets {
		re, err := regexp.Compile(a)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("allow_secrets: %w", err))
		case a == "" || re.MatchString(""):
			errs = append(errs, fmt.Errorf("allow_secrets: %q matches every value", a))
		default:
			allow = append(allow, re)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	opts = append(opts, WithFields(p.Fields...), WithMaxBytes(p.MaxBytes), WithKey(key), WithAllowedSecrets(allow...), WithPhoneRegions(p.PhoneRegions...))
	return New(opts...), nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLowerASCII(c) && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// ErrUnknownProfile means no profile has the name: a configuration error (a target or policy
// names a profile the catalog does not hold). Callers fail closed with the strictest profile.
var ErrUnknownProfile = errors.New("mask: unknown profile")

// Engine returns the engine of the named profile ("" is DefaultProfile).
func (c *Catalog) Engine(name string) (*Engine, error) {
	if name == "" {
		name = DefaultProfile
	}
	e, ok := c.engines[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownProfile, name)
	}
	return e, nil
}

// Requests returns what the named profile does with secrets in an action's parameters.
func (c *Catalog) Requests(name string) RequestAction {
	if name == "" {
		name = DefaultProfile
	}
	if r, ok := c.requests[name]; ok {
		return r
	}
	return RequestRefuse
}

// Names returns the profile names, sorted.
func (c *Catalog) Names() []string {
	out := make([]string, 0, len(c.engines))
	for n := range c.engines {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Inspector returns the engine that inspects agents' requests: the secret detectors only, in
// redact mode. Personal data in a request is the agent acting on it, not a leak.
func (c *Catalog) Inspector() *Engine { return c.inspect }

// secretDetectors are the detectors of credentials, as opposed to personal data.
var secretDetectors = []detector{detAWSKeyID, detAWSSecret, detAWSSession, detJWT, detPrivateKey, detGitHub, detGitLab,
	detSlack, detStripe, detSecret, detConnString}

// isSecretDetector marks the secretDetectors.
var isSecretDetector = func() (t [numDetectors]bool) {
	for _, d := range secretDetectors {
		t[d] = true
	}
	return t
}()

// IsSecret reports whether the named detector finds credentials rather than personal data.
func IsSecret(name string) bool {
	d, ok := detectorNamed(name)
	if !ok {
		return false
	}
	for _, s := range secretDetectors {
		if s == d {
			return true
		}
	}
	return false
}

// Detectors returns the names of every detector, Field last.
func Detectors() []string { return append([]string(nil), names[:]...) }
