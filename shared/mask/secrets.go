package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"unicode"
	"unicode/utf8"
)

// This file holds the secret detectors. Secrets with a recognisable shape are found from
// their first letter at a word start (AKIA..., eyJ..., ghp_..., -----BEGIN ...): the byte
// class table sends only those letters to prefixToken, which compares a few bytes and then
// checks the token's alphabet and length. Secrets without a shape (passwords, API keys,
// AWS secret keys) are found from their label: at a ':' or '=' the word before is read as a
// label ("password", "client_secret", "X-Api-Key"), and the value after it is judged by the
// label's rule. In JSON the member key is the label of its string value. Passwords in URLs
// ("postgres://app:pw@db") are found from the '@'.

// Limits of the secret detectors.
const (
	maxLabel       = 48   // longest label read before a ':' or '='
	maxSecretValue = 4096 // longest value judged as a labelled secret
	minSecretLen   = 16   // shortest unlabelled-shape secret (API keys, tokens)
	minLabelled    = 12   // shortest generated value taken under a secret label
	minDigitSecret = 24   // shortest run of digits alone taken under a secret label
	minPassword    = 4    // shortest value taken as a password (passwordWidth)
	minCode        = 3    // shortest value taken as a card's security code or a one-time code
	minEntropy     = 3.0  // bits per byte a labelled token needs (random base64 of 16 bytes has ~3.7)
	maxUserinfo    = 256  // longest user:password part of a URL looked at
)

// Label kinds of the word before a value.
const (
	lblNone uint8 = iota
	lblPassword
	lblSecret
	lblAuth // "Authorization": the value may start with a scheme word ("Bearer ")
	lblAWSSecret
	lblAWSSession
	lblCookie // "Cookie", "Set-Cookie": name=value pairs, each value judged (cookieValue)
	// lblSignature is "sig" or "...Signature": a secret only as a URL's query parameter,
	// where a signed URL's signature is its credential (Azure's SAS "sig", CloudFront's
	// "Signature", GCS's "X-Goog-Signature"); elsewhere a signature proves a body or is a
	// name under an e-signature.
	lblSignature
	// lblCode is a short credential a person types: a card's security code, a PIN, a
	// one-time, verification or recovery code. Three characters are enough.
	lblCode
)

var (
	tokenChar  [256]bool // bytes of a token value: letters, digits and -_+/=.~
	secretChar [256]bool // tokenChar's and ^ : ! # * @ ? | & < ; (mixedIn)
	b64urlChar [256]bool // base64url alphabet
	b64Char    [256]bool // standard base64 alphabet and padding
	labelByte  [256]bool // bytes of a label: letters, digits, '_', '-', '.'
	valueStop  [256]bool // bytes that end an unquoted value
	// passwordStop ends an unquoted password: white space, quotes, '&' (a query's next
	// parameter), '<' (markup).
	passwordStop [256]bool
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		an := isLetter(b) || isDigit(b)
		b64urlChar[c] = an || b == '-' || b == '_'
		b64Char[c] = an || b == '+' || b == '/' || b == '='
		tokenChar[c] = an || bytes.IndexByte([]byte("-_+/=.~"), b) >= 0
		secretChar[c] = tokenChar[c] || bytes.IndexByte([]byte("^:!#*@?|&<;"), b) >= 0
		labelByte[c] = an || b == '_' || b == '-' || b == '.'
		valueStop[c] = c <= ' ' || bytes.IndexByte([]byte(`"',;&)}]<>`), b) >= 0
		passwordStop[c] = c <= ' ' || bytes.IndexByte([]byte("\"'`&<"), b) >= 0
	}
}

// wordStartAt reports whether a token may start at s[i]: the byte before is not a letter,
// digit or '_'.
func wordStartAt(s []byte, i int) bool {
	return i == 0 || !wordByte[s[i-1]]
}

// runOf returns the end of the run of bytes in set starting at s[i] (at most limit bytes).
func runOf(s []byte, i int, set *[256]bool, limit int) int {
	j := i
	for j < len(s) && j-i < limit && set[s[j]] {
		j++
	}
	return j
}

// tokenEnd reports whether a token of set ending at s[j] ends there: nothing of its alphabet
// follows.
func tokenEnd(s []byte, j int, set *[256]bool) bool {
	return j == len(s) || !set[s[j]]
}

// gitLabPrefixes are GitLab's token prefixes (docs.gitlab.com, "Token prefixes") with the
// shortest and longest secret part each is issued with. Personal, deploy, runner, CI job and
// feed tokens are masked at any length from 20 (the routable forms are longer and end in
// ".01.<crc>"); the kinds generated at one length (incoming mail, trigger and OAuth application
// secrets: SecureRandom.hex) only at that length, and SCIM and agent tokens in the range
// they are generated in, so "glptt-Need5_T00-be-exactly-40-chars--ELse_failing" is no
// trigger token.
var gitLabPrefixes = [...]struct {
	prefix   string
	min, max int
}{
	{"glpat-", 20, 255}, {"gldt-", 20, 255}, {"glrt-", 20, 255}, {"glcbt-", 20, 255}, {"glft-", 20, 255},
	{"glffct-", 20, 255}, {"glsoat-", 20, 50}, {"glimt-", 25, 25}, {"glptt-", 40, 40}, {"glagent-", 50, 1024},
	{"gloas-", 64, 64},
}

// gitLabRoutable returns the end of the version and checksum that end a routable GitLab token,
// at s[j] after its secret part: '.', two base-36 digits, an optional '.', seven base-36
// digits (".01.0w1xyz2" or ".010w1xyz2"); j when there is none.
func gitLabRoutable(s []byte, j int) int {
	base36 := func(k int) bool { return k < len(s) && (isDigit(s[k]) || isLowerASCII(s[k])) }
	if j >= len(s) || s[j] != '.' || !base36(j+1) || !base36(j+2) {
		return j
	}
	k := j + 3
	if k < len(s) && s[k] == '.' {
		k++
	}
	for n := 0; n < 7; n, k = n+1, k+1 {
		if !base36(k) {
			return j
		}
	}
	if k < len(s) && b64urlChar[s[k]] {
		return j
	}
	return k
}

// slackShaped reports the part of a Slack token after "xoxb-" (or another kind) laid out as
// Slack issues them: two segments or more joined by '-', one of them a team, user or app
// number of six digits or more, the last one of eight letters and digits or more; or a last
// segment of 40 or more ("xoxe-1-..."). "12345-abcd234", "1234-1234-1234-4ddbc..." and "...-"
// are not.
func slackShaped(t []byte) bool {
	dash := bytes.LastIndexByte(t, '-')
	if dash < 0 {
		return false
	}
	last := t[dash+1:]
	if len(last) < 8 || runOf(last, 0, &alnumSet, len(last)) != len(last) {
		return false
	}
	if len(last) >= 40 {
		return true // a configuration or refresh token: "xoxe-1-" and its long random part
	}
	for g := range bytes.SplitSeq(t[:dash], []byte("-")) {
		if len(g) >= 6 && digitsIn(g) == len(g) {
			return true
		}
	}
	return false
}

// aiKeyPrefixes are the prefixes of OpenAI's project, service account and admin keys.
var aiKeyPrefixes = [...]string{"sk-proj-", "sk-svcacct-", "sk-admin-"}

// aiKey reports a model provider's API key at s[i] ("sk-"): Anthropic's ("sk-ant-", a kind
// and version such as "api03" or "admin01", '-', 93 base64url bytes and "AA"), one of
// aiKeyPrefixes and at least 40 base64url bytes, or OpenAI's older form, "sk-" and 48 letters
// and digits holding "T3BlbkFJ" (the base64 of "OpenAI").
func aiKey(s []byte, i int) (int, detector, bool) {
	t := s[i:]
	if bytes.HasPrefix(t, []byte("sk-ant-")) {
		k := i + 7
		for k < len(s) && k-i < 20 && isLowerASCII(s[k]) {
			k++
		}
		d := k
		for d < len(s) && d-k < 3 && isDigit(s[d]) {
			d++
		}
		if k == i+7 || d == k || d >= len(s) || s[d] != '-' {
			return 0, 0, false
		}
		j := runOf(s, d+1, &b64urlChar, 96)
		if j-(d+1) == 95 && s[j-2] == 'A' && s[j-1] == 'A' && tokenEnd(s, j, &b64urlChar) {
			return j, detSecret, true
		}
		return 0, 0, false
	}
	for _, p := range aiKeyPrefixes {
		if bytes.HasPrefix(t, []byte(p)) {
			j := runOf(s, i+len(p), &b64urlChar, maxSecretValue)
			if j-(i+len(p)) >= 40 && tokenEnd(s, j, &b64urlChar) {
				return j, detSecret, true
			}
			return 0, 0, false
		}
	}
	j := runOf(s, i+3, &alnumSet, 64)
	if j-(i+3) == 48 && tokenEnd(s, j, &b64urlChar) && bytes.Contains(s[i+3:j], []byte("T3BlbkFJ")) {
		return j, detSecret, true
	}
	return 0, 0, false
}

