package mask

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Detector names. They are the keys of a Summary, the names profiles and WithoutDetectors
// take, and the middle part of a token ("tok_email_...").
const (
	Email = "email" // email addresses
	Card  = "card"  // payment card numbers (IIN range and Luhn check)
	SSN   = "ssn"   // US Social Security numbers
	Phone = "phone" // phone numbers, international (E.164) and national formats
	IBAN  = "iban"  // international bank account numbers (country length and mod-97 check)
	IP    = "ip"    // IPv4 and IPv6 addresses
	DOB   = "dob"   // dates of birth: dates under a label such as "dob" or "date of birth"

	AWSAccessKeyID   = "aws_access_key_id" // AKIA..., ASIA... access key ids
	AWSSecretKey     = "aws_secret_key"    // 40-character secret access keys, under a label
	AWSSessionToken  = "aws_session_token" // STS session tokens, by prefix or under a label
	JWT              = "jwt"               // JSON Web Tokens (three base64url segments, header "eyJ")
	PrivateKey       = "private_key"       // PEM private key blocks
	GitHubToken      = "github_token"      // ghp_, gho_, ghu_, ghs_, ghr_, github_pat_ tokens
	GitLabToken      = "gitlab_token"      // glpat-, gldt-, glrt-, glptt- tokens
	SlackToken       = "slack_token"       // xox?- tokens, xapp- tokens, webhook paths
	StripeKey        = "stripe_key"        // sk_live_, sk_test_, rk_live_, rk_test_, whsec_ keys
	Secret           = "secret"            // passwords and high-entropy values under a secret label
	ConnectionString = "connection_string" // the password of a URL such as postgres://user:pw@host
	MandateToken     = "mandate_token"     // Mandate's own action tokens (mdt1.<claims>.<mac>)

	Field = "field" // values of the JSON fields named with WithFields, whatever they hold
	Known = "known" // values Mandate itself put into the action (MaskKnown), wherever they come back

	// Withheld is no detector: it counts the parts of an input that could not be inspected
	// within the decoding limits and were replaced whole by WithheldMarker.
	Withheld = "withheld"
)

// ErrInvalidJSON is returned by Engine.JSON when its input is not valid JSON (RFC 8259). The
// caller should mask the input as text instead (Engine.Text), or call Engine.Apply, which does
// so by itself. The error names the offset of the first invalid byte, never any content.
var ErrInvalidJSON = errors.New("mask: input is not valid JSON")

// Summary counts the values masked, by detector name. It never carries a value.
type Summary map[string]int

// Total returns the number of values masked.
func (s Summary) Total() int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

// Option configures an Engine.
type Option func(*Engine)

// WithoutDetectors turns off the named detectors. Names it does not know are ignored, so a
// misspelt name can only leave a detector on.
func WithoutDetectors(list ...string) Option {
	return WithMode(ModeOff, list...)
}

// WithMode sets the mode of the named detectors (Field included). Names it does not know are
// ignored; Profile.Engine validates names before it builds an engine.
func WithMode(m Mode, list ...string) Option {
	return func(e *Engine) {
		for _, name := range list {
			if d, ok := detectorNamed(name); ok {
				e.modes[d] = m
			}
		}
	}
}

// WithKey sets the deployment key that ModeToken and ModeFormat derive their keyed hashes
// from (at least MinKeyBytes bytes; a shorter key is ignored and those modes redact). The
// same key MUST be used by every instance of a deployment, so equal values give equal
// tokens everywhere, and it MUST stay secret: with it, a guess can be tested.
func WithKey(key []byte) Option {
	return func(e *Engine) {
		if len(key) >= MinKeyBytes {
			e.tokenKey = derive(key, tokenKeyLabel)
		}
	}
}

// MinKeyBytes is the shortest deployment key WithKey accepts.
const MinKeyBytes = 32

// WithMaxBytes caps the input Mask reads (0 or less: DefaultMaxBytes). Beyond it the input
// is cut at a line or word boundary, masked as text, and TruncatedMarker is appended.
func WithMaxBytes(n int) Option {
	return func(e *Engine) {
		e.maxBytes = n
	}
}

