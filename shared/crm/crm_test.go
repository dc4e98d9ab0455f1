package crm

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/token"
)

func TestServiceRequiresAScopedToken(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{1}, 32)
	now := time.Unix(1_700_000_000, 0)
	s := New(secret, func() time.Time { return now })
	mint := func(m, p string, exp time.Duration) string {
		tok, err := token.Mint(secret, token.Claims{Audience: Audience, Method: m, Path: p, ExpiresAt: now.Add(exp).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	cases := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"no token", "GET", "/customers/42", "", 401},
		{"read", "GET", "/customers/42", mint("GET", "/customers/42", time.Second), 200},
		{"token for another record", "GET", "/customers/41", mint("GET", "/customers/42", time.Second), 401},
		{"read token used to delete", "DELETE", "/customers/42", mint("GET", "/customers/42", time.Second), 401},
		{"expired", "GET", "/customers/42", mint("GET", "/customers/42", -time.Second), 401},
		{"list", "GET", "/customers", mint("GET", "/customers", time.Second), 200},
		{"missing", "GET", "/customers/7", mint("GET", "/customers/7", time.Second), 404},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, rec.Code, tc.want, rec.Body)
		}
	}
	if s.Requests() != int64(len(cases)) || s.Served() != 3 {
		t.Fatalf("requests=%d served=%d", s.Requests(), s.Served())
	}
	del := httptest.NewRequest("DELETE", "/customers/43", nil)
	del.Header.Set("Authorization", mint("DELETE", "/customers/43", time.Second))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, del)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d", rec.Code)
	}
}
