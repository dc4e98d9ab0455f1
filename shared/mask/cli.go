package mask

import "bytes"

// This file reads the credentials commands are given as options, as process listings, shell
// history and CI logs show them: "mysql -uroot -pTr0ub4dor3", "sshpass -p '…' ssh host",
// "docker login -u ada -p …", "tool --password … ". A long option named as a credential
// takes its value after a space as after '=' (which assigned reads); a short option is a
// password only for the commands whose password option it is, found on its line (or the
// lines before it joined by '\'): elsewhere "-p" publishes a port or names a database.

// shortPassword is a command's short option that takes a password.
type shortPassword struct {
	command string // the command, and its subcommand where the option is the subcommand's
	option  byte
	glued   bool // the password may follow the option with no space ("-pSECRET")
	spaced  bool // the password may follow it after a space
	user    bool // the option takes "user%password", the password after '%' (Samba)
}

// shortPasswords are the short password options of commands that print or log them.
var shortPasswords = []shortPassword{
	{command: "mysql", option: 'p', glued: true}, // "mysql -p mydb" prompts, and mydb is the database
	{command: "mysqldump", option: 'p', glued: true},
	{command: "mysqladmin", option: 'p', glued: true},
	{command: "mysqlimport", option: 'p', glued: true},
	{command: "mysqlcheck", option: 'p', glued: true},
	{command: "mysqlshow", option: 'p', glued: true},
	{command: "mariadb", option: 'p', glued: true},
	{command: "mariadb-dump", option: 'p', glued: true},
	{command: "sshpass", option: 'p', glued: true, spaced: true},
	{command: "docker login", option: 'p', spaced: true},
	{command: "podman login", option: 'p', spaced: true},
	{command: "nerdctl login", option: 'p', spaced: true},
	{command: "buildah login", option: 'p', spaced: true},
	{command: "helm registry login", option: 'p', spaced: true},
	{command: "oc login", option: 'p', spaced: true},
	{command: "az login", option: 'p', spaced: true},
	{command: "mongo", option: 'p', spaced: true},
	{command: "mongosh", option: 'p', spaced: true},
	{command: "mongodump", option: 'p', spaced: true},
	{command: "mongorestore", option: 'p', spaced: true},
	{command: "mongoexport", option: 'p', spaced: true},
	{command: "mongoimport", option: 'p', spaced: true},
	{command: "7z", option: 'p', glued: true},
	{command: "7za", option: 'p', glued: true},
	{command: "unzip", option: 'P', spaced: true},
	{command: "zip", option: 'P', spaced: true},
	{command: "sqlcmd", option: 'P', glued: true, spaced: true},
	{command: "bcp", option: 'P', glued: true, spaced: true},
	{command: "redis-cli", option: 'a', spaced: true},
	{command: "ldapsearch", option: 'w', spaced: true},
	{command: "ldapadd", option: 'w', spaced: true},
	{command: "ldapmodify", option: 'w', spaced: true},
	{command: "ldapdelete", option: 'w', spaced: true},
	{command: "ldapwhoami", option: 'w', spaced: true},
	{command: "ldappasswd", option: 'w', spaced: true},
	{command: "openssl", option: 'k', spaced: true},
	{command: "smbclient", option: 'U', glued: true, spaced: true, user: true},
	{command: "rpcclient", option: 'U', glued: true, spaced: true, user: true},
}

// shortOption marks the option letters of shortPasswords: any other is passed over at once.
var shortOption = func() (t [256]bool) {
	for _, o := range shortPasswords {
		t[o.option] = true
	}
	return t
}()

// maxCommandLine is how far back from an option the command is looked for.
const maxCommandLine = 1024