// DefaultMaxBytes is the input cap of an engine built without WithMaxBytes.
const DefaultMaxBytes = 16 << 20

// TruncatedMarker ends the output of an input longer than the engine's cap.
const TruncatedMarker = "\n[MASK: INPUT TRUNCATED; THE REST WAS NOT RETURNED]"

// WithFields makes the engine mask the whole value of every JSON member (and CSV column)
// whose key is one of keys, whatever the value holds: a string, number, literal, object or
// array becomes the string "[REDACTED]" (or the Field mode's replacement) and counts once as
// Field. A key names a field in any of its spellings (FieldName): "date_of_birth" is also
// "dateOfBirth", "Date-Of-Birth", "DATE OF BIRTH" and "ｄａｔｅ＿ｏｆ＿ｂｉｒｔｈ". A name
// with no letter or digit names nothing.
func WithFields(keys ...string) Option {
	return func(e *Engine) {
		for _, name := range keys {
			f := FieldName(name)
			if f == "" {
				continue
			}
			if e.fields == nil {
				e.fields = map[string]bool{}
			}
			e.fields[f] = true
			e.maxField = max(e.maxField, len(f))
		}
	}
}

// FieldName is the one spelling of a field's name that WithFields compares keys in: its
// letters and digits, lower-cased, with what Unicode writes as other forms of them (fullwidth
// and compatibility letters, accents and other combining marks) read as the plain letter, and
// everything else (separators, case changes, invisible characters) left out. Keys that give
// the same FieldName name the same field.
func FieldName(name string) string {
	return string(fieldName(nil, []byte(name), len(name)*utf8.UTFMax))
}

// fieldName appends FieldName of key to dst, and stops once it holds more than limit bytes
// (no field is that long).
func fieldName(dst, key []byte, limit int) []byte {
	for i := 0; i < len(key) && len(dst) <= limit; {
		c := key[i]
		if c >= utf8.RuneSelf {
			return fieldNameSlow(dst, key[i:], limit)
		}
		dst = appendNameByte(dst, c)
		i++
	}
	return dst
}

// nameByte is what the ASCII byte c is in a field's name: a letter lower-cased, a digit as it
// is; false for anything else, which a name leaves out.
func nameByte(c byte) (byte, bool) {
	switch {
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return c, true
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A', true
	}
	return 0, false
}

// appendNameByte appends the ASCII byte c to a field's name, when it is part of one.
func appendNameByte(dst []byte, c byte) []byte {
	if b, ok := nameByte(c); ok {
		return append(dst, b)
	}
	return dst
}

