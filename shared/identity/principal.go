package identity

import (
	"fmt"
	"strings"
)

// KindIAM is Principal.Kind for an identity proven with AWS Signature Version 4: by API
// Gateway's IAM authorizer in AWS, or by SigV4Verifier for local agents.
const KindIAM = "iam"

// LocalAccountID is the AWS account id local agents belong to. It is the placeholder account
// that AWS tooling uses for local emulation, so it can never name a real account.
const LocalAccountID = "000000000000"

// Principal is an authenticated agent: the output of this package and the input of every later
// stage. It is a plain value; the zero Principal is not authenticated.
type Principal struct {
	// Kind says how the identity was proven: KindIAM or KindOIDC.
	Kind string
	// ID is the stable identity policies and audit records name: an IAM user ARN, or for an
	// assumed role the role ARN (arn:aws:iam::ACCOUNT:role/NAME), never the per-session STS ARN.
	ID string
	// Name is the short name of the user or role (the last element of the ARN).
	Name string
	// Session is the role session name for an assumed role; empty otherwise.
	Session string
	// AccessKeyID is the access key the request was signed with.
	AccessKeyID string
	// AccountID is the 12-digit AWS account of the principal.
	AccountID string
	// UserID is AWS's unique id of the caller (AIDA... for a user, AROA...:SESSION for a role);
	// for a local agent, its name.
	UserID string
	// PrincipalOrgID is the AWS Organizations id of the caller's account, when AWS provides it.
	PrincipalOrgID string
	// OIDC holds the token claims of a KindOIDC agent; zero for other kinds.
	OIDC OIDCClaims
}

// LocalARN is the ARN of the local agent called name: an IAM user in LocalAccountID.
func LocalARN(name string) string {
	return "arn:aws:iam::" + LocalAccountID + ":user/" + name
}

// localPrincipal is the Principal of a local agent whose request verified with accessKeyID.
func localPrincipal(name, accessKeyID string) Principal {
	return Principal{
		Kind:        KindIAM,
		ID:          LocalARN(name),
		Name:        name,
		AccessKeyID: accessKeyID,
		AccountID:   LocalAccountID,
		UserID:      name,
	}
}

// IAMContext mirrors the IAM fields API Gateway (HTTP API, payload 2.0) puts in
// requestContext.authorizer.iam after verifying a SigV4 request. The edge copies them from and
// to aws-lambda-go's APIGatewayV2HTTPRequestContextAuthorizerIAMDescription; this package does
// not depend on the Lambda event types.
type IAMContext struct {
	AccessKey      string
	AccountID      string
	CallerID       string
	PrincipalOrgID string
	UserARN        string
	UserID         string
}

// FromIAM turns the IAM authorizer context of an API Gateway request into a Principal.
//
// The ARN must be well formed and its account must agree with AccountID when both are set.
// Accepted callers: an IAM user (arn:aws:iam::ACCOUNT:user/[PATH/]NAME, kept as is), an
// assumed role (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, normalised to the role ARN
// arn:aws:iam::ACCOUNT:role/ROLE with the session name in Session, so that every session of
// one role is the same agent), a federated user (arn:aws:sts::ACCOUNT:federated-user/NAME) and
// the account root (arn:aws:iam::ACCOUNT:root). An STS ARN does not carry the role's IAM path,
// so neither does the normalised role ARN: policies MUST name roles without their path.
//
// A context without a user ARN is ErrUnsigned; anything else that does not fit is ErrMalformed.
func FromIAM(c IAMContext) (Principal, error) {
	if c.UserARN == "" {
		return Principal{}, fmt.Errorf("identity: %w: no IAM identity in the request context", ErrUnsigned)
	}
	a, err := parseARN(c.UserARN)
	if err != nil {
		return Principal{}, err
	}
	if c.AccountID != "" && c.AccountID != a.account {
		return Principal{}, fmt.Errorf("identity: %w: account id %q does not match the ARN's account %q", ErrMalformed, c.AccountID, a.account)
	}
	p := Principal{
		Kind:           KindIAM,
		AccessKeyID:    c.AccessKey,
		AccountID:      a.account,
		UserID:         c.UserID,
		PrincipalOrgID: c.PrincipalOrgID,
	}
	kind, rest, _ := strings.Cut(a.resource, "/")
	switch {
	case a.service == "iam" && kind == "user":
		name := rest[strings.LastIndexByte(rest, '/')+1:]
		if err := checkPath(rest); err != nil {
			return Principal{}, fmt.Errorf("identity: %w: user ARN %q: %v", ErrMalformed, c.UserARN, err)
		}
		p.ID, p.Name = c.UserARN, name
	case a.service == "iam" && a.resource == "root":
		p.ID, p.Name = c.UserARN, "root"
	case a.service == "sts" && kind == "assumed-role":
		role, session, ok := strings.Cut(rest, "/")
		if !ok || !validName(role) || !validName(session) {
			return Principal{}, fmt.Errorf("identity: %w: assumed-role ARN %q is not assumed-role/ROLE/SESSION", ErrMalformed, c.UserARN)
		}
		p.ID = "arn:" + a.partition + ":iam::" + a.account + ":role/" + role
		p.Name, p.Session = role, session
	case a.service == "sts" && kind == "federated-user":
		if !validName(rest) {
			return Principal{}, fmt.Errorf("identity: %w: federated-user ARN %q has a bad name", ErrMalformed, c.UserARN)
		}
		p.ID, p.Name = c.UserARN, rest
	default:
		return Principal{}, fmt.Errorf("identity: %w: %q is not an IAM user, assumed role, federated user or root ARN", ErrMalformed, c.UserARN)
	}
	return p, nil
}