// cliPassword reports the credential given as an option starting at the '-' at s[i] (the
// start of a word): a long option named as a credential and its value after a space, or a
// command's short password option. It returns the value's span.
func (sc *scanner) cliPassword(s []byte, i, floor int) (vs, ve int, ok bool) {
	if i+2 >= len(s) || i > floor && !optionBefore(s[i-1]) {
		return 0, 0, false
	}
	if s[i+1] == '-' {
		return longPassword(s, i+2)
	}
	o := s[i+1]
	if isLetter(o) && isLetter(s[i+2]) {
		// A long option written with one dash: PowerShell's (-Password …), keytool's
		// (-storepass …), a plain-text string made secure (… "…" -AsPlainText).
		if vs, ve, ok := dashedPassword(s, i); ok {
			return vs, ve, true
		}
	}
	if !shortOption[o] {
		return 0, 0, false
	}
	v := i + 2
	glued := s[v] != ' ' && s[v] != '\t' && s[v] != ',' && !listQuote(s, v)
	if !glued {
		v = optionValue(s, v)
		if v < 0 {
			return 0, 0, false
		}
	}
	for _, p := range shortPasswords {
		if p.option != o || glued && !p.glued || !glued && !p.spaced || !commandBefore(s, i, p.command) {
			continue
		}
		vs, ve, ok := cliValue(s, v)
		if !ok {
			return 0, 0, false
		}
		if p.user {
			pct := bytes.IndexByte(s[vs:ve], '%')
			if pct < 0 {
				return 0, 0, false // "-U user": the password is asked for
			}
			vs += pct + 1
		}
		if ve-vs < minPassword || credentialWordSet.hasFold(s[vs:ve]) || isPlaceholder(s[vs:ve]) {
			return 0, 0, false
		}
		return vs, ve, true
	}
	return 0, 0, false
}

// longPassword reports the value after a space of the long option whose name starts at s[n]
// ("--password …", "--client-secret …"), when its name is a credential's. An option that
// says where the credential comes from or whether to ask for it ("--password-stdin",
// "--password-file", "--ask-pass", "--no-password") takes none, nor does a value that is a
// path or the option's own name in a usage line ("--password PASSWORD").
func longPassword(s []byte, n int) (vs, ve int, ok bool) {
	e := n
	for e < len(s) && e-n <= maxLabel && labelByte[s[e]] {
		e++
	}
	if e == n || e-n > maxLabel || e >= len(s) || !optionEnd(s[e]) {
		return 0, 0, false
	}
	name := s[n:e]
	for _, w := range [...]string{"ask-", "no-", "prompt-", "with-"} {
		if hasPrefixFold(name, w) {
			return 0, 0, false
		}
	}
	kind := secretLabel(name)
	if kind == lblNone || kind == lblCookie || kind == lblSignature || lastWordIs(name, "stdin") {
		return 0, 0, false
	}
	v := optionValue(s, e)
	if v < 0 {
		return 0, 0, false
	}
	vs, ve, ok = cliValue(s, v)
	if !ok || credentialWordSet.hasFold(s[vs:ve]) || filePath(s[vs:ve]) {
		return 0, 0, false
	}
	if _, ok := judge(kind, s[vs:ve], &allDetectors); !ok {
		return 0, 0, false
	}
	return vs, ve, true
}

// keytoolPasswords are the options of Java's keytool that take a keystore's or a key's
// password.
var keytoolPasswords = newWordSet([]string{"storepass", "keypass", "srcstorepass", "deststorepass", "srckeypass",
	"destkeypass"})

// dashedPassword reports the credential of a long option written with one dash at s[i]: one
// named as a credential (PowerShell's "-Password …", "-ApiKey …"), keytool's passwords, and
// the string ConvertTo-SecureString is given in plain text ("… \"…\" -AsPlainText",
// "-String '…'"). It returns the value's span.
func dashedPassword(s []byte, i int) (vs, ve int, ok bool) {
	n := i + 1
	e := n
	for e < len(s) && e-n <= maxLabel && (isLetter(s[e]) || isDigit(s[e])) {
		e++
	}
	if e >= len(s) || !optionEnd(s[e]) {
		return 0, 0, false
	}
	name := s[n:e]
	switch {
	case keytoolPasswords.hasFold(name) && commandBefore(s, i, "keytool"):
		v := optionValue(s, e)
		if v < 0 {
			return 0, 0, false
		}
		vs, ve, ok = cliValue(s, v)
		if !ok || ve-vs < minPassword || isPlaceholder(s[vs:ve]) {
			return 0, 0, false
		}
		return vs, ve, true
	case hasPrefixFold(name, "asplaintext") && len(name) == len("asplaintext"):
		// The string before the option, quoted, right after the command or its -String.
		b := i
		for b > 0 && s[b-1] == ' ' {
			b--
		}
		if b < 2 || s[b-1] != '"' && s[b-1] != '\'' {
			return 0, 0, false
		}
		q := bytes.LastIndexByte(s[max(0, b-1-maxSecretValue):b-1], s[b-1])
		if q < 0 {
			return 0, 0, false
		}
		q += max(0, b-1-maxSecretValue)
		if q+1 == b-1 || !commandBefore(s, q, "ConvertTo-SecureString") {
			return 0, 0, false
		}
		return q + 1, b - 1, true
	}
	// One dash also starts words in prose ("a -password reset"): an unquoted value must be
	// no word of prose.
	vs, ve, ok = longPassword(s, n)
	if !ok || s[vs-1] != '"' && s[vs-1] != '\'' && !notProse(s[vs:ve]) {
		return 0, 0, false
	}
	return vs, ve, true
}