// fieldNameSlow is fieldName for the rest of a key from its first character outside ASCII:
// the key is decomposed (NFKD), so a compatibility form or an accented letter becomes its
// letter and marks, then folded as values are (foldRune), and a Greek or Cyrillic letter
// drawn as a Latin one is that letter in a name that holds Latin letters or digits
// ("pаssword" with a Cyrillic а), as in a value's word. Marks and what folds to nothing are
// left out; any other letter or digit is kept, lower-cased.
func fieldNameSlow(dst, key []byte, limit int) []byte {
	rest := norm.NFKD.String(string(key))
	latin := len(dst) > 0
	for _, r := range rest {
		if latin {
			break
		}
		b, ok := byte(r), r < utf8.RuneSelf
		if !ok {
			b, ok = foldRune(r)
		}
		if ok {
			_, latin = nameByte(b)
		}
	}
	for _, r := range rest {
		if len(dst) > limit {
			break
		}
		if r < utf8.RuneSelf {
			dst = appendNameByte(dst, byte(r))
			continue
		}
		if b, ok := foldRune(r); ok {
			dst = appendNameByte(dst, b)
			continue
		}
		if r >= lookalikeFirst && r <= lookalikeLast && latin {
			if l := latinOf[r-lookalikeFirst]; l != 0 {
				dst = appendNameByte(dst, l)
				continue
			}
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}

// isNamed reports whether key (decoded) is one of the engine's named fields, in any of its
// spellings.
func (e *Engine) isNamed(key []byte) bool {
	if len(e.fields) == 0 {
		return false
	}
	var buf [64]byte
	name := fieldName(buf[:0], key, e.maxField)
	return len(name) <= e.maxField && e.fields[string(name)]
}

// WithAllowedSecrets leaves in clear every value a secret detector matched (a password under a
// label, a key, a token: the detectors IsSecret names) that one of the patterns matches: the
// known placeholders of a team's fixtures ("(?i)fake"), which an agent may need to see. The
// patterns are matched against the value alone; personal data, Field and Known values are
// never allowed.
func WithAllowedSecrets(patterns ...*regexp.Regexp) Option {
	return func(e *Engine) {
		for _, p := range patterns {
			if p != nil {
				e.allowSecrets = append(e.allowSecrets, p)
			}
		}
	}
}

// WithPhoneRegions makes the phone detector also take, without a label, national numbers of
// the named regions (ISO 3166 codes: "ES", "BR", "DE"; PhoneRegions lists them) as they are
// written there without a country code: two or more groups of digits (or a parenthesised
// area code) that make a valid number of the region's plan, with or without its national
// prefix ("912 345 678", "(11) 96123-4567", "030 1234 5678"), or one group of digits written
// with the national prefix ("0612345678"; without the prefix, one group is left alone).
// Without it, such a number is taken only after a phone label, as an id or an amount is as
// often written that way. Codes
// it does not know are ignored; Profile validates them.
func WithPhoneRegions(regions ...string) Option {
	return func(e *Engine) {
		for _, r := range regions {
			if p, ok := planFor(r); ok && !slices.Contains(e.regions, p) {
				e.regions = append(e.regions, p)
			}
		}
	}
}

// Engine masks sensitive values in JSON documents, CSV and text. It is immutable once built
// and safe for concurrent use. The zero Engine is the default one: every detector on, in
// redact mode.
type Engine struct {
	modes    [numDetectors]Mode // the zero value redacts with every detector
	fields   map[string]bool    // FieldName of each named field
	maxField int                // the longest of them
	tokenKey []byte             // HMAC key of tokens, derived from the deployment key; nil: none
	maxBytes int
	// allowSecrets are the patterns of secret values left in clear (WithAllowedSecrets).
	allowSecrets []*regexp.Regexp
	// regions are the national plans of WithPhoneRegions.
	regions []*regionPlan
	// tokens makes Stream read JSON token by token only, never in batches: the two ways
	// must write the same bytes, and the fuzz tests compare them.
	tokens bool
}

// New returns an engine with every detector on, in redact mode, and no named fields, changed
// by opts.
func New(opts ...Option) *Engine {
	e := &Engine{}
	for _, opt := range opts {
		opt(e)
	}
	return e
}

// Mode returns the mode of the named detector, and false for a name it does not know.
func (e *Engine) Mode(detectorName string) (Mode, bool) {
	d, ok := detectorNamed(detectorName)
	if !ok {
		return 0, false
	}
	return e.modes[d], true
}

// Format is the syntax of an input.
type Format uint8

// Formats.
const (
	// FormatAuto masks a valid JSON document as JSON, a JSON stream as NDJSON, XML as XML,
	// CSV (a first record of names and records of as many fields) as CSV, and anything else
	// as text.
	FormatAuto Format = iota
	// FormatJSON masks a JSON document; invalid JSON is masked as CSV when it reads as CSV,
	// else as text.
	FormatJSON
	// FormatText masks plain text.
	FormatText
	// FormatCSV masks CSV (RFC 4180, or fields separated by ';', a tab or '|', the one the
	// first record holds most of): the first record is the header, whose names label the
	// fields below them as JSON keys label values. Invalid CSV is masked as text.
	FormatCSV
	// FormatNDJSON masks a stream of JSON documents (one a line, or separated by white
	// space); findings name the line of each document.
	FormatNDJSON
	// FormatXML masks XML: text and CDATA under their element's name as a label, attribute
	// values under the attribute's name, comments as text; entities are decoded before
	// scanning. XML it cannot read is masked as text.
	FormatXML
)

var formatNames = [...]string{"auto", "json", "text", "csv", "ndjson", "xml"}

// String returns the format's name.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", f)
}

// ParseFormat reads a format name: auto, json, text, csv, ndjson or xml.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if n == s {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("mask: unknown format %q (want auto, json, text, csv, ndjson or xml)", s)
}

