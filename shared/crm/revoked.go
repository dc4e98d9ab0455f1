package crm

import (
	"time"

	"github.com/mandate-dev/mandate/shared/revocation"
	"github.com/mandate-dev/mandate/shared/token"
)

// UseRevocations makes the service refuse tokens that a kill switch published to l revoked
// (issued before the kill). Call it before serving.
func (s *Service) UseRevocations(l *revocation.List) { s.revocations.Store(l) }

// revoked returns why c is revoked, "" if it is not.
func (s *Service) revoked(c token.Claims) string {
	l := s.revocations.Load()
	if l == nil {
		return ""
	}
	var iat time.Time
	if c.IssuedAt > 0 {
		iat = time.Unix(c.IssuedAt, 0)
	}
	k, ok := l.Revoked(revocation.Subject{Agent: c.Agent, Operator: c.Operator, Session: c.Session, IssuedAt: iat})
	if !ok {
		return ""
	}
	return "token revoked by a " + k.Scope + " kill switch"
}

// LastToken is the last action token the service accepted, as a target's access log would
// show it to whoever reads it (the demo replays it to show a kill revokes it).
func (s *Service) LastToken() string {
	if t := s.lastToken.Load(); t != nil {
		return *t
	}
	return ""
}