// filePath reports a value that is a file's path ("/run/secrets/pw", "./pw.txt", "~/.pw"),
// which an option names where a credential is read from.
func filePath(v []byte) bool {
	return len(v) > 0 && (v[0] == '/' || v[0] == '~' || v[0] == '.' && len(v) > 1 && (v[1] == '/' || v[1] == '.'))
}

// optionBefore reports a byte an option may follow: white space, or the quote and bracket of
// a list written in text (["redis-cli", "-a", "…"]).
func optionBefore(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\''
}

// optionEnd reports a byte that ends an option's name.
func optionEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ','
}

// optionValue returns where the value after an option ending at s[e] starts: past white
// space, or past a quote, a comma and a quote of a list written in text; -1 when no value
// follows on the line (the end, another option, a redirection).
func optionValue(s []byte, e int) int {
	v := e
	if listQuote(s, v) {
		v++ // the option's closing quote in a list: -a", "…
		for v < len(s) && (s[v] == ',' || s[v] == ' ') {
			v++
		}
		return v
	}
	n := v
	for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if v == n || v >= len(s) || s[v] == '-' || s[v] == '<' || s[v] == '|' || s[v] == '>' || s[v] == '\\' {
		return -1
	}
	return v
}

// listQuote reports the quote closing an option in a list written in text, a comma after it.
func listQuote(s []byte, v int) bool {
	return v < len(s) && (s[v] == '"' || s[v] == '\'') && bytes.IndexByte(s[v+1:min(len(s), v+4)], ',') >= 0
}

// cliValue returns the span of the option's value at s[v]: quoted (the quotes left out), or
// the run to white space, a quote or a comma.
func cliValue(s []byte, v int) (vs, ve int, ok bool) {
	if v >= len(s) {
		return 0, 0, false
	}
	if q := s[v]; q == '"' || q == '\'' {
		e := bytes.IndexByte(s[v+1:min(len(s), v+1+maxSecretValue)], q)
		if e <= 0 {
			return 0, 0, false
		}
		return v + 1, v + 1 + e, true
	}
	e := v
	for e < len(s) && e-v <= maxSecretValue && s[e] > ' ' && s[e] != '"' && s[e] != '\'' && s[e] != ',' {
		e++
	}
	if e == v || e-v > maxSecretValue {
		return 0, 0, false
	}
	return v, e, true
}

// commandBefore reports the command (one word, or a command and its subcommands: "docker
// login") before s[k] on its command line: the same line, or lines before it that end in
// '\'. The command's word may be a path's last part ("/usr/bin/mysql") or quoted.
func commandBefore(s []byte, k int, command string) bool {
	lo := max(0, k-maxCommandLine)
	for j := k; j > lo; j-- {
		if s[j-1] == '\n' {
			b := j - 1
			if b > lo && s[b-1] == '\r' {
				b--
			}
			if b == lo || s[b-1] != '\\' {
				return false
			}
			continue
		}
		c := j - len(command)
		if c < lo || s[j-1] != command[len(command)-1] || string(s[c:j]) != command {
			continue
		}
		if (c == 0 || commandStart(s[c-1])) && (j == len(s) || commandEnd(s[j])) {
			return true
		}
	}
	return false
}

// commandStart reports a byte a command's word may follow: white space, a path's '/', a
// quote or backquote, a list's '[', a substitution's '(', a pipe or a command separator.
func commandStart(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '/', '"', '\'', '`', '[', '(', '|', '&', ';':
		return true
	}
	return false
}

// commandEnd reports a byte a command's word may end with.
func commandEnd(c byte) bool {
	switch c {
	case ' ', '\t', '"', '\'', '`', '\r', '\n', ';':
		return true
	}
	return false
}
