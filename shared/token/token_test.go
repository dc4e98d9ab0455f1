package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var secret = bytes.Repeat([]byte{7}, 32)

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	good := Claims{Audience: "customers", Method: "GET", Path: "/customers/42", Session: "s1", ID: "r1", ExpiresAt: now.Unix() + 10}
	tok, err := Mint(secret, good)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := Mint(bytes.Repeat([]byte{8}, 32), good)
	cases := []struct {
		name           string
		tok, aud, m, p string
		at             time.Time
		secret         []byte
		want           error
	}{
		{"valid", tok, "customers", "GET", "/customers/42", now, secret, nil},
		{"last second", tok, "customers", "GET", "/customers/42", now.Add(9 * time.Second), secret, nil},
		{"expired at exp", tok, "customers", "GET", "/customers/42", now.Add(10 * time.Second), secret, ErrExpired},
		{"other method", tok, "customers", "DELETE", "/customers/42", now, secret, ErrScope},
		{"other path", tok, "customers", "GET", "/customers/43", now, secret, ErrScope},
		{"other audience", tok, "orders", "GET", "/customers/42", now, secret, ErrScope},
		{"other secret", other, "customers", "GET", "/customers/42", now, secret, ErrInvalid},
		{"no prefix", strings.TrimPrefix(tok, Prefix), "customers", "GET", "/customers/42", now, secret, ErrInvalid},
		{"tampered payload", Prefix + "x" + strings.TrimPrefix(tok, Prefix)[1:], "customers", "GET", "/customers/42", now, secret, ErrInvalid},
		{"empty", "", "customers", "GET", "/customers/42", now, secret, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Verify(tc.secret, tc.tok, tc.aud, tc.m, tc.p, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err == nil && c != good {
				t.Fatalf("claims = %+v, want %+v", c, good)
			}
		})
	}
}

func TestMintRefusesShortSecret(t *testing.T) {
	t.Parallel()
	if _, err := Mint([]byte("short"), Claims{}); err == nil {
		t.Fatal("Mint accepted a 5-byte secret")
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	tok, _ := Mint(secret, Claims{Audience: "a", Method: "GET", Path: "/", ExpiresAt: now.Unix() + 5})
	f.Add(tok)
	f.Add(Prefix + "e30.AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := Verify(secret, s, "a", "GET", "/", now)
		if err == nil && s != tok {
			t.Fatalf("a token that was never minted verified: %q", s)
		}
	})
}
