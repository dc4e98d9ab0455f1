package crm

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mandate-dev/mandate/shared/revocation"
	"github.com/mandate-dev/mandate/shared/token"
)

// Audience is the target name tokens for this service must carry.
const Audience = "customers"

// Customer is one record.
type Customer struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Card    string `json:"card"`
	Tier    string `json:"tier"`
	Note    string `json:"note"`
	Updated string `json:"updated_at"`
}

// Service is the demo customer service.
type Service struct {
	secret   []byte
	now      func() time.Time
	mu       sync.Mutex
	records  map[string]Customer
	requests atomic.Int64 // every request that reached the service, authorised or not
	served   atomic.Int64 // requests that carried a valid token
	// revocations, when set, refuses tokens a kill switch revoked (revoked.go).
	revocations atomic.Pointer[revocation.List]
	lastToken   atomic.Pointer[string]
}

// New returns a service with the demo records, accepting tokens signed with secret.
func New(secret []byte, now func() time.Time) *Service {
	s := &Service{secret: secret, now: now, records: map[string]Customer{}}
	for _, c := range Seed() {
		s.records[c.ID] = c
	}
	return s
}

// Seed returns the demo records.
func Seed() []Customer {
	return []Customer{
		{ID: "41", Name: "Ada Byron", Email: "ada.byron@example.com", Phone: "+1 415 555 0141", Card: "4111 1111 1111 1111", Tier: "gold", Note: "prefers email", Updated: "2026-10-02T09:15:00Z"},
		{ID: "42", Name: "Grace Hopper", Email: "grace.hopper@example.org", Phone: "(415) 555-0142", Card: "5500-0000-0000-0004", Tier: "platinum", Note: "call after 5pm on 415-555-0199", Updated: "2026-11-20T16:40:00Z"},
		{ID: "43", Name: "Alan Turing", Email: "alan@turing.example", Phone: "+44 20 7946 0958", Card: "340000000000009", Tier: "silver", Note: "SSN on file 219-09-9999", Updated: "2026-09-11T08:00:00Z"},
	}
}

// Requests is how many requests reached the service; Served how many carried a valid token.
func (s *Service) Requests() int64 { return s.requests.Load() }

// Served is how many requests carried a valid token.
func (s *Service) Served() int64 { return s.served.Load() }

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing action token"})
		return
	}
	claims, err := token.Verify(s.secret, tok, Audience, r.Method, r.URL.RequestURI(), s.now())
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
		return
	}
	if why := s.revoked(claims); why != "" { // revoked.go
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": why})
		return
	}
	s.served.Add(1)
	s.lastToken.Store(&tok) // revoked.go
	id, hasID := strings.CutPrefix(r.URL.Path, "/customers/")
	switch {
	case r.URL.Path == "/customers" && r.Method == http.MethodGet:
		s.mu.Lock()
		list := make([]Customer, 0, len(s.records))
		for _, c := range s.records {
			list = append(list, c)
		}
		s.mu.Unlock()
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		writeJSON(w, http.StatusOK, map[string]any{"customers": list})
	case hasID && r.Method == http.MethodGet:
		s.mu.Lock()
		c, ok := s.records[id]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such customer"})
			return
		}
		writeJSON(w, http.StatusOK, c)
	case hasID && r.Method == http.MethodDelete:
		s.mu.Lock()
		_, ok := s.records[id]
		delete(s.records, id)
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such customer"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such route"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