// providerTokens are the API tokens of providers with no detector of their own, each by the
// prefix its provider documents, the alphabet of what follows and its length: exact where
// the provider issues one length (a longer or shorter run is no such token), or at least min
// (max 0). The random part must hold a letter and a digit, except where the provider's
// alphabet is letters alone. A prefix alone is no token: "npm_install", "hf_hub" and "dapi"
// in a word stay.
var providerTokens = [...]struct {
	prefix   string
	min, max int
	alphabet *[256]bool // b64urlChar unless set
	letters  bool       // the random part is letters only
	then     string     // what the random part starts with, where the provider fixes it
	version  bool       // a "-<digits>" version may follow the random part
	anyMix   bool       // the prefix alone tells the token: no letter-and-digit test
	end      *[256]bool // what may not follow the token (b64urlChar unless set)
	shape    func(random []byte) bool
}{
	{prefix: "npm_", min: 36, max: 36, alphabet: &alnumSet},               // npm access tokens
	{prefix: "shpat_", min: 32},                                           // Shopify: admin API access tokens,
	{prefix: "shpca_", min: 32},                                           // custom app tokens,
	{prefix: "shppa_", min: 32},                                           // private app tokens,
	{prefix: "shpss_", min: 32},                                           // app shared secrets
	{prefix: "SG.", min: 66, max: 66, alphabet: &tokenPartChar},           // SendGrid API keys: SG.<22>.<43>
	{prefix: "lin_api_", min: 40, max: 40, alphabet: &alnumSet},           // Linear
	{prefix: "glsa_", min: 41},                                            // Grafana service accounts: <32>_<8 hex>
	{prefix: "glc_", min: 32, alphabet: &b64Char},                         // Grafana Cloud access policy tokens
	{prefix: "hvs.", min: 24},                                             // HashiCorp Vault service tokens,
	{prefix: "hvb.", min: 24},                                             // batch tokens,
	{prefix: "hvr.", min: 24},                                             // recovery tokens
	{prefix: "hf_", min: 34, max: 34, alphabet: &alnumSet, letters: true}, // Hugging Face
	{prefix: "gsk_", min: 52, max: 52, alphabet: &alnumSet},               // Groq
	{prefix: "cfat_", min: 48, max: 48, alphabet: &alnumSet},              // Cloudflare account API tokens,
	{prefix: "cfut_", min: 48, max: 48, alphabet: &alnumSet},              // user API tokens,
	{prefix: "cfk_", min: 48, max: 48, alphabet: &alnumSet},               // global API keys
	{prefix: "dapi", min: 32, max: 32, alphabet: &hexSet, version: true},  // Databricks
	{prefix: "dop_v1_", min: 64, max: 64, alphabet: &hexSet},              // DigitalOcean personal access tokens,
	{prefix: "doo_v1_", min: 64, max: 64, alphabet: &hexSet},              // OAuth tokens,
	{prefix: "dor_v1_", min: 64, max: 64, alphabet: &hexSet},              // refresh tokens
	{prefix: "ops_", min: 100, alphabet: &tokenPartChar, then: "eyJ"},     // 1Password service accounts
	{prefix: "tskey-", min: 30, anyMix: true, shape: tailscaleShaped},     // Tailscale: tskey-<kind>-<id>-<secret>
	{prefix: "vcp_", min: 24},                                             // Vercel personal,
	{prefix: "vci_", min: 24},                                             // integration,
	{prefix: "vca_", min: 24},                                             // app,
	{prefix: "vcr_", min: 24},                                             // refresh
	{prefix: "vck_", min: 24},                                             // and API key tokens
	{prefix: "pypi-AgE", min: 50},                                         // PyPI API tokens
	{prefix: "AIza", min: 35, max: 35},                                    // Google API keys
	{prefix: "ya29.", min: 30, alphabet: &tokenPartChar},                  // Google OAuth access tokens
	{prefix: "sq0atp-", min: 22},                                          // Square access tokens,
	{prefix: "sq0csp-", min: 40},                                          // application secrets
	{prefix: "xai-", min: 70, alphabet: &alnumSet},                        // xAI
	{prefix: "ATATT3", min: 100},                                          // Atlassian API tokens

	{prefix: "AGE-SECRET-KEY-1", min: 58, max: 58, alphabet: &bech32Upper, anyMix: true}, // age identities
	{prefix: "pplx-", min: 48, max: 48, alphabet: &alnumSet},                             // Perplexity
	{prefix: "sgp_", min: 40, shape: sourcegraphShaped},                                  // Sourcegraph access tokens
	{prefix: "ntn_", min: 46, max: 46, alphabet: &alnumSet, shape: notionShaped},         // Notion integration tokens
	// Facebook page, user and app tokens.
	{prefix: "EAAM", min: 100, alphabet: &alnumSet, end: &b64Char},
	{prefix: "EAAC", min: 100, alphabet: &alnumSet, end: &b64Char},
	// X (Twitter) app bearer tokens: 21 'A's, then URL-encoded base64 ("...%2B...%3D").
	{prefix: "AAAAAAAAAAAAAAAAAAAAA", min: 60, max: 120, alphabet: &pctAlnum, end: &b64Char},
}

// providerStart marks the first bytes of providerTokens' prefixes, and providerBy lists the
// tokens of each first byte (variables, not init steps, so the scanner's class table, built
// in another file's init, finds them made).
var (
	providerStart = func() (m [256]bool) {
		for _, p := range providerTokens {
			m[p.prefix[0]] = true
		}
		return m
	}()
	providerBy = func() (m [256][]uint8) {
		for k, p := range providerTokens {
			m[p.prefix[0]] = append(m[p.prefix[0]], uint8(k))
		}
		return m
	}()
	// providerGlue marks the prefixes read inside a word too: those holding a mark of their
	// own, a byte other than a letter ("npm_", "SG.", "ATATT3") or letters of both cases
	// ("AIza"). "dapi", "EAAC" and a run of 'A's are read only at a word's start.
	providerGlue = func() (m [len(providerTokens)]bool) {
		for k, p := range providerTokens {
			var upper, lower, other bool
			for _, c := range []byte(p.prefix) {
				upper, lower, other = upper || isUpperASCII(c), lower || isLowerASCII(c), other || !isLetter(c)
			}
			m[k] = other || upper && lower
		}
		return m
	}()
)

// providerToken reports a providerTokens token at s[i]: a word start, or glued to the word
// before it where its prefix marks it.
func providerToken(s []byte, i int, glued bool) (int, bool) {
	t := s[i:]
	for _, k := range providerBy[t[0]] {
		p := &providerTokens[k]
		if glued && !providerGlue[k] {
			continue
		}
		if len(t) < len(p.prefix) || t[1] != p.prefix[1] || !bytes.HasPrefix(t, []byte(p.prefix)) {
			continue
		}
		set := p.alphabet
		if set == nil {
			set = &b64urlChar
		}
		k := i + len(p.prefix)
		j := runOf(s, k, set, maxSecretValue)
		for j > k && s[j-1] == '.' { // a full stop after the token
			j--
		}
		random := s[k:j]
		if p.version && j+1 < len(s) && s[j] == '-' && isDigit(s[j+1]) {
			j = runOf(s, j+1, &digitSet, 4)
		}
		end := p.end
		if end == nil {
			end = &b64urlChar
		}
		ok := len(random) >= p.min && (p.max == 0 || len(random) <= p.max) && tokenEnd(s, j, end) &&
			bytes.HasPrefix(random, []byte(p.then))
		switch {
		case p.anyMix:
		case p.letters:
			ok = ok && digitsIn(random) == 0 // the alphabet is letters and digits: no digit
		default:
			// A letter and a digit, or base64 of a JSON object ("eyJ…"), which needs neither
			// to be a token's (Grafana Cloud's).
			ok = ok && (hasLetterAndDigit(random) || bytes.HasPrefix(random, []byte("eyJ")))
		}
		return j, ok && (p.shape == nil || p.shape(random))
	}
	return 0, false
}

// notionShaped reports the random part of a Notion token: 11 digits, then 35 letters and
// digits.
func notionShaped(r []byte) bool {
	return digitsIn(r[:11]) == 11
}

// tailscaleShaped reports the part of a Tailscale key after "tskey-": its kind (letters:
// "auth", "api", "client", "scim", "webhook"), '-', a key id and '-', the secret, each of
// letters and digits, however mixed: the prefix and the three parts make the token.
func tailscaleShaped(r []byte) bool {
	kind := 0
	for kind < len(r) && kind < 16 && isLetter(r[kind]) {
		kind++
	}
	if kind == 0 || kind == len(r) || r[kind] != '-' {
		return false
	}
	id := runOf(r, kind+1, &alnumSet, 64)
	if id-(kind+1) < 8 || id == len(r) || r[id] != '-' {
		return false
	}
	return len(r)-(id+1) >= 16 && runOf(r, id+1, &alnumSet, len(r)) == len(r)
}

// sourcegraphShaped reports the random part of a Sourcegraph access token: 40 hex digits,
// alone or after 16 hex digits or "local" and '_', generated (highEntropy).
func sourcegraphShaped(r []byte) bool {
	if k := bytes.IndexByte(r, '_'); k >= 0 {
		if k != 16 && !bytes.Equal(r[:k], []byte("local")) || k == 16 && runOf(r, 0, &hexSet, 16) != 16 {
			return false
		}
		r = r[k+1:]
	}
	return len(r) == 40 && runOf(r, 0, &hexSet, 40) == 40 && highEntropy(r)
}

// hasLetterAndDigit reports whether b holds a letter and a digit: a token's random part
// does, an identifier spelled out in words seldom.
func hasLetterAndDigit(b []byte) bool {
	var letter, digit bool
	for _, c := range b {
		letter = letter || isLetter(c)
		digit = digit || isDigit(c)
	}
	return letter && digit
}

// credentialScope reports a SigV4 credential scope after an access key id at s[j]:
// "AKIA.../20260101/us-east-1/s3/aws4_request", as Authorization headers, presigned URLs
// and logs write the key id: '/', a date of eight digits, '/'.
func credentialScope(s []byte, j int) bool {
	return j+10 <= len(s) && s[j] == '/' && digitsIn(s[j+1:j+9]) == 8 && s[j+9] == '/'
}

// awsKeyPrefixes are the four-letter prefixes of AWS access key ids (IAM unique id prefixes).
var awsKeyPrefixes = [...]string{"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA", "ASCA"}

// prefixToken reports the shaped secret starting at s[i], whose first byte the class table
// marked as a possible start. It returns the end and the detector. A token of the right shape
// whose random part is filler ("ghp_xxxx...", "AKIAXXXXXXXXXXXXXXXX") or a documentation
// example ("AKIAIOSFODNN7EXAMPLE") is none.
func prefixToken(s []byte, i int, enabled *[numDetectors]bool) (int, detector, bool) {
	end, d, ok := shapedToken(s, i, enabled, glueAt(s, i))
	if !ok || filler(s[i:end]) {
		return 0, 0, false
	}
	return end, d, true
}

// filler reports a token whose last 16 letters and digits are all 'x' or 'X', the glyph
// written where a token's random part was left out, or which holds "EXAMPLE" (AWS's
// documentation keys). A token of another repeated letter ("AKIAZZZZZZZZZZZZZZZZ") is no
// convention of documentation and is masked.
func filler(t []byte) bool {
	if bytes.Contains(t, []byte("EXAMPLE")) {
		return true
	}
	n := 0
	for k := len(t) - 1; k >= 0 && n < 16; k-- {
		switch c := t[k]; {
		case c == 'x' || c == 'X':
			n++
		case isLetter(c) || isDigit(c):
			return false
		}
	}
	return n == 16
}