// Masked is the outcome of Engine.Mask.
type Masked struct {
	// Body is the masked input: a new slice, a copy of the input when nothing was masked (a
	// zip archive is always written again, archive.go).
	Body []byte
	// Summary counts the values masked by detector name.
	Summary Summary
	// Tokens are the tokens minted (ModeToken, ModeFormat), in order, repeats included.
	// Their values are sensitive: they are for a Vault only.
	Tokens []Token
	// Format is how the input was read: FormatJSON, FormatCSV or FormatText.
	Format Format
	// Truncated reports that the input was longer than the engine's cap; Body ends with
	// TruncatedMarker.
	Truncated bool
	// CutAt is the offset in the input where it was cut when Truncated: no value the
	// detectors match straddles it, so nothing before it is the prefix of a masked value.
	CutAt int
	// found (or lazy, written when Findings is called) say where each value was.
	found []Finding
	lazy  *findingSet
	// Withheld gives the reason a part of the input (or all of it) could not be inspected
	// within the limits and was replaced by WithheldMarker; empty when nothing was.
	Withheld string
	// InvalidUTF8 counts the invalid UTF-8 sequences replaced by U+FFFD before scanning.
	InvalidUTF8 int
}

// Findings says where each masked (or withheld) value was, in order: its detector, its path
// and the encodings it was found under. A finding never carries a value, and a JSON path
// names a key that held a value by what replaced it. The paths are written on the first
// call, so a caller that does not ask pays nothing for them.
func (m Masked) Findings() []Finding { return m.FindingsN(-1) }

// FindingsN is the first n findings (all of them when n < 0), rendering no more than those:
// a record keeps a bounded number, and a response can hold many more.
func (m Masked) FindingsN(n int) []Finding {
	if m.lazy != nil {
		return m.lazy.render(n)
	}
	if n >= 0 && n < len(m.found) {
		return m.found[:n]
	}
	return m.found
}

// Mask masks src read as format f. It never returns unmasked content: input it cannot read
// as f is masked as text, input beyond the engine's cap is dropped and marked, and a part
// that cannot be inspected within the decoding limits is withheld and marked.
func (e *Engine) Mask(src []byte, f Format) Masked {
	return e.MaskKnown(src, f, nil)
}

// MaskKnown is Mask that also masks every occurrence of the known values (as Known), in
// whatever layer they appear: the values Mandate itself put into the action (detokenized
// tokens, injected credentials), so a target that echoes its request hands none of them
// back. Values shorter than MinKnownBytes are ignored.
func (e *Engine) MaskKnown(src []byte, f Format, known []string) Masked {
	limit := e.maxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	b := &budget{left: decodeBudget(src, limit), known: knownValues(known)}
	b.shapes = knownShapes(b.known)
	return e.mask(src, f, limit, b, 0)
}

// MaskCut is MaskKnown for an input that a size limit already cut at its end (a target's
// response read up to a cap): its last bytes may be the first part of a value, which no
// detector can recognise once cut. The input is cut again before its tail, at the last line
// break or separator that no value holds ('"', ',', ';', '{', '[', '<', '>') in the last
// 4 KiB (or 4 KiB back when there is none), masked as text and marked with TruncatedMarker.
func (e *Engine) MaskCut(src []byte, f Format, known []string) Masked {
	cut := tailCut(src)
	m := e.MaskKnown(src[:cut], FormatText, known)
	if !m.Truncated {
		m.Body = append(m.Body, TruncatedMarker...)
		m.Truncated, m.CutAt = true, cut
	}
	return m
}

