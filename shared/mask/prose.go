package mask

// This file reads a password written in a sentence, as support tickets and chats hold them:
// "my password is Summer2024!", "the PIN is 4821", "the password for the admin account was
// Tr0ub4dor&3", "I changed the password to N3wPassw0rd", and netrc's lines ("machine h login
// ada password …"), which name it with no copula. A credential's name, a copula and a value
// that no word of prose is (it holds a digit, a symbol, or a capital after a small letter)
// are read; a sentence about the password ("password is incorrect", "was reset on Monday",
// "is at least 8 characters") is left.

// proseWords are the names of a credential read before a copula.
var proseWords = newWordSet([]string{"password", "passwd", "passphrase", "passcode", "pw", "pin", "passwort"})

// copulaWords are the words between a credential's name and its value ("is", "has been reset
// to"); the last of them must be one of copulaEnds.
var copulaWords = newWordSet([]string{"is", "was", "now", "will", "be", "been", "has", "have", "had", "changed",
	"set", "reset", "updated", "to", "ist", "war", "jetzt"})

var copulaEnds = newWordSet([]string{"is", "was", "be", "to", "ist", "war", "now", "jetzt"})

// connectorWords start the words naming whose credential it is ("for the admin account").
var connectorWords = newWordSet([]string{"for", "to", "of", "on", "für"})

// maxProseWords bounds the words of a connector or a copula.
const maxProseWords = 5

// proseSecret reports the password written after the credential's name s[i:j] (a word) in a
// sentence or a netrc line. It returns the value's span.
func proseSecret(s []byte, i, j, floor int) (vs, ve int, ok bool) {
	// Every word starting with 'p' asks: a name's second letter ('a', 'w', 'i') and a space
	// after it turn most away before the set is looked in.
	if j-i < 2 || j >= len(s) || s[j] != ' ' {
		return 0, 0, false
	}
	if c := lower(s[i+1]); c != 'a' && c != 'w' && c != 'i' {
		return 0, 0, false
	}
	if !proseWords.hasFold(s[i:j]) || !wordStartAt(s, i) {
		return 0, 0, false
	}
	if v := j + 1; (s[i] == 'p' && string(s[i:j]) == "password") && netrcBefore(s, i, floor) {
		if vs, ve, ok := proseValue(s, v); ok && ve-vs >= minPassword && !isPlaceholder(s[vs:ve]) {
			return vs, ve, true
		}
	}
	// The copula right after the name, or after a connector's words.
	if vs, ve, ok := afterCopula(s, j); ok {
		return vs, ve, true
	}
	k := j + 1
	w, e := wordAt(s, k)
	if !connectorWords.hasFold(w) {
		return 0, 0, false
	}
	for n := 0; n < maxProseWords; n++ {
		if vs, ve, ok := afterCopula(s, e); ok {
			return vs, ve, true
		}
		if w, e = wordAt(s, e+1); len(w) == 0 {
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// afterCopula reads the copula starting after the space at s[j] and the value after it.
func afterCopula(s []byte, j int) (vs, ve int, ok bool) {
	e, last := j, []byte(nil)
	for n := 0; n < maxProseWords; n++ {
		if e >= len(s) || s[e] != ' ' {
			break
		}
		w, we := wordAt(s, e+1)
		if !copulaWords.hasFold(w) {
			break
		}
		last, e = w, we
	}
	if last == nil || !copulaEnds.hasFold(last) {
		return 0, 0, false
	}
	if e < len(s) && s[e] == ':' {
		e++
	}
	if e >= len(s) || s[e] != ' ' {
		return 0, 0, false
	}
	vs, ve, ok = proseValue(s, e+1)
	if !ok || !notProse(s[vs:ve]) {
		return 0, 0, false
	}
	return vs, ve, true
}

// wordAt returns the word of letters (of any script) and digits at s[k] and where it ends.
func wordAt(s []byte, k int) ([]byte, int) {
	e := k
	for e < len(s) && (isLetter(s[e]) || isDigit(s[e]) || s[e] >= 0x80) {
		e++
	}
	return s[k:e], e
}

// proseValue returns the span of the value at s[v]: a quoted one, or the run to white space
// less a sentence's closing punctuation.
func proseValue(s []byte, v int) (vs, ve int, ok bool) {
	for v < len(s) && s[v] == ' ' {
		v++
	}
	if v >= len(s) {
		return 0, 0, false
	}
	if q := s[v]; q == '"' || q == '\'' || q == '`' {
		if vs, ve, ok := quoted(s, v); ok {
			return vs, ve, true
		}
	}
	e := v
	for e < len(s) && e-v <= maxSecretValue && s[e] > ' ' && s[e] != '"' {
		e++
	}
	for e > v && (s[e-1] == '.' || s[e-1] == ',' || s[e-1] == ';' || s[e-1] == ':' || s[e-1] == ')') {
		e--
	}
	if e == v || e-v > maxSecretValue || s[v] == '(' {
		return 0, 0, false
	}
	return v, e, true
}

// notProse reports a value no word of prose is: four or more characters, no placeholder,
// holding a digit, a symbol, or a capital after a small letter.
func notProse(v []byte) bool {
	if len(v) < minPassword || isPlaceholder(v) {
		return false
	}
	for k, c := range v {
		switch {
		case isDigit(c):
			return true
		case c > ' ' && c < 0x7f && !isLetter(c) && c != '-' && c != '\'':
			return true
		case k > 0 && isUpperASCII(c) && isLowerASCII(v[k-1]):
			return true
		}
	}
	return false
}

// netrcBefore reports a netrc entry's "login <name>" before the word at s[i], on its line or
// the lines of its entry (no blank line between).
func netrcBefore(s []byte, i, floor int) bool {
	lo := max(floor, i-maxCommandLine)
	for k := i - 1; k >= lo; k-- {
		if s[k] == '\n' && k > lo && s[k-1] == '\n' {
			return false
		}
		if s[k] == 'l' && k+6 <= i && string(s[k:k+6]) == "login " && (k == 0 || s[k-1] == ' ' || s[k-1] == '\n' || s[k-1] == '\t') {
			return true
		}
	}
	return false
}
