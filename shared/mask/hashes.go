package mask

// This file reads a password's hash by its shape: a hash is cracked offline, so it is as much
// a credential as the password, and it shows in shadow and htpasswd lines, a users table's
// "hash" column and LDAP entries, where no label names it. Three ways of storing one are
// read: the crypt formats ("$2b$12$…", "$6$salt$…", "$argon2id$v=19$…$…$…"), Django's
// ("pbkdf2_sha256$260000$salt$hash") and LDAP's ("{SSHA}…", "{CRYPT}$6$…").

// cryptIDs are the identifiers of the crypt formats: "$id$" starts a hash.
var cryptIDs = newWordSet([]string{"1", "2", "2a", "2b", "2x", "2y", "3", "5", "6", "7", "y", "gy", "md5", "sha1",
	"apr1", "argon2i", "argon2d", "argon2id", "scrypt", "pbkdf2", "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512",
	"bcrypt-sha256", "sm3"})

// djangoHashers are the algorithms Django writes before a hash's first '$'.
var djangoHashers = newWordSet([]string{"pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt",
	"sha1", "md5", "crypt"})

// ldapSchemes are the schemes LDAP writes in braces before a password's hash (RFC 2307 and
// the directory servers' own).
var ldapSchemes = newWordSet([]string{"sha", "ssha", "sha256", "ssha256", "sha384", "ssha384", "sha512", "ssha512",
	"md5", "smd5", "crypt", "pbkdf2", "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512", "argon2", "bcrypt",
	"cleartext"})

// minHash is the shortest last part a hash is taken with: md5crypt's 22 characters, and
// short parameter strings of the formats' names alone ("$6$salt$") are no hash.
const minHash = 16

// hashChar marks the bytes of a hash's parts: the crypt alphabet ("./", letters, digits),
// base64's '+' and '=', and a parameter list's ',' and '-'.
var hashChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = isLetter(b) || isDigit(b) || b == '.' || b == '/' || b == '+' || b == '=' || b == ',' || b == '-'
	}
	return t
}()

// cryptHash reports the password hash whose '$' (its first) is at s[i]: a crypt format's
// "$id$" and two or more parts after it, or Django's algorithm word right before it and two or
// more parts, the last part (the hash) at least minHash long. It returns the hash's span.
func cryptHash(s []byte, i, floor int) (start, end int, ok bool) {
	if i+1 >= len(s) {
		return 0, 0, false
	}
	start = i
	if i > floor && (isLetter(s[i-1]) || isDigit(s[i-1])) {
		// Django: "pbkdf2_sha256$…", its word starting the token.
		b := i
		for b > floor && i-b <= len("pbkdf2_sha256") && (isLetter(s[b-1]) || isDigit(s[b-1]) || s[b-1] == '_') {
			b--
		}
		if !wordStartAt(s, b) || !djangoHashers.hasFold(s[b:i]) {
			return 0, 0, false
		}
		start = b
	} else {
		id := i + 1
		for id < len(s) && id-i <= len("bcrypt-sha256") && (isLetter(s[id]) || isDigit(s[id]) || s[id] == '-') {
			id++
		}
		if id >= len(s) || s[id] != '$' || !cryptIDs.hasFold(s[i+1:id]) {
			return 0, 0, false
		}
		i = id
	}
	// The parts after s[i]'s '$': runs of hashChar joined by single '$' (Django's bcrypt
	// wrapper writes one part empty: "bcrypt_sha256$$2b$…").
	parts, last := 0, 0
	j := i
	for j < len(s) && s[j] == '$' && j-start <= maxSecretValue {
		k := j + 1
		for k < len(s) && hashChar[s[k]] {
			k++
		}
		parts, last, j = parts+1, k-(j+1), k
	}
	if parts < 2 || last < minHash || j < len(s) && (wordByte[s[j]] || s[j] == '$') {
		return 0, 0, false
	}
	return start, j, true
}

// ldapHash reports the password stored under an LDAP scheme whose '{' is at s[i] ("{SSHA}…",
// "{CRYPT}$6$…"): a scheme LDAP writes and at least minHash characters of its value. It
// returns the span of both.
func ldapHash(s []byte, i int) (end int, ok bool) {
	e := i + 1
	for e < len(s) && e-i <= len("pbkdf2-sha512")+1 && (isLetter(s[e]) || isDigit(s[e]) || s[e] == '-') {
		e++
	}
	if e >= len(s) || s[e] != '}' || !ldapSchemes.hasFold(s[i+1:e]) {
		return 0, false
	}
	v := e + 1
	j := v
	for j < len(s) && j-v <= maxSecretValue && (hashChar[s[j]] || s[j] == '$') {
		j++
	}
	if j-v < minHash || j-v > maxSecretValue || j < len(s) && wordByte[s[j]] {
		return 0, false
	}
	return j, true
}