// tailCut returns where to cut an input cut by someone else: after the last byte in the last
// 4 KiB that no detected value contains.
func tailCut(src []byte) int {
	from := max(0, len(src)-4096)
	for i := len(src) - 1; i >= from; i-- {
		switch src[i] {
		case '\n', '"', ',', ';', '{', '[', '<', '>':
			return i + 1
		}
	}
	return from
}

// mask is Mask at layer depth (0 for the outermost input) within the decoding budget b.
func (e *Engine) mask(src []byte, f Format, limit int, b *budget, depth int) Masked {
	if m, ok := e.container(src, limit, b, depth); ok {
		return m
	}
	raw := src
	src, enc, reason := sniff(src, limit, b)
	if reason != "" {
		return withheldWhole(reason, enc)
	}
	m := e.maskRead(src, enc, f, limit, b, depth)
	if enc == encGzip && depth > 0 && m.Withheld == "" && m.Summary.Total() > 0 {
		m.Body = regzip(m.Body) // inside a layer, written back as it came (gzip in base64)
	}
	if enc != encUTF16LEBOM && enc != encUTF16BEBOM && enc != encUTF16LE && enc != encUTF16BE {
		return m
	}
	// A byte order mark is two bytes anyone can put before text, and UTF-16 without one is
	// told by the shape of the first 128 bytes alone: the input is masked as it reads as
	// UTF-8 too, so neither can make a value unreadable to the masker alone.
	// Values in both readings cannot be masked in one body: it is withheld, unless masking
	// the UTF-16 reading masked the UTF-8 one's too (the UTF-8 reading drops the NULs of
	// ASCII in UTF-16, fold.go, so it finds the same values there). With none in either, the
	// body goes out as it came (written back, a lone surrogate would change).
	const both = "values in both its UTF-16 and its UTF-8 reading"
	if m.Summary.Total() > 0 || m.Withheld != "" {
		// The UTF-16 reading's output, read as UTF-8, must hold nothing.
		if again := e.maskRead(m.Body, "", f, limit, b, depth); again.Summary.Total() > 0 {
			return withheldWhole(both, enc)
		}
		return m
	}
	if plain := e.maskRead(raw, "", f, limit, b, depth); plain.Summary.Total() > 0 {
		return plain
	}
	m.Body = bytes.Clone(raw)
	return m
}

// withheldWhole is the outcome of masking an input withheld whole for reason.
func withheldWhole(reason, enc string) Masked {
	return Masked{Body: withheld(nil, reason), Format: FormatText, Withheld: reason, Summary: Summary{Withheld: 1},
		found: []Finding{{Detector: Withheld, Path: "", Encoding: enc}}}
}

// maskRead masks src as read by sniff (enc its encoding, "" for UTF-8).
func (e *Engine) maskRead(src []byte, enc string, f Format, limit int, b *budget, depth int) Masked {
	var m Masked
	src, m.InvalidUTF8 = validUTF8(src)
	truncated := len(src) > limit
	if truncated {
		m.CutAt = e.cutPoint(src, limit)
		src = src[:m.CutAt]
		f = FormatText
	}
	st := e.get(src)
	defer put(st)
	st.budget, st.layer = b, depth
	m.Format = st.run(f)
	m.Body, m.Summary = st.w.finish(), st.w.summary()
	m.lazy = st.capture(m.Body, m.Format, enc)
	m.Withheld = st.w.reason
	if len(st.w.tokens) > 0 {
		m.Tokens = append([]Token(nil), st.w.tokens...)
	}
	if m.Format == FormatXML && st.mixed {
		m = e.acrossMarkup(m, b, depth)
	}
	if enc == encUTF16LE || enc == encUTF16BE || enc == encUTF16LEBOM || enc == encUTF16BEBOM {
		m.Body = toUTF16(m.Body, enc)
	}
	if truncated {
		m.Body = append(m.Body, TruncatedMarker...)
		m.Truncated = true
	}
	return m
}