// How a token at s[i] stands to the word before it (glueAt).
const (
	glueNone   = iota // at a word's start
	glueMarked        // after '_', a digit, or letters of the other case ("MY_tskey-…", "0AKIA…", "someSG.…", "KEYghp_…")
	glueWord          // inside a word's letters of one case ("adaghp_…", "task_live_…")
)

// glueAt says how a token at s[i] stands to the word before it. secretlint and gitleaks
// label a prefix inside a word of one case ("wordgsk_…", "xsk_live_…") as no token, and one
// after '_' or a digit ("MY_tskey-…") as one.
func glueAt(s []byte, i int) uint8 {
	if wordStartAt(s, i) {
		return glueNone
	}
	p, c := s[i-1], s[i]
	if !isLetter(p) || isLowerASCII(p) && isUpperASCII(c) || isUpperASCII(p) && isLowerASCII(c) {
		return glueMarked
	}
	return glueWord
}

// shapedToken is prefixToken before the filler check. A token glued to the word before it
// (glue) is read when its prefix marks it (providerGlue; every kind of this switch), and
// inside a word's letters of one case only when its parts prove it: a JWT's header, an STS
// token's, Mandate's own token.
func shapedToken(s []byte, i int, enabled *[numDetectors]bool, glue uint8) (int, detector, bool) {
	if len(s)-i < 8 {
		return 0, 0, false
	}
	t := s[i:]
	if glue == glueWord && t[0] != 'e' && t[0] != 'm' && t[0] != 'I' && t[0] != 'F' {
		return 0, 0, false
	}
	switch t[0] {
	case 'A':
		if !enabled[detAWSKeyID] {
			break
		}
		for _, p := range awsKeyPrefixes {
			if bytes.HasPrefix(t, []byte(p)) || (p == "AKIA" && t[1] == '3' && t[2] == 'T' && (isUpperASCII(t[3]) || isDigit(t[3]))) {
				j := i + 4
				for j < len(s) && j-i < 20 && (isUpperASCII(s[j]) || isDigit(s[j])) {
					j++
				}
				// Twenty capitals and digits, and then no more of the base64 alphabet, or a
				// lower-case word joined on ("AKIA…XIabc", as "SELECT key_id || 'abc'" writes
				// it; inside base64 a key id's shape is rarer than any other).
				if j-i == 20 && (tokenEnd(s, j, &b64Char) || isLowerASCII(s[j]) || credentialScope(s, j)) {
					return j, detAWSKeyID, true
				}
				break
			}
		}
	case 'I', 'F':
		// STS session tokens start with the base64 of a fixed header.
		if enabled[detAWSSession] && (bytes.HasPrefix(t, []byte("IQoJb3JpZ2lu")) || bytes.HasPrefix(t, []byte("FwoGZXIvYXdz"))) {
			j := runOf(s, i, &b64Char, maxSecretValue)
			if j-i >= 100 && tokenEnd(s, j, &b64Char) {
				return j, detAWSSession, true
			}
		}
	case 'e':
		if enabled[detJWT] && t[1] == 'y' && (t[2] == 'J' || t[2] == 'I') {
			return jwt(s, i)
		}
	case 'g':
		if !enabled[detGitHub] && !enabled[detGitLab] {
			break
		}
		if t[1] == 'h' && t[3] == '_' && bytes.IndexByte([]byte("pousr"), t[2]) >= 0 && enabled[detGitHub] {
			set := &alnumSet
			if t[2] == 's' {
				// Installation tokens also come stateless: "ghs_" and a JWT with the app's
				// id, about 520 characters with two dots (GitHub's changelog, 2026-05-15).
				set = &tokenPartChar
			}
			j := runOf(s, i+4, set, maxSecretValue)
			for j > i+4 && s[j-1] == '.' { // a full stop after the token
				j--
			}
			if j-(i+4) >= 36 && tokenEnd(s, j, &b64urlChar) {
				return j, detGitHub, true
			}
		} else if bytes.HasPrefix(t, []byte("github_pat_")) && enabled[detGitHub] {
			j := runOf(s, i+11, &wordByte, 255)
			if j-(i+11) >= 40 && tokenEnd(s, j, &b64urlChar) {
				return j, detGitHub, true
			}
		} else if t[1] == 'l' && enabled[detGitLab] {
			for _, p := range gitLabPrefixes {
				if bytes.HasPrefix(t, []byte(p.prefix)) {
					j := runOf(s, i+len(p.prefix), &b64urlChar, p.max+1)
					if n := j - (i + len(p.prefix)); n >= p.min && n <= p.max && tokenEnd(s, j, &b64urlChar) {
						if p.max == 255 {
							j = gitLabRoutable(s, j)
						}
						return j, detGitLab, true
					}
					break
				}
			}
		}
	case 'G':
		// GitLab runner registration tokens: "GR1348941" and 20 to 50 more.
		const runner = "GR1348941"
		if enabled[detGitLab] && bytes.HasPrefix(t, []byte(runner)) {
			j := runOf(s, i+len(runner), &b64urlChar, 51)
			if n := j - (i + len(runner)); n >= 20 && n <= 50 && tokenEnd(s, j, &b64urlChar) {
				return j, detGitLab, true
			}
		}
	case 'x':
		if !enabled[detSlack] {
			break
		}
		if (t[1] == 'o' && t[2] == 'x' && bytes.IndexByte([]byte("abposer"), t[3]) >= 0 && t[4] == '-') ||
			bytes.HasPrefix(t, []byte("xapp-")) {
			j := runOf(s, i+5, &slackChar, 255)
			if j-(i+5) >= 10 && tokenEnd(s, j, &slackChar) && slackShaped(s[i+5:j]) {
				return j, detSlack, true
			}
		}
	case 'h':
		// Incoming webhooks (/services/) and the workflow builder's (/workflows/, /triggers/).
		const hook = "hooks.slack.com/"
		if enabled[detSlack] && bytes.HasPrefix(t, []byte(hook)) {
			for _, kind := range [...]string{"services/", "workflows/", "triggers/"} {
				if bytes.HasPrefix(t[len(hook):], []byte(kind)) {
					h := i + len(hook) + len(kind)
					if j := runOf(s, h, &slackHookChar, 255); j-h >= 20 {
						return j, detSlack, true
					}
				}
			}
		}
	case 's', 'r':
		// Secret and restricted keys: "sk_" or "rk_", the mode ("live" or "test"; Stripe
		// has no other), and 24 letters and digits or more (99 in keys made since 2024).
		if enabled[detStripe] && t[1] == 'k' && t[2] == '_' && (bytes.HasPrefix(t[3:], []byte("live_")) || bytes.HasPrefix(t[3:], []byte("test_"))) {
			j := runOf(s, i+8, &alnumSet, 255)
			if j-(i+8) >= 24 && tokenEnd(s, j, &wordByte) {
				return j, detStripe, true
			}
		}
		if enabled[detSecret] && t[0] == 's' && t[1] == 'k' && t[2] == '-' {
			return aiKey(s, i)
		}
	case 'm':
		// Mandate's action tokens: "mdt1.", base64url claims, '.', a base64url HMAC-SHA256.
		if enabled[detMandate] && bytes.HasPrefix(t, []byte("mdt1.")) {
			j := runOf(s, i+5, &b64urlChar, maxSecretValue)
			if j-(i+5) >= 16 && j < len(s) && s[j] == '.' {
				k := runOf(s, j+1, &b64urlChar, 64)
				if k-(j+1) >= 43 && tokenEnd(s, k, &b64urlChar) {
					return k, detMandate, true
				}
			}
		}
	case 'w':
		if enabled[detStripe] && bytes.HasPrefix(t, []byte("whsec_")) {
			j := runOf(s, i+6, &b64Char, 255)
			if j-(i+6) >= 24 && tokenEnd(s, j, &b64Char) {
				return j, detStripe, true
			}
		}
	}
	if enabled[detSecret] && providerStart[t[0]] && glue != glueWord {
		if j, ok := providerToken(s, i, glue == glueMarked); ok {
			return j, detSecret, true
		}
	}
	return 0, 0, false
}

var (
	alnumSet      [256]bool
	slackChar     [256]bool // letters, digits and '-'
	slackHookChar [256]bool // letters, digits and '/'
	tokenPartChar [256]bool // base64url and '.', which joins a token's parts
	hexSet        [256]bool
	bech32Upper   [256]bool // bech32's data characters, upper case
	pctAlnum      [256]bool // letters, digits and '%' (URL-encoded base64)
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnumSet[c] = isLetter(b) || isDigit(b)
		tokenPartChar[c] = alnumSet[c] || b == '-' || b == '_' || b == '.'
		hexSet[c] = isDigit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')
		slackChar[c] = alnumSet[c] || b == '-'
		slackHookChar[c] = alnumSet[c] || b == '/'
		pctAlnum[c] = alnumSet[c] || b == '%'
	}
	for _, c := range []byte("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L") {
		bech32Upper[c] = true
	}
}

func digitsIn(b []byte) int {
	n := 0
	for _, c := range b {
		if isDigit(c) {
			n++
		}
	}
	return n
}

// jwt reports the JSON Web Token at s[i] ("eyJ"): a header and a payload of base64url, each
// starting with the encoding of '{' (so "eyJ" or "eyI"), and a signature that may be empty
// (an unsecured token) or padded with '=' as some libraries write it, joined by dots. The
// header must decode to a JSON object: a token whose header does not is none a server
// takes (detect-secrets labels "eyJhbasdGciOi….eyJ….…" no JWT; gitleaks labels one such a
// JWT, and the two disagree).
func jwt(s []byte, i int) (int, detector, bool) {
	h := runOf(s, i, &b64urlChar, maxSecretValue)
	if h-i < 10 || h+4 >= len(s) || s[h] != '.' || s[h+1] != 'e' || s[h+2] != 'y' {
		return 0, 0, false
	}
	p := runOf(s, h+1, &b64urlChar, maxSecretValue)
	if p-(h+1) < 10 || !jsonSegment(s[i:h]) {
		return 0, 0, false
	}
	if p >= len(s) || s[p] != '.' {
		// Header and claims without a signature part: taken when the claims are JSON too.
		if (p < len(s) && b64Char[s[p]]) || !jsonSegment(s[h+1:p]) {
			return 0, 0, false
		}
		return p, detJWT, true
	}
	sig := runOf(s, p+1, &b64urlChar, maxSecretValue)
	if sig > p+1 {
		for n := 0; n < 2 && sig < len(s) && s[sig] == '='; n++ {
			sig++
		}
	}
	if sig < len(s) && (s[sig] == '.' || b64Char[s[sig]]) {
		return 0, 0, false
	}
	return sig, detJWT, true
}

