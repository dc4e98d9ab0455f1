package mask

import (
	"context"
	"errors"
	"strings"
)

// ErrUnknownToken means an action carried a token its session was never shown (or whose
// vault entry expired): the caller should refuse the action (a 4xx), never send the token
// on. The error names the token's detector, never a value.
var ErrUnknownToken = errors.New("mask: the action carries a token this session was not given")

// Lookup returns the value of a token, as Vault.Get does for one session.
type Lookup func(ctx context.Context, token string) (value string, ok bool, err error)

// FindTokens returns the tokens in s, in order: "tok_", a detector name, '_' and 20 base32
// characters, standing as a word.
func FindTokens(s string) []string {
	var out []string
	for i := 0; ; {
		k := strings.Index(s[i:], TokenPrefix)
		if k < 0 {
			return out
		}
		start := i + k
		if end, ok := tokenAt(s, start); ok {
			out = append(out, s[start:end])
			i = end
			continue
		}
		i = start + len(TokenPrefix)
	}
}

// tokenAt reports the token starting at s[i] ("tok_").
func tokenAt(s string, i int) (int, bool) {
	if i > 0 && wordByte[s[i-1]] {
		return 0, false
	}
	j := i + len(TokenPrefix)
	for j < len(s) && (isLowerASCII(s[j]) || isDigit(s[j]) || s[j] == '_') {
		j++
	}
	// The last 21 bytes are '_' and the keyed part; what is between is a detector name.
	if j-i < len(TokenPrefix)+2+tokenChars || s[j-tokenChars-1] != '_' || (j < len(s) && wordByte[s[j]]) {
		return 0, false
	}
	name := s[i+len(TokenPrefix) : j-tokenChars-1]
	if _, ok := detectorNamed(name); !ok {
		return 0, false
	}
	for _, c := range []byte(s[j-tokenChars : j]) {
		if !isLowerASCII(c) && (c < '2' || c > '7') {
			return 0, false
		}
	}
	return j, true
}

// Detokenize replaces every token in s by its value from lookup, each passed through escape
// (nil: as it is), and returns the result and the number of tokens replaced. A token lookup
// does not know is ErrUnknownToken, wrapped with the token's detector.
func Detokenize(ctx context.Context, s string, lookup Lookup, escape func(string) string) (string, int, error) {
	if !strings.Contains(s, TokenPrefix) {
		return s, 0, nil
	}
	var b strings.Builder
	n, last := 0, 0
	for i := 0; ; {
		k := strings.Index(s[i:], TokenPrefix)
		if k < 0 {
			break
		}
		start := i + k
		end, ok := tokenAt(s, start)
		if !ok {
			i = start + len(TokenPrefix)
			continue
		}
		tok := s[start:end]
		v, found, err := lookup(ctx, tok)
		if err != nil {
			return "", 0, err
		}
		if !found {
			return "", 0, &TokenError{Detector: tok[len(TokenPrefix) : len(tok)-tokenChars-1]}
		}
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(s[last:start])
		b.WriteString(v)
		last, i = end, end
		n++
	}
	b.WriteString(s[last:])
	return b.String(), n, nil
}

// TokenError is ErrUnknownToken for a token of one detector.
type TokenError struct {
	Detector string
}

func (e *TokenError) Error() string {
	return "mask: the action carries a " + e.Detector + " token this session was not given"
}

// Unwrap returns ErrUnknownToken.
func (e *TokenError) Unwrap() error { return ErrUnknownToken }