// acrossMarkup masks XML whose text stands on both sides of markup once more, as text: XML
// is masked a text node at a time, and a value split by an inline element, a comment or a
// CDATA section ("jane.doe<b></b>@example.com", "4111 <b>1111</b> 1111 1111") is whole
// only to the text reading, which reads across tags and writes them back. Values in
// adjacent elements join as values split over JSON scalars do.
func (e *Engine) acrossMarkup(m Masked, b *budget, depth int) Masked {
	again := e.mask(m.Body, FormatText, noCap, b, depth)
	if again.Summary.Total() == 0 {
		return m
	}
	m.found, m.lazy = append(m.Findings(), again.Findings()...), nil
	m.Body = again.Body
	if m.Summary == nil {
		m.Summary = Summary{}
	}
	for k, v := range again.Summary {
		m.Summary[k] += v
	}
	m.Tokens = append(m.Tokens, again.Tokens...)
	if m.Withheld == "" {
		m.Withheld = again.Withheld
	}
	return m
}

// run masks the state's input read as f and returns how it was read.
func (st *state) run(f Format) Format {
	src := st.w.src
	switch f {
	case FormatAuto, FormatJSON:
		if st.layer > 0 && !looksStream(src) && !looksXML(src) {
			break // a decoded layer is a document or text, never a bare JSON scalar
		}
		if st.json() == nil {
			return FormatJSON
		}
		if f == FormatAuto || looksStream(src) {
			if st.w.reset(src); st.stream() {
				return FormatNDJSON
			}
			if st.w.reset(src); looksXML(src) && st.xml() {
				return FormatXML
			}
		}
	case FormatCSV:
		if sep, _ := csvSep(src); st.csv(sep) {
			return FormatCSV
		}
	case FormatNDJSON:
		if st.stream() {
			return FormatNDJSON
		}
	case FormatXML:
		if st.xml() {
			return FormatXML
		}
	}
	// Whatever it was declared, an input that reads as CSV is masked as CSV: a target that
	// serves a CSV file as text or octet-stream must not take its column names' labels away.
	if f != FormatText && f != FormatCSV {
		if sep, ok := sniffCSV(src); ok {
			if st.w.reset(src); st.csv(sep) {
				return FormatCSV
			}
		}
	}
	st.w.reset(src)
	st.text()
	return FormatText
}

// cutPoint returns where to cut src to at most limit bytes: at the last line break, or else
// the last space, in the 4 KiB before limit, and then before any value the detectors find
// across the cut (looking up to cutLookahead bytes past it), so no value is cut in two and
// no prefix of one is left unmasked.
func (e *Engine) cutPoint(src []byte, limit int) int {
	cut := limit
	from := max(0, limit-4096)
	if i := bytes.LastIndexByte(src[from:limit], '\n'); i >= 0 {
		cut = from + i
	} else if i := bytes.LastIndexByte(src[from:limit], ' '); i >= 0 {
		cut = from + i
	}
	lo, hi := max(0, cut-cutLookahead), min(len(src), cut+cutLookahead)
	st := e.get(src[lo:hi])
	defer put(st)
	st.sc.matches = st.sc.matches[:0]
	st.sc.scan(st.w.src)
	for _, m := range st.sc.matches {
		if lo+m.start < cut && lo+m.end > cut {
			return lo + m.start
		}
	}
	return cut
}

// cutLookahead is how far past a cut the detectors look for a value the cut would split.
const cutLookahead = 8 << 10

// Apply masks src as JSON when it is valid JSON, otherwise as text. It returns a new slice
// (a copy of src when nothing was masked) and the counts of what it masked.
func (e *Engine) Apply(src []byte) ([]byte, Summary) {
	m := e.Mask(src, FormatAuto)
	return m.Body, m.Summary
}

// Text masks src as plain text.
func (e *Engine) Text(src []byte) ([]byte, Summary) {
	m := e.Mask(src, FormatText)
	return m.Body, m.Summary
}

// JSON masks src, which must be a valid JSON document: string values are scanned, integer
// number values that are card numbers (or, under a labelling key, SSNs, phone numbers,
// dates of birth and passwords) become replacement strings, keys that hold values are masked
// too and kept unique in their object (a second "[EMAIL]" key is "[EMAIL]#2"), and the
// output is valid JSON without repeated names. An invalid document is an error wrapping ErrInvalidJSON, and nothing
// is returned.
func (e *Engine) JSON(src []byte) ([]byte, Summary, error) {
	st := e.get(src)
	defer put(st)
	if err := st.json(); err != nil {
		return nil, nil, err
	}
	return st.w.finish(), st.w.summary(), nil
}