// jsonSegment reports whether a base64url segment decodes to a JSON object.
func jsonSegment(seg []byte) bool {
	var buf [512]byte
	if base64.RawURLEncoding.DecodedLen(len(seg)) > len(buf) {
		return true // a header this long is judged by its shape alone
	}
	n, err := base64.RawURLEncoding.Decode(buf[:], seg)
	if err != nil {
		return false
	}
	d := bytes.TrimSpace(buf[:n])
	return len(d) > 1 && d[0] == '{' && json.Valid(d)
}

// keyMaterial reports whether a PEM block's body holds base64 of a key, or a part of one: a
// run of 16 base64 characters. Dots, filler and words hold none.
func keyMaterial(b []byte) bool {
	n := 0
	for _, c := range b {
		if b64Char[c] {
			if n++; n >= 16 {
				return true
			}
		} else if c != '\n' && c != '\r' {
			n = 0
		}
	}
	return false
}

// pem reports the PEM private key block starting at s[i] ("-----BEGIN ... PRIVATE KEY-----",
// "-----BEGIN PGP PRIVATE KEY BLOCK-----"), through its END line. A block without an END
// line runs to the end of s: a truncated key is still a key.
func pem(s []byte, i int) (int, bool) {
	const begin, dashes = "-----BEGIN ", "-----"
	if !bytes.HasPrefix(s[i:], []byte(begin)) {
		return 0, false
	}
	h := i + len(begin)
	e := bytes.Index(s[h:min(len(s), h+64)], []byte(dashes))
	if e < 0 {
		return 0, false
	}
	label := s[h : h+e]
	if !bytes.HasSuffix(label, []byte("PRIVATE KEY")) && !bytes.HasSuffix(label, []byte("PRIVATE KEY BLOCK")) {
		return 0, false
	}
	body := h + e + len(dashes)
	end := bytes.Index(s[body:], []byte("-----END "))
	if end < 0 {
		return len(s), true
	}
	if !keyMaterial(s[body : body+end]) {
		return 0, false // no key between BEGIN and END: "...", "xxx", "anything", words
	}

	f := body + end + len("-----END ")
	close := bytes.Index(s[f:min(len(s), f+64)], []byte(dashes))
	if close < 0 {
		return len(s), true
	}
	return f + close + len(dashes), true
}

// secretLabel returns the kind of a label: the word before a ':' or '=', or a JSON key. It
// compares the label's last letters, lower-cased, with '_', '-', '.' and ' ' left out, so
// "client_secret", "clientSecret" and "X-Client-Secret" read alike. Tokens that are handles
// rather than secrets (NextToken, page_token, idempotency tokens) are not secret labels.
// It runs for every JSON string value, so the last letter decides first whether any suffix
// can match.
func secretLabel(w []byte) uint8 {
	if holdsValue(w) {
		// A name holding an assignment or a redaction ("pass=..00", "pass=[SECRET]" once
		// masked) is text, not a label: read as one, its qualifiers would change with what
		// masking wrote into it, and a second pass would judge its values anew.
		return lblNone
	}
	if kind := labelKind(w); kind != lblNone {
		return kind
	}
	return qualifiedLabel(w)
}

// holdsValue reports a name with '=', '[' or ']' in it.
func holdsValue(w []byte) bool {
	for _, c := range w {
		if c == '=' || c == '[' || c == ']' {
			return true
		}
	}
	return false
}

// qualifiedLabels is how many trailing words of a label qualifiedLabel looks past.
const qualifiedLabels = 2

// qualifiedLabel reads a secret word followed by qualifiers ("password_super_secure",
// "apikey_myservice", "db_pass_secure"): it drops up to two trailing words of a label
// written with '_', '-' or '.' and reads what is left. A trailing word that says the value
// is about the secret rather than the secret ("password_length", "api_key_id",
// "secret_name") makes it no label.
func qualifiedLabel(w []byte) uint8 {
	end := len(w)
	for range qualifiedLabels {
		cut, next := lastLabelWord(w[:end])
		if cut <= 0 || next >= end {
			return lblNone
		}
		if metaWord(w[next:end]) {
			if end == len(w) && hashWord(w[next:end]) && labelKind(w[:cut]) == lblPassword {
				return lblPassword // "password_hash", "passwordDigest": a hash is cracked offline
			}
			return lblNone
		}
		end = cut
		if kind := labelKind(w[:end]); kind != lblNone {
			if kind == lblSecret && end == 3 && hasPrefixFold(w, "key") {
				return lblNone // "key" and qualifiers is a key of anything: key_down_event, keyName
			}
			return kind
		}
	}
	return lblNone
}

// lastLabelWord returns where the last word of a label starts: after its '_', '-' or '.' (cut is
// the separator's index), or at its last camel-case capital ("mySecretString": cut = next, at
// 'S').
func lastLabelWord(w []byte) (cut, next int) {
	for k := len(w) - 1; k > 0; k-- {
		switch c := w[k]; {
		case c == '_' || c == '-' || c == '.':
			return k, k + 1
		case isUpperASCII(c) && isLowerASCII(w[k-1]):
			return k, k
		}
	}
	return -1, len(w)
}

// metaWords are label words that name something about a secret, not the secret.
var metaWords = [...]string{"id", "ids", "name", "names", "ref", "url", "uri", "path", "file", "length", "len", "size",
	"type", "kind", "policy", "hint", "expires", "expiry", "expiration", "at", "version", "arn", "enabled", "required",
	"count", "format", "field", "label", "min", "max", "rotation", "updated", "created", "changed", "set", "reset",
	"env", "var", "header", "param", "prefix", "suffix", "mask", "masked", "hash", "hashed", "digest", "salt", "rule",
	"rules", "regex", "pattern", "strength", "age", "ttl", "timeout", "status", "description", "note", "help",
	"variable", "placeholder"}

func metaWord(word []byte) bool { return metaWordSet.hasFold(word) }

// hashWord reports the meta words that name a hash of the secret, which is itself a secret
// when the secret is a password.
func hashWord(word []byte) bool { return hashWordSet.hasFold(word) }

var hashWordSet = newWordSet([]string{"hash", "hashed", "digest"})

var metaWordSet = newWordSet(metaWords[:])

// wordSet is a set of lower-case ASCII words looked up without regard to case.
type wordSet map[string]struct{}