// IAMContext is the request context API Gateway would have built for p: the local adapter uses
// it so that local requests reach the handlers exactly as they do in AWS. FromIAM of the result
// is p again. A Principal of another kind has no IAM context: the result is the zero value.
func (p Principal) IAMContext() IAMContext {
	if p.Kind != KindIAM {
		return IAMContext{}
	}
	userARN := p.ID
	if p.Session != "" {
		if a, err := parseARN(p.ID); err == nil && a.service == "iam" && strings.HasPrefix(a.resource, "role/") {
			userARN = "arn:" + a.partition + ":sts::" + a.account + ":assumed-role/" + strings.TrimPrefix(a.resource, "role/") + "/" + p.Session
		}
	}
	return IAMContext{
		AccessKey:      p.AccessKeyID,
		AccountID:      p.AccountID,
		CallerID:       p.UserID,
		PrincipalOrgID: p.PrincipalOrgID,
		UserARN:        userARN,
		UserID:         p.UserID,
	}
}

// arn is the part of an ARN this package reads.
type arn struct {
	partition, service, account, resource string
}

// maxARNLength bounds the ARNs FromIAM accepts (IAM allows 2048 characters).
const maxARNLength = 2048

// parseARN splits an IAM or STS principal ARN: arn:PARTITION:SERVICE::ACCOUNT:RESOURCE. The
// region of IAM and STS principal ARNs is always empty.
func parseARN(s string) (arn, error) {
	if len(s) > maxARNLength {
		return arn{}, fmt.Errorf("identity: %w: ARN longer than %d characters", ErrMalformed, maxARNLength)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return arn{}, fmt.Errorf("identity: %w: %q is not an ARN", ErrMalformed, s)
	}
	a := arn{partition: parts[1], service: parts[2], account: parts[4], resource: parts[5]}
	switch {
	case !validPartition(a.partition):
		return arn{}, fmt.Errorf("identity: %w: ARN %q has a bad partition", ErrMalformed, s)
	case a.service != "iam" && a.service != "sts":
		return arn{}, fmt.Errorf("identity: %w: ARN %q is not an IAM or STS principal", ErrMalformed, s)
	case parts[3] != "":
		return arn{}, fmt.Errorf("identity: %w: principal ARN %q names a region", ErrMalformed, s)
	case !validAccount(a.account):
		return arn{}, fmt.Errorf("identity: %w: ARN %q has a bad account id", ErrMalformed, s)
	case a.resource == "":
		return arn{}, fmt.Errorf("identity: %w: ARN %q has no resource", ErrMalformed, s)
	}
	return a, nil
}

// validPartition accepts aws and its variants (aws-cn, aws-us-gov, aws-iso-b, ...).
func validPartition(s string) bool {
	if s != "aws" && !strings.HasPrefix(s, "aws-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maxNameLength bounds IAM user, role and session names (IAM allows 64 characters).
const maxNameLength = 64

// validName reports whether s is a valid IAM user, role or role session name:
// 1 to 64 characters of [A-Za-z0-9+=,.@_-].
func validName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("+=,.@_-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkPath validates an IAM "[PATH/]NAME" resource: a valid name after an optional path of
// printable ASCII segments.
func checkPath(s string) error {
	i := strings.LastIndexByte(s, '/')
	if !validName(s[i+1:]) {
		return fmt.Errorf("bad user name")
	}
	for j := 0; j < i; j++ {
		if c := s[j]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("bad path")
		}
	}
	return nil
}