// state is the scratch space of one call; it is pooled so a call allocates only its output.
type state struct {
	eng      *Engine
	sc       scanner
	msc      scanner       // scans a string with its markup taken out (markupMatches)
	plain    []byte        // that string
	cuts     []cut         // where its runs come from
	marks    []markupMatch // the values it found across tags
	plain2   []byte        // the same two for a second reading (markupNextToValues)
	marks2   []markupMatch
	params   []byte  // it with only its escape sequences' control bytes blanked
	wrapped  []byte  // a window of it with a line break between digits as a space (wrap.go)
	wrapOffs []int32 // for each byte of wrapped (and its end), the offset it stands for
	escs     bool    // layerHits saw a backslash, percent or character escape
	unesc    []byte  // a string with its escapes decoded (unescapedMatches)
	unoffs   []int32 // where each of its bytes comes from
	unesc2   []byte  // the same, a round of decoding before or after (unescapedMatches)
	unoffs2  []int32
	redacted []byte // a string with the scanner's matches redacted (withRedactions)
	redOffs  []int32
	w        writer
	dec      []byte    // a decoded JSON string
	offs     []int32   // offs[i]: offset in the raw string of the bytes that decoded to dec[i]
	header   [][]byte  // CSV column names
	depth    int       // embedded JSON documents this state is inside of
	layer    int       // decoded layers (base64, gzip, ...) this state is inside of
	budget   *budget   // decoding budget shared by every layer of one call; nil: a fresh one
	xpath    []byte    // XML path of the element being read
	mixed    bool      // the XML read holds text on both sides of markup (xml)
	path     []segment // JSON path of the value being read
	scratch  []byte    // decoded base64 being judged
	// b64Read says the last base64 run judged decoded to text (or a compressed or archived
	// input) and was read, whether or not it held anything.
	b64Read bool
}

var pool = sync.Pool{New: func() any { return new(state) }}

func (e *Engine) get(src []byte) *state {
	st := pool.Get().(*state)
	st.eng = e
	for d := range st.sc.enabled {
		st.sc.enabled[d] = e.modes[d] != ModeOff
	}
	st.sc.allow, st.sc.regions = e.allowSecrets, e.regions
	st.sc.setKey(nil)
	st.w.eng = e
	st.w.reset(src)
	st.depth, st.layer, st.budget = 0, 0, nil
	st.xpath, st.path = st.xpath[:0], st.path[:0]
	st.w.path = &st.path
	return st
}

func put(st *state) {
	st.eng, st.w.src, st.w.out, st.sc.src, st.sc.key, st.w.eng, st.w.tokens = nil, nil, nil, nil, nil, nil, nil
	st.msc.src, st.msc.key = nil, nil
	if cap(st.plain) > maxPooledBuffer || cap(st.cuts) > maxPooledBuffer/8 || cap(st.marks) > maxPooledBuffer/32 {
		st.plain, st.cuts, st.marks = nil, nil, nil
	}
	if cap(st.plain2) > maxPooledBuffer || cap(st.marks2) > maxPooledBuffer/32 {
		st.plain2, st.marks2 = nil, nil
	}
	clear(st.marks[:cap(st.marks)])
	clear(st.marks2[:cap(st.marks2)])
	if cap(st.msc.matches) > maxPooledBuffer/16 || cap(st.msc.groups) > maxPooledBuffer/16 {
		st.msc.matches, st.msc.groups = nil, nil
	}
	st.w.spare = nil
	st.budget = nil
	if cap(st.w.finds) > maxPooledFindings || cap(st.w.segs) > 4*maxPooledFindings {
		st.w.finds, st.w.segs = nil, nil
	}
	clear(st.w.notes)
	st.w.notes = st.w.notes[:0]
	clear(st.header)
	st.header = st.header[:0]
	if cap(st.scratch) > maxPooledBuffer {
		st.scratch = nil
	}
	if cap(st.dec) > maxPooledBuffer {
		st.dec, st.offs = nil, nil
	}
	if cap(st.sc.matches) > maxPooledBuffer/16 || cap(st.sc.groups) > maxPooledBuffer/16 {
		st.sc.matches, st.sc.groups = nil, nil
	}
	pool.Put(st)
}