func newWordSet(words []string) wordSet {
	m := make(wordSet, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}

// hasFold reports whether w, lower-cased, is in the set (words of up to 16 bytes).
func (ws wordSet) hasFold(w []byte) bool {
	if len(w) > 16 {
		return false
	}
	var buf [16]byte
	for i, c := range w {
		buf[i] = lower(c)
	}
	_, ok := ws[string(buf[:len(w)])]
	return ok
}

// labelKind is secretLabel for the label as written, without qualifiers.
func labelKind(w []byte) uint8 {
	k := len(w) - 1
	for k >= 0 && (w[k] == '_' || w[k] == '-' || w[k] == '.' || w[k] == ' ') {
		k--
	}
	if k < 1 || !secretLast[w[k]] { // "pw" is the shortest label
		return lblNone
	}
	var buf [labelSuffix]byte
	n := 0
	for ; k >= 0 && n < len(buf); k-- {
		c := w[k]
		if c == '_' || c == '-' || c == '.' || c == ' ' {
			continue
		}
		buf[len(buf)-1-n] = lower(c)
		n++
	}
	l := buf[len(buf)-n:]
	whole := k < 0 // l is the whole label
	if bytes.Contains(l, []byte("public")) {
		return lblNone // publicKey, publishable_key, publicToken: made to be shown
	}
	has := func(suffix string) bool { return bytes.HasSuffix(l, []byte(suffix)) }
	contains := func(part string) bool {
		return bytes.Contains(l, []byte(part)) || (!whole && containsFold(w, part))
	}
	switch l[len(l)-1] {
	case 'n':
		switch {
		case lastWordIs(w, "pin") || lastWordIs(w, "cvn"):
			return lblCode
		case has("sessiontoken") || has("securitytoken"):
			return lblAWSSession
		case has("authorization"):
			return lblAuth
		case has("token"):
			for _, handle := range [...]string{"next", "page", "continuation", "cursor", "sync", "idempotency", "request", "csrf", "xsrf", "authenticity"} {
				if contains(handle) {
					return lblNone
				}
			}
			return lblSecret
		}
	case 'y':
		switch {
		case has("secretaccesskey") || (has("secretkey") && contains("aws")):
			return lblAWSSecret
		case has("apikey") || has("accesskey") || has("privatekey") || has("secretkey") || has("signingkey") ||
			has("encryptionkey") || has("masterkey") || has("authkey") || (whole && string(l) == "key"):
			return lblSecret
		}
	case 't':
		if has("secret") {
			if contains("aws") {
				return lblAWSSecret
			}
			return lblSecret
		}
	case 'd':
		if has("password") || has("passwd") || has("pwd") {
			return lblPassword
		}
	case 'e':
		if has("passphrase") || has("passcode") {
			return lblPassword
		}
		if has("code") {
			for _, c := range codeWords {
				if has(c + "code") {
					return lblCode
				}
			}
		}
		if has("signature") {
			return lblSignature
		}
		if has("cookie") {
			return lblCookie
		}
		if has("secrete") { // "secret" in Spanish, Italian and Portuguese code, and a common misspelling
			return lblSecret
		}
	case 's':
		if has("credentials") || has("creds") {
			return lblSecret
		}
		if has("dbpass") || lastWordIs(w, "pass") {
			return lblPassword
		}
		if has("recoverycodes") || has("backupcodes") {
			return lblCode
		}
	case 'l':
		if has("credential") {
			return lblSecret
		}
	case 'r':
		if has("bearer") {
			return lblSecret
		}
	case 'h':
		// "auth" as a word of its own: user_auth, basicAuth (not oauth, author)
		if (whole && string(l) == "auth") || (has("auth") && authWord(w)) {
			return lblSecret
		}
	case 'w':
		if lastWordIs(w, "pw") {
			return lblPassword
		}
	case 'p':
		if lastWordIs(w, "otp") || lastWordIs(w, "totp") || lastWordIs(w, "hotp") {
			return lblCode
		}
	case 'v', 'c', '2':
		for _, c := range cardCodes {
			if lastWordIs(w, c) {
				return lblCode
			}
		}
	case 'g':
		if whole && string(l) == "sig" {
			return lblSignature
		}
		if has("connectionstring") {
			return lblSecret
		}
	}
	return lblNone
}

// codeWords are the words before "code" that make it a credential ("security_code",
// "mfaCode", "recovery-code"); a zip, country, status or promotion code is none.
var codeWords = [...]string{"security", "pin", "otp", "totp", "mfa", "2fa", "verification", "recovery", "backup",
	"auth", "authorization", "access", "card", "cvv", "onetime"}

// cardCodes are the names of a card's security code (Amex's "CID" is left: a content's,
// a customer's or a correlation id is one too).
var cardCodes = [...]string{"cvv", "cvc", "cvv2", "cvc2", "csc"}

// lastWordIs reports whether the last word of label w is word, in any case: the whole label,
// or what follows its last '_', '-', '.' or case change ("SMTP_PASS", "userPass", "db.pw").
func lastWordIs(w []byte, word string) bool {
	for len(w) > 0 && (w[len(w)-1] == '_' || w[len(w)-1] == '-' || w[len(w)-1] == '.' || w[len(w)-1] == ' ') {
		w = w[:len(w)-1]
	}
	if len(w) < len(word) {
		return false
	}
	if len(w) == len(word) && hasPrefixFold(w, word) {
		return true // in any case: "pAss" is no word "Ass" after "p"
	}
	if _, next := lastLabelWord(w); next < len(w) {
		w = w[next:]
	}
	return len(w) == len(word) && hasPrefixFold(w, word)
}

// authWord reports a label written with "auth" as its last word: after '_', '-', '.' or a
// lower-case letter and "Auth" (user_auth, basicAuth, PROXY_AUTH), not "oauth".
func authWord(w []byte) bool {
	k := len(w) - 1
	for k >= 0 && (w[k] == '_' || w[k] == '-' || w[k] == '.' || w[k] == ' ') {
		k--
	}
	if k < 4 {
		return false
	}
	a := k - 3 // the 'a' of "auth"
	switch c := w[a-1]; {
	case c == '_' || c == '-' || c == '.':
		return true
	case w[a] == 'A' && isLowerASCII(c):
		return true
	}
	return false
}

// labelSuffix is the longest label suffix secretLabel compares ("proxyauthorization").
const labelSuffix = 20

// secretLast marks the bytes a secret label can end with.
var secretLast = func() (t [256]bool) {
	for _, c := range []byte("nytdeslrhgwpvc2NYTDESLRHGWPVC") {
		t[c] = true
	}
	return t
}()

// containsFold reports whether w contains the lower-case ASCII word part, ignoring case.
func containsFold(w []byte, part string) bool {
	for i := 0; i+len(part) <= len(w); i++ {
		if hasPrefixFold(w[i:], part) {
			return true
		}
	}
	return false
}

// reference reports a value that names where the secret comes from rather than holding it: a
// variable ("$DB_PASSWORD", "${DB_PASSWORD}", "$(cat pw)"), a template's field ("{{ .Password
// }}", "{password}", "<password>"), a format verb ("%s", "%(pw)s", "%DB_PASS%"), a
// redaction ("[SECRET]") or a masked display ("****1234"). A value that only starts with
// such a sign is no reference: a password ("$uperS3cret!", "{x}9kLm2"), a crypt hash
// ("$2b$12$…"), an LDAP one ("{SSHA}…").
func reference(v []byte) bool {
	last := v[len(v)-1]
	switch v[0] {
	case '$':
		// "${…}" and "$(…)" are substitutions however far the value runs ("$(gcloud auth
		// print-access-token)" is read up to its first space).
		return len(v) > 1 && (v[1] == '{' || v[1] == '(' || identifier(v[1:]))
	case '{':
		return last == '}'
	case '<':
		return last == '>'
	case '[':
		return last == ']'
	case '%':
		switch {
		case len(v) == 2: // "%s", "%v", "%d"
			return isLetter(v[1])
		case len(v) > 2 && last == '%':
			return identifier(v[1 : len(v)-1])
		case len(v) > 3 && (v[1] == '(' || v[1] == '{'):
			return bytes.IndexByte(v, ')') > 0 || last == '}'
		}
	case '*':
		// A masked display: stars, and at most the last four characters ("****1234").
		n := 0
		for n < len(v) && v[n] == '*' {
			n++
		}
		return n >= 3 && len(v)-n <= 4
	}
	return false
}

// identifier reports a name as code writes one: letters, digits and '_', not starting with a
// digit.
func identifier(v []byte) bool {
	if len(v) == 0 || isDigit(v[0]) {
		return false
	}
	for _, c := range v {
		if !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// placeholders are values that stand where a secret would and are not one.
var placeholders = [...]string{"true", "false", "null", "none", "nil", "empty", "required", "optional", "redacted",
	"hidden", "masked", "undefined", "string", "unset", "notset", "n/a", "changeit?", "example", "yes", "no"}

// isPlaceholder reports whether v is not a secret: a placeholder word, a reference
// ("${DB_PASSWORD}", "{{ .Password }}", "<password>", "%s"), a redaction or token of this
// package ("[SECRET]", "tok_..."), or one byte repeated ("********").
func isPlaceholder(v []byte) bool {
	if reference(v) {
		return true
	}
	if bytes.HasPrefix(v, []byte("tok_")) {
		return true
	}
	same := true
	for _, c := range v[1:] {
		if c != v[0] {
			same = false
			break
		}
	}
	if same {
		return true
	}
	for _, p := range placeholders {
		if len(p) == len(v) && hasPrefixFold(v, p) {
			return true
		}
	}
	return hasFill(v)
}

// hasFill reports a run of six or more of one fill byte ('x', 'X', '*', '#'), which stands
// where a value was left out: "sha256~XXXXXXXXXX_PUT_YOUR_TOKEN_HERE".
func hasFill(v []byte) bool {
	n := 0
	for k, c := range v {
		if (c == 'x' || c == 'X' || c == '*' || c == '#') && k > 0 && c == v[k-1] {
			if n++; n >= 5 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// highEntropy reports whether v looks like a generated secret: 12 to 4096 token bytes, at
// least two of upper case, lower case and digits (or 24 digits or more), and at least
// minEntropy bits of Shannon entropy per byte. Words, paths and dates fall short of it.
func highEntropy(v []byte) bool { return generatedIn(v, &tokenChar) }

// generatedIn is highEntropy for a value of the bytes of set.
func generatedIn(v []byte, set *[256]bool) bool {
	if len(v) < minLabelled || len(v) > maxSecretValue {
		return false
	}
	var counts [256]uint16
	var up, lo, dg bool
	for _, c := range v {
		if !set[c] {
			return false
		}
		counts[c]++
		up = up || isUpperASCII(c)
		lo = lo || isLowerASCII(c)
		dg = dg || isDigit(c)
	}
	if ext := bytes.LastIndexByte(v, '.'); ext >= 0 && len(v)-ext >= 3 && len(v)-ext <= 5 && isLowerWord(v[ext+1:]) {
		return false // a file name: "photos/2024/beach.jpg"
	}
	if dottedName(v) || versioned(v) {
		return false // "jetbrains.mps.v8_elimination", "jjwt-jackson-0.11.2"
	}
	classes := 0
	for _, b := range [...]bool{up, lo, dg} {
		if b {
			classes++
		}
	}
	if classes < 2 && !(dg && len(v) >= minDigitSecret) {
		return false // one class: a word; digits alone are a secret only as long as a generated one
	}
	h, n := 0.0, float64(len(v))
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h >= minEntropy
}

// mixedIn reports a generated value with punctuation outside a token's alphabet mixed in
// ("sq0csp-fxtYcQOiyhH81jG^poM6...", "8c0de099:3bbebffe"): highEntropy over secretChar (the
// punctuation generators mix in, and '&', '<' and ';' that a value after ':' may hold, raw
// or as an entity; not the brackets, quotes and '$' of code, nor '%', whose escapes the URL
// reading decodes), with letters and digits both, as words joined by punctuation
// ("Hello:World!") have none.
func mixedIn(v []byte) bool {
	return hasLetterAndDigit(v) && generatedIn(v, &secretChar)
}

// dottedName reports a name of lower-case words joined by '.' (two or more), a package or
// property name: each word a lower-case letter and then up to 19 lower-case letters, digits
// (two at most) or '_'. The dotted parts of generated tokens are longer or hold more digits
// ("pat.g1z7xr9n553dpm9c71fj2h...", "dt0c01.hmb2ynjldcsbz4...").
func dottedName(v []byte) bool {
	if bytes.IndexByte(v, '.') < 0 {
		return false
	}
	for w := range bytes.SplitSeq(v, []byte(".")) {
		if len(w) == 0 || len(w) > 20 || !isLowerASCII(w[0]) || digitsIn(w) > 2 {
			return false
		}
		for _, c := range w {
			if !isLowerASCII(c) && !isDigit(c) && c != '_' {
				return false
			}
		}
	}
	return true
}

// versioned reports an artifact name and its version: lower-case words joined by '-', then
// '-' and a version of two or three dotted numbers ("jjwt-jackson-0.11.2").
func versioned(v []byte) bool {
	dash := bytes.LastIndexByte(v, '-')
	if dash <= 0 {
		return false
	}
	if dots := bytes.Count(v[dash+1:], []byte(".")); dots < 1 || dots > 2 {
		return false
	}
	for n := range bytes.SplitSeq(v[dash+1:], []byte(".")) {
		if len(n) == 0 || digitsIn(n) != len(n) {
			return false
		}
	}
	for _, c := range v[:dash] {
		if !isLowerASCII(c) && c != '-' {
			return false
		}
	}
	return true
}

// judge decides whether v, the value of a label of kind kind, is a secret, and of which
// detector. A value a shaped detector recognises is left to that detector.
func judge(kind uint8, v []byte, enabled *[numDetectors]bool) (detector, bool) {
	if len(v) == 0 || isPlaceholder(v) || !hasLetterOrDigit(v) {
		return 0, false
	}
	if _, _, ok := shapedToken(v, 0, &allDetectors, glueNone); ok {
		return 0, false // a shaped token is its detector's, and a filler one ("AKIA...EXAMPLE") no secret
	}
	switch kind {
	case lblPassword:
		if passwordWidth(v) >= minPassword && len(v) <= maxSecretValue {
			return detSecret, enabled[detSecret]
		}
	case lblCode:
		if len(v) >= minCode && len(v) <= maxSecretValue {
			return detSecret, enabled[detSecret]
		}
	case lblAWSSession:
		if len(v) >= minSecretLen && runOf(v, 0, &b64Char, len(v)) == len(v) {
			return detAWSSession, enabled[detAWSSession]
		}
	case lblAWSSecret:
		if len(v) == 40 && runOf(v, 0, &b64Char, 40) == 40 && highEntropy(v) {
			return detAWSSecret, enabled[detAWSSecret]
		}
		fallthrough
	default:
		if highEntropy(v) || mixedIn(v) || symbolic(v) {
			return detSecret, enabled[detSecret]
		}
	}
	return 0, false
}

// passwordWidth is the length of a password value as the scan reads it, folded (fold.go):
// a character that is a spelling of an ASCII one, or punctuation or a symbol (which reads as
// '^' between digits), counts as one, an invisible one as none, and any other outside ASCII
// (a letter of another script) as two, as its bytes did before. So "0€", "00\uFFFD" and
// their folded "0^", "00^" are all under four, and a value is judged alike in both
// spellings (found by FuzzDecoders: "pAss=0\xfc 0100000 000"); "日本" and "аб" are four.
func passwordWidth(v []byte) int {
	n := 0
	for _, r := range string(v) {
		b, ok := foldRune(r)
		switch {
		case r < utf8.RuneSelf:
			n++
		case ok && b == 0: // dropped wherever it stands
		case ok, unicode.IsPunct(r), unicode.IsSymbol(r):
			n++
		default:
			n += 2
		}
	}
	return n
}

// hasLetterOrDigit reports whether v holds a letter or digit of any script: a value of
// punctuation only (",.:-¨@*¿?!") is a separator or a decoration, not a secret.
func hasLetterOrDigit(v []byte) bool {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if isLetter(c) || isDigit(c) {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(v[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
		i += n
	}
	return false
}

// symbolic reports a value under a secret label that is no word but a run of symbols with
// letters or digits of any script ("m{{h}o)p${e]nob(ody"): at least 8 bytes, no white space,
// a quarter of its characters neither letters nor digits.
func symbolic(v []byte) bool {
	if len(v) < 8 || len(v) > maxSecretValue {
		return false
	}
	alnum, sym, n := 0, 0, 0
	for _, r := range string(v) {
		n++
		switch {
		case r <= ' ' || unicode.IsSpace(r):
			return false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			alnum++
		default:
			sym++
		}
	}
	return alnum > 0 && sym*4 >= n
}

// allDetectors has every detector on.
var allDetectors = func() (a [numDetectors]bool) {
	for i := range a {
		a[i] = true
	}
	return a
}()

// authSchemes are the words that may precede a credential in an Authorization value.
var authSchemes = [...]string{"bearer", "basic", "token", "bot", "digest", "apikey", "aws4-hmac-sha256"}

// skipScheme returns the offset after an authorization scheme word and its spaces at v[0],
// or 0.
func skipScheme(v []byte) int {
	for _, w := range authSchemes {
		if len(v) > len(w)+1 && hasPrefixFold(v, w) && v[len(w)] == ' ' {
			j := len(w)
			for j < len(v) && v[j] == ' ' {
				j++
			}
			return j
		}
	}
	return 0
}

// assigned reports a labelled secret at the ':' or '=' at s[i]: the label is the word right
// before it (quotes and a space may sit between), the value the quoted string or the unquoted
// run after it. It returns the value's span.
func (sc *scanner) assigned(s []byte, i, floor int) (vs, ve int, det detector, ok bool) {
	if i > floor && s[i] == '=' && (s[i-1] == '=' || s[i-1] == ':') {
		return 0, 0, 0, false // the second '=' of "==" or ":=": the first one reads it
	}
	j := i
	if j > floor && s[i] == '=' && s[j-1] == '!' { // a comparison "!=" or "!=="
		j--
	}
	// An assignment of more than one byte: "?=", "??=", "+=", "||=", " .=" (PHP).
	for n := 0; n < 2 && j > floor+1 && s[i] == '=' && (s[j-1] == '?' || s[j-1] == '+' || s[j-1] == '|' || (s[j-1] == '.' && s[j-2] == ' ')); n++ {
		j--
	}
	if s[i] == '=' && (j < i || (i+1 < len(s) && s[i+1] == '=')) {
		// A comparison: a quoted string before it is the value, never a label.
		b := j
		for n := 0; n < 2 && b > floor && s[b-1] == ' '; n++ {
			b--
		}
		if b > floor && (s[b-1] == '"' || s[b-1] == '\'') {
			return sc.comparedBefore(s, i, floor)
		}
	}
	for k := 0; k < 2 && j > floor && (s[j-1] == '"' || s[j-1] == '\'' || s[j-1] == ' '); k++ {
		j--
	}
	if j > floor && s[j-1] == ']' { // an element or array: "secret[] =", "char key[25] ="
		b := bytes.LastIndexByte(s[max(floor, j-8):j-1], '[')
		if b < 0 {
			return 0, 0, 0, false
		}
		j = max(floor, j-8) + b
	}
	if j == floor || !(isLetter(s[j-1]) || isDigit(s[j-1])) {
		return sc.comparedBefore(s, i, floor)
	}
	k := j
	for k > floor && j-k <= maxLabel && labelByte[s[k-1]] {
		k--
	}
	if j-k > maxLabel {
		return 0, 0, 0, false
	}
	kind := secretLabel(s[k:j])
	if kind == lblNone {
		kind = typedLabel(s, k, j, floor) // var apiToken string = "..."
	}
	if kind == lblNone && pairKey(s[k:j], pairValues) {
		kind = siblingLabel(s, k, floor) // value="…" after key="DbPassword"; "- name: …\n  value: …"
	}
	if kind == lblNone {
		return 0, 0, 0, false
	}
	if kind == lblSignature {
		if k == floor || (s[k-1] != '?' && s[k-1] != '&') || s[i] != '=' {
			return 0, 0, 0, false
		}
		kind = lblSecret
	}
	if kind == lblCookie {
		// "Cookie: sid=...; theme=dark": the pairs to the end of the line are read at
		// their '=' (cookieValue).
		if s[i] == ':' {
			sc.cookies = max(sc.cookies, lineEnd(s, i))
		}
		return 0, 0, 0, false
	}
	v := i + 1
	if s[i] == ':' { // "::=" and ":::=" (Makefiles)
		c := v
		for c < len(s) && c-v < 2 && s[c] == ':' {
			c++
		}
		if c < len(s) && c > v && s[c] == '=' {
			v = c
		}
	}
	// ":=" and "=>" assign; "==" and "===" compare a value in code with the secret.
	for n := 0; n < 2 && v < len(s) && (s[v] == '=' || (s[v] == '>' && s[i] == '=')) && !(s[i] == ':' && n > 0); n++ {
		v++
	}
	for n := 0; n < 2 && v < len(s) && s[v] == ' '; n++ {
		v++
	}
	if v+1 < len(s) && s[v] == '@' && s[v+1] == '"' { // a C# verbatim string
		v++
	}
	if s[i] == ':' && v < len(s) && (s[v] == '|' || s[v] == '>') {
		// A YAML block scalar ("password: |"): the value is the lines indented under it.
		if bs, be, first, ok := blockScalar(s, k, v); ok {
			if d, ok := judge(kind, first, &sc.enabled); ok {
				return bs, be, d, true
			}
		}
		return 0, 0, 0, false
	}
	var q byte
	if v < len(s) && (s[v] == '"' || s[v] == '\'' || s[v] == '`') {
		q = s[v]
		v++
	}
	if q == 0 && kind == lblAuth {
		v += skipScheme(s[v:min(len(s), v+24)])
	}
	e := v
	if q != 0 {
		for e < len(s) && e-v <= maxSecretValue && s[e] != q && s[e] != '\n' {
			e++
		}
	} else if kind != lblAuth {
		// A password or key may hold any symbol: it runs to white space, a quote or '&',
		// less a final ',' or ';'. After ':' it holds '&' and a '<' that opens no tag: '&'
		// ends a query's value ("?password=…&next="), not a header's or a YAML key's.
		colon := s[i] == ':'
		for e < len(s) && e-v <= maxSecretValue && !escapeAt(s, e) {
			if c := s[e]; passwordStop[c] && !(colon && (c == '&' || c == '<' && !tagOpens(s, e))) {
				break
			}
			e++
		}
		for e > v+1 && (s[e-1] == ',' || s[e-1] == ';') {
			e--
		}
		if le := lineValue(s, k, e); le > e && passphrase(s[v:le]) && !bytes.ContainsAny(s[v:le], codePunct) {
			return v, le, detSecret, sc.enabled[detSecret]
		}
	} else {
		for e < len(s) && e-v <= maxSecretValue && !valueStop[s[e]] {
			e++
		}
	}
	if q != 0 && kind == lblAuth {
		v += skipScheme(s[v:e])
	}
	if e-v > maxSecretValue || e == v {
		return 0, 0, 0, false
	}
	if q != 0 && q != '`' && kind == lblSecret && e < len(s) && s[e] == q && passphrase(s[v:e]) {
		return v, e, detSecret, sc.enabled[detSecret]
	}
	if d, ok := judge(kind, s[v:e], &sc.enabled); ok {
		return v, e, d, true
	}
	return 0, 0, 0, false
}

// tagOpens reports whether the '<' at s[i] opens a tag, a closing tag or a comment: a letter,
// '/' or '!' after it and a '>' closing it on its line.
func tagOpens(s []byte, i int) bool {
	if i+1 >= len(s) || !(isLetter(s[i+1]) || s[i+1] == '/' || s[i+1] == '!') {
		return false
	}
	for j := i + 2; j < len(s) && j-i < maxTag; j++ {
		switch s[j] {
		case '>':
			return true
		case '\n', '<':
			return false
		}
	}
	return false
}

// lineEnd returns the index of the end of the line s[i] is on.
func lineEnd(s []byte, i int) int {
	if k := bytes.IndexByte(s[i:], '\n'); k >= 0 {
		return i + k
	}
	return len(s)
}

// blockScalar reads the YAML block scalar whose indicator ('|' or '>', then chomping and
// indentation indicators and perhaps a comment) is at s[v], under the label at s[k]: the lines
// after it indented deeper than the label's line, blank ones among them. It returns the span
// from the first line's text to the end of the last line's, and the first line's text.
func blockScalar(s []byte, k, v int) (bs, be int, first []byte, ok bool) {
	j := v + 1
	for j < len(s) && j-v <= 3 && (s[j] == '-' || s[j] == '+' || (s[j] >= '1' && s[j] <= '9')) {
		j++
	}
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j < len(s) && s[j] == '#' {
		j = lineEnd(s, j)
	}
	if j < len(s) && s[j] == '\r' {
		j++
	}
	if j >= len(s) || s[j] != '\n' {
		return 0, 0, nil, false
	}
	ls := k
	for ls > 0 && s[ls-1] != '\n' {
		ls--
	}
	indent := k - ls // the label's column ("- password: |" too)
	for p := j + 1; p < len(s) && p-j <= maxSecretValue; {
		e := lineEnd(s, p)
		t := p
		for t < e && (s[t] == ' ' || s[t] == '\t') {
			t++
		}
		text := bytes.TrimRight(s[t:e], " \t\r")
		switch {
		case len(text) == 0: // a blank line inside or after the block
		case t-p <= indent:
			return bs, be, first, first != nil
		case first == nil:
			bs, first = t, text
			be = t + len(text)
		default:
			be = t + len(text)
		}
		if e == len(s) {
			break
		}
		p = e + 1
	}
	return bs, be, first, first != nil
}

// cookieAttrs are the attributes of a Set-Cookie header, which are no cookie's value.
var cookieAttrs = newWordSet([]string{"expires", "max-age", "domain", "path", "samesite", "priority", "secure",
	"httponly", "partitioned", "version", "comment"})

// cookieOctet marks the bytes of a cookie's value (RFC 6265: no white space, quote, comma,
// semicolon or backslash).
var cookieOctet = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = bytes.IndexByte([]byte("\",;\\"), byte(c)) < 0
	}
	return t
}()

// cookieValue reports the value of the cookie pair whose '=' is at s[eq], inside a Cookie or
// Set-Cookie header: a value judged generated (a session id, a signed token) is a secret; an
// attribute's ("Path=/", "Expires=...") and a word are not.
func cookieValue(s []byte, eq, floor int) (vs, ve int, ok bool) {
	n := eq
	for n > floor && eq-n <= maxLabel && cookieOctet[s[n-1]] && s[n-1] != '=' {
		n--
	}
	if n == eq || cookieAttrs.hasFold(s[n:eq]) {
		return 0, 0, false
	}
	vs = eq + 1
	q := vs < len(s) && s[vs] == '"'
	if q {
		vs++
	}
	ve = vs
	for ve < len(s) && ve-vs <= maxSecretValue && cookieOctet[s[ve]] {
		ve++
	}
	if q && (ve == len(s) || s[ve] != '"') {
		return 0, 0, false
	}
	v := s[vs:ve]
	if len(v) == 0 || isPlaceholder(v) || !generatedIn(v, &cookieOctet) {
		return 0, 0, false
	}
	return vs, ve, true
}

// codePunct are bytes a line of code has and a passphrase written as the rest of a line has
// not: "credentials: new AWS.SharedIniFileCredentials({ profile: '...' })" is code.
const codePunct = "(){}[]<>;\"'`"

// escapeAt reports a backslash escape at s[i] that ends an unquoted value written inside a
// string: "\n", "\r", "\t" or an escaped quote ("TOKEN=abc\nNEXT=1" in a JSON string read as
// text).
func escapeAt(s []byte, i int) bool {
	return s[i] == '\\' && i+1 < len(s) && bytes.IndexByte([]byte(`nrt"'`), s[i+1]) >= 0
}

// typeWords are type names written between a label and its value in a declaration.
var typeWords = newWordSet([]string{"string", "str", "char", "text", "charsequence", "securestring", "var", "val", "const"})

// typedLabel returns the kind of the label of a typed declaration whose type word is s[k:j]:
// "var apiToken string =" (Go), "var apiToken: String =" (Kotlin, Swift).
func typedLabel(s []byte, k, j, floor int) uint8 {
	word := s[k:j]
	if !typeWords.hasFold(word) {
		return lblNone
	}
	e := k
	if e > floor && s[e-1] == ' ' {
		e--
	}
	if e > floor && s[e-1] == ':' {
		e--
	}
	if e == k || e <= floor || !labelByte[s[e-1]] {
		return lblNone
	}
	b, ok := labelStart(s, e, floor)
	if !ok {
		return lblNone
	}
	return secretLabel(s[b:e])
}

// labelStart returns the start of the label that ends at s[j] (its bytes labelByte, at most
// maxLabel of them, none before floor), and false when there is none.
func labelStart(s []byte, j, floor int) (int, bool) {
	k := j
	for k > floor && j-k <= maxLabel && labelByte[s[k-1]] {
		k--
	}
	return k, k < j && j-k <= maxLabel
}

// quoted returns the span of the quoted value opened by the quote at s[q], closed by the same
// quote on the same line; false when it is empty, unclosed or longer than maxSecretValue.
func quoted(s []byte, q int) (v, e int, ok bool) {
	v, e = q+1, q+1
	for e < len(s) && e-v <= maxSecretValue && s[e] != s[q] && s[e] != '\n' {
		e++
	}
	return v, e, e < len(s) && s[e] == s[q] && e > v && e-v <= maxSecretValue
}

// quotedPair reports a labelled secret written as two quoted strings, the label's and the
// value's, separated by a comma: setProperty("API_TOKEN", "..."), ("password", "..."). s[q] is
// the quote opening the value; it returns the value's span.
func (sc *scanner) quotedPair(s []byte, q, floor int) (vs, ve int, det detector, ok bool) {
	b := q
	for n := 0; n < 2 && b > floor && s[b-1] == ' '; n++ {
		b--
	}
	if b <= floor+2 || s[b-1] != ',' {
		return 0, 0, 0, false
	}
	b--
	for n := 0; n < 2 && b > floor && s[b-1] == ' '; n++ {
		b--
	}
	if b <= floor+2 || (s[b-1] != '"' && s[b-1] != '\'') {
		return 0, 0, 0, false
	}
	lq, le := s[b-1], b-1
	o, ok := labelStart(s, le, floor)
	if !ok || o <= floor || s[o-1] != lq {
		return 0, 0, 0, false
	}
	kind := secretLabel(s[o:le])
	if kind == lblNone {
		return 0, 0, 0, false
	}
	v, e, ok := quoted(s, q)
	if !ok {
		return 0, 0, 0, false
	}
	if d, ok := judge(kind, s[v:e], &sc.enabled); ok {
		return v, e, d, true
	}
	return 0, 0, 0, false
}

// lineValue returns the end of an unquoted value that runs on past white space at s[e] to the
// end of its line, when its label (starting at s[k]) starts the line, as in YAML, INI and
// properties files ("aws_secret_access_key: value with spaces"), where the value is the rest
// of the line; 0 otherwise. Spaces, tabs and a YAML list marker may come before the label.
func lineValue(s []byte, k, e int) int {
	if e >= len(s) || (s[e] != ' ' && s[e] != '\t') {
		return 0
	}
	for b := k - 1; b >= 0 && s[b] != '\n'; b-- {
		if c := s[b]; c != ' ' && c != '\t' && c != '-' && c != '\r' {
			return 0
		}
	}
	le := e
	for le < len(s) && le-e <= maxSecretValue && s[le] != '\n' {
		le++
	}
	for le > e && (s[le-1] == ' ' || s[le-1] == '\t' || s[le-1] == '\r') {
		le--
	}
	if le-e > maxSecretValue {
		return 0
	}
	return le
}

// passphrase reports a quoted value of words under a key or secret label ("api_key: 'value
// with quotes and spaces'"): the quotes bound it, so its spaces are its own, and a value
// typed in words under such a label is a passphrase, not a generated key the entropy rule
// judges. It needs two or more words and 8 or more bytes, and no placeholder ("none").
func passphrase(v []byte) bool {
	if len(v) < 8 || isPlaceholder(v) || v[0] == ' ' || v[len(v)-1] == ' ' {
		return false
	}
	words, letters := 1, false
	for _, c := range v {
		switch {
		case c == ' ':
			words++
		case c < ' ':
			return false
		case isLetter(c):
			letters = true
		}
	}
	return words >= 2 && letters
}

// quotedAfterLabel reports a labelled secret written with no assignment operator: a secret
// label ending at s[j] and a quoted value opening at s[q], either a call's argument
// (secret("..."), std::string secret("...")), closed by ')' or ',', or a value right after
// its label in a statement (password "...";), closed by ';'. It returns the value's span.
func (sc *scanner) quotedAfterLabel(s []byte, j, q, floor int) (vs, ve int, det detector, ok bool) {
	k, ok := labelStart(s, j, floor)
	if !ok || !isLetter(s[k]) {
		return 0, 0, 0, false
	}
	kind := secretLabel(s[k:j])
	if kind == lblNone {
		return 0, 0, 0, false
	}
	v, e, ok := quoted(s, q)
	if !ok {
		return 0, 0, 0, false
	}
	call := s[j] == '('
	switch after := byte(0); {
	case e+1 < len(s):
		after = s[e+1]
		if (call && after != ')' && after != ',') || (!call && after != ';') {
			return 0, 0, 0, false
		}
	default:
		return 0, 0, 0, false // unclosed: a call or a statement goes on
	}
	if d, ok := judge(kind, s[v:e], &sc.enabled); ok {
		return v, e, d, true
	}
	return 0, 0, 0, false
}

// comparedBefore reports a secret compared in code with its label after it
// (if ("..." == password)): at the first byte of "==", "===", "!=" or "!==" at s[i], a quoted
// value right before and a secret label right after. It returns the value's span.
func (sc *scanner) comparedBefore(s []byte, i, floor int) (vs, ve int, det detector, ok bool) {
	op := i
	if s[i] == '=' && op > floor && s[op-1] == '!' {
		op--
	} else if s[i] != '=' || i+1 >= len(s) || s[i+1] != '=' {
		return 0, 0, 0, false
	}
	e := op
	for n := 0; n < 2 && e > floor && s[e-1] == ' '; n++ {
		e--
	}
	if e-1 <= floor || (s[e-1] != '"' && s[e-1] != '\'') {
		return 0, 0, 0, false
	}
	q := s[e-1]
	e--
	v := e
	for v > floor && e-v <= maxSecretValue && s[v-1] != q && s[v-1] != '\n' {
		v--
	}
	if v == floor || s[v-1] != q || e == v || e-v > maxSecretValue {
		return 0, 0, 0, false
	}
	a := i + 1
	for n := 0; n < 2 && a < len(s) && s[a] == '='; n++ {
		a++
	}
	for n := 0; n < 2 && a < len(s) && s[a] == ' '; n++ {
		a++
	}
	b := a
	for b < len(s) && b-a <= maxLabel && labelByte[s[b]] {
		b++
	}
	if b == a || b-a > maxLabel || !isLetter(s[a]) {
		return 0, 0, 0, false
	}
	kind := secretLabel(s[a:b])
	if kind == lblNone {
		return 0, 0, 0, false
	}
	if d, ok := judge(kind, s[v:e], &sc.enabled); ok {
		return v, e, d, true
	}
	return 0, 0, 0, false
}

// keyedSecret judges a whole JSON string value under a secret label (the member key). It
// returns the span of the secret in v: all of it, or what follows an authorization scheme.
func (sc *scanner) keyedSecret(v []byte) (vs, ve int, det detector, ok bool) {
	kind := sc.keySecretKind()
	if kind == lblNone || kind == lblCookie || kind == lblSignature || len(v) == 0 {
		return 0, 0, 0, false // a cookie header's pairs are read one by one (cookieValue)
	}
	if kind == lblAuth || kind == lblSecret {
		vs = skipScheme(v)
	}
	if kind != lblPassword && bytes.IndexByte(v[vs:], ' ') >= 0 {
		return 0, 0, 0, false
	}
	if d, ok := judge(kind, v[vs:], &sc.enabled); ok {
		return vs, len(v), d, true
	}
	return 0, 0, 0, false
}

// userinfoChar marks the bytes of the user:password part of a URL as they appear in practice
// (anything but separators, whitespace and quotes).
var userinfoChar [256]bool

func init() {
	for c := 0x21; c < 0x7f; c++ {
		userinfoChar[c] = bytes.IndexByte([]byte(`/@"'<>\`+"`"), byte(c)) < 0
	}
}

// urlPassword reports the password of a URL whose userinfo ends at the '@' at s[at]:
// "scheme://user:password@host". It returns the password's span.
func urlPassword(s []byte, at, floor int) (ps, pe int, ok bool) {
	j := at
	for j > floor && at-j <= maxUserinfo && userinfoChar[s[j-1]] {
		j--
	}
	if j-3 < floor || s[j-1] != '/' || s[j-2] != '/' || s[j-3] != ':' || j-4 < 0 || !isLetter(s[j-4]) {
		return 0, 0, false
	}
	c := bytes.IndexByte(s[j:at], ':')
	if c < 0 || j+c+1 == at || at+1 >= len(s) || !domChar[s[at+1]] {
		return 0, 0, false
	}
	ps = j + c + 1
	if s[ps] == '[' || bytes.HasPrefix(s[ps:at], []byte("tok_")) { // masked already
		return 0, 0, false
	}
	return ps, at, true
}

// curlCredentials reports the credentials of curl's -u or --user option whose ':' is at
// s[c]: "curl -u user:password URL", "--user 'user:password'", "--user=user:password", the
// command on this line or on lines before it joined by a trailing '\'. It returns the
// password's span, or the user's where the password is empty: "-u sk_live_...:" gives an
// API key as the user, as Stripe's and Mailgun's documentation do.
func curlCredentials(s []byte, c, floor int) (vs, ve int, ok bool) {
	u := c
	for u > floor && c-u < maxUserinfo && !curlStop[s[u-1]] {
		u--
	}
	k, q := u, byte(0)
	if k > floor && (s[k-1] == '"' || s[k-1] == '\'') {
		q = s[k-1]
		k--
	}
	switch {
	case k-7 >= floor && string(s[k-7:k]) == "--user=":
		k -= 7
	default:
		sp := k
		for sp > floor && k-sp < 5 && (s[sp-1] == ' ' || s[sp-1] == '\t') {
			sp--
		}
		switch {
		case sp == k:
			return 0, 0, false
		case sp-2 >= floor && string(s[sp-2:sp]) == "-u":
			k = sp - 2
		case sp-6 >= floor && string(s[sp-6:sp]) == "--user":
			k = sp - 6
		default:
			return 0, 0, false
		}
	}
	if k == 0 || (s[k-1] != ' ' && s[k-1] != '\t') || !curlBefore(s, k) {
		return 0, 0, false
	}
	p := c + 1
	if q == 0 && p < len(s) && (s[p] == '"' || s[p] == '\'') {
		q = s[p] // the password quoted on its own: user:'password'
		p++
	}
	e := p
	for e < len(s) && e-c <= maxUserinfo && s[e] != q && !(q == 0 && curlStop[s[e]]) {
		e++
	}
	if q != 0 && (e == len(s) || s[e] != q) {
		return 0, 0, false
	}
	vs, ve = p, e
	if bytes.HasPrefix(s[vs:ve], []byte("//")) {
		return 0, 0, false // "-u https://…": a URL where the credentials go, in a usage line
	}
	if vs == ve {
		vs, ve = u, c // the user is the secret
	} else if bytes.Equal(s[vs:ve], s[u:c]) {
		return 0, 0, false // "test:test"
	}
	v := s[vs:ve]
	if ve-vs < minPassword || isPlaceholder(v) || credentialWordSet.hasFold(v) {
		return 0, 0, false // "user:password", "username:token": a usage line
	}
	return vs, ve, true
}

// credentialWordSet holds the names of credentials, written where a usage line shows
// where one goes ("curl -u username:password").
var credentialWordSet = newWordSet([]string{"pass", "passwd", "password", "pwd", "secret", "token", "apikey",
	"api_key", "key", "pw"})

// curlStop ends a user or password of curl's -u option written without quotes.
var curlStop = func() (t [256]bool) {
	for c := 0; c <= ' '; c++ {
		t[c] = true
	}
	for _, c := range []byte("\"'`:=<>") {
		t[c] = true
	}
	return t
}()

// curlBefore reports the word "curl" before s[k] on its command line: the same line, or
// lines before it that end in '\'. It may cross a match (a URL's address before -u).
func curlBefore(s []byte, k int) bool { return commandBefore(s, k, "curl") }

// isLowerWord reports whether b is lower-case letters only.
func isLowerWord(b []byte) bool {
	for _, c := range b {
		if !isLowerASCII(c) {
			return false
		}
	}
	return true
}

// A token can be joined to the word before it, as a query that concatenates a value to
// another writes it ("SELECT 'MY_' || token": "MY_tskey-…", "KEYghp_…", "BearereyJ…"). The
// scanner reads a word's letters at once, so such a token is looked for where the letters
// end (gluedToken), and read there as glueAt allows: a prefix whose letters end the run and whose mark ('_', '-', '.' or a
// digit) follows them ("ghp" and '_'), or, in a run that goes on with a digit, '_' or '-', a
// key id's, a JWT's or an STS token's start inside it ("AKIA", "eyJ", "Fwo").

// shapedPrefixes are the prefixes of the kinds shapedToken reads besides providerTokens.
var shapedPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "GR1348941",
	"xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxe-", "xoxr-", "xapp-", "hooks.slack.com/",
	"sk_live_", "sk_test_", "rk_live_", "rk_test_", "sk-", "mdt1.", "whsec_", "IQoJb3JpZ2lu"}

// tailHeads lists, by the mark after them (glueMark) and their last letter, the letters a
// glued prefix starts with.
var tailHeads = func() (m [4][128][]string) {
	add := func(p string) {
		n := 0
		for n < len(p) && isLetter(p[n]) {
			n++
		}
		if n < 2 || n == len(p) {
			return // a one-letter head, or no mark: read inside the run (gluedToken)
		}
		mark, last := glueMark(p[n]), p[n-1]
		if mark < 0 || slices.Contains(m[mark][last], p[:n]) {
			return
		}
		m[mark][last] = append(m[mark][last], p[:n])
	}
	for _, p := range shapedPrefixes {
		add(p)
	}
	for _, p := range aiKeyPrefixes {
		add(p)
	}
	for _, p := range gitLabPrefixes {
		add(p.prefix)
	}
	for k, p := range providerTokens {
		if providerGlue[k] {
			add(p.prefix)
		}
	}
	return m
}()

// glueMark is the index in tailHeads of the byte c after a prefix's letters; -1 for none.
func glueMark(c byte) int {
	switch {
	case c == '_':
		return 0
	case c == '-':
		return 1
	case c == '.':
		return 2
	case isDigit(c):
		return 3
	}
	return -1
}

// gluedToken looks for a token glued to the letters s[i:j] (a run the scanner passes over at
// once, s[i] a possible token start already tried) and returns where it starts and ends.
func gluedToken(s []byte, i, j int, enabled *[numDetectors]bool) (int, int, detector, bool) {
	if j >= len(s) || j-i < 2 {
		return 0, 0, 0, false
	}
	mark := glueMark(s[j])
	if mark < 0 || s[j-1] >= 128 {
		return 0, 0, 0, false
	}
	for _, h := range tailHeads[mark][s[j-1]] {
		if k := j - len(h); k > i && string(s[k:j]) == h {
			if end, d, ok := prefixToken(s, k, enabled); ok {
				return k, end, d, true
			}
		}
	}
	if mark == 2 {
		return 0, 0, 0, false // a full stop: a sentence's end, and no key id, JWT or STS token
	}
	for k := i + 1; k+1 < j; k++ {
		c, d := s[k], s[k+1]
		if c == 'A' && isUpperASCII(d) || c == 'e' && d == 'y' || c == 'F' && d == 'w' {
			if end, det, ok := prefixToken(s, k, enabled); ok {
				return k, end, det, true
			}
		}
	}
	return 0, 0, 0, false
}