// maxPooledBuffer bounds the scratch buffers a pooled state keeps between calls.
const maxPooledBuffer = 64 << 10

// maxPooledFindings bounds the findings a pooled state keeps room for between calls (a
// finding is 28 bytes).
const maxPooledFindings = 1 << 16

// text masks the whole input as text.
func (st *state) text() {
	st.sc.matches = st.sc.matches[:0]
	st.sc.setKey(nil) // with no key, scanValue is the plain scan
	st.scanRaw(0, len(st.w.src))
}

// scanRaw scans the value src[start:end] as it stands (scanValue: the scanner's key is set)
// and writes its replacements, reading a folded copy when it holds other spellings.
func (st *state) scanRaw(start, end int) {
	v := st.w.src[start:end]
	if f, offs, ok := fold(v, nil, len(v)); ok {
		st.dec, st.offs = f, offs
		st.sc.scanValue(f)
		st.emit(f, offs, start)
		return
	}
	st.sc.scanValue(v)
	st.emit(v, nil, start)
}

// writer builds the output lazily: nothing is copied until the first replacement.
type writer struct {
	src     []byte
	out     []byte
	last    int // src[:last] has been written to out
	counts  [numDetectors]int
	eng     *Engine
	tokens  []Token // tokens minted by this call
	finds   []rawFinding
	notes   []note
	segs    []segment  // the JSON paths of the findings, one after another
	path    *[]segment // the JSON path being read
	loc     location   // where the values being scanned are
	held    int        // parts withheld
	reason  string     // why the first part was withheld
	spare   []byte     // room the output may start in (the caller's buffer), or nil
	jsonStr bool       // a JSON string is being masked: what a layer writes back is escaped
	hashState
}

// reset starts a new output over src, keeping the keyed hash for reuse.
func (w *writer) reset(src []byte) {
	*w = writer{src: src, eng: w.eng, path: w.path, hashState: w.hashState,
		finds: w.finds[:0], segs: w.segs[:0], notes: w.notes[:0]} // kept: findings are copied out
	if w.path != nil {
		*w.path = (*w.path)[:0]
	}
}

// replace writes src[last:start], then the replacement of value (detected by det; as a
// JSON string when quote is set), and skips src[start:end].
func (w *writer) replace(start, end int, det detector, quote bool, value []byte) {
	w.copyTo(start)
	if quote {
		w.out = append(w.out, '"')
	}
	w.finds = append(w.finds, w.finding(len(w.out), det))
	w.out = w.render(w.out, det, value)
	if quote {
		w.out = append(w.out, '"')
	}
	w.last = end
	w.counts[det]++
}

// copyTo writes src[last:end] to the output, starting the output at the first change, and
// returns the output's length.
func (w *writer) copyTo(end int) int {
	if w.out == nil {
		if n := len(w.src) + len(w.src)/8 + 32; cap(w.spare) >= n {
			w.out = w.spare[:0]
		} else {
			w.out = make([]byte, 0, n)
		}
	}
	w.out = append(w.out, w.src[w.last:end]...)
	w.last = end
	return len(w.out)
}

func (w *writer) finish() []byte {
	if w.out == nil {
		return bytes.Clone(w.src)
	}
	return append(w.out, w.src[w.last:]...)
}

func (w *writer) summary() Summary {
	s := make(Summary, 2)
	for d, n := range w.counts {
		if n > 0 {
			s[names[d]] = n
		}
	}
	if w.held > 0 {
		s[Withheld] = w.held
	}
	return s
}

// syntaxError reports invalid JSON at offset off.
func syntaxError(off int) error {
	return fmt.Errorf("%w: offset %d", ErrInvalidJSON, off)
}
