package mask

import (
	"bytes"
	"cmp"
	"slices"
)

// This file reads values split by markup: "4111 <b>1111</b> 1111 1111" or
// "hunt<span>er2</span>" is one value to a reader of the rendered page, and the text scanner,
// which sees the tags, finds none. The same holds for a terminal's escape sequences
// ("\x1b[1m4111\x1b[0m 1111 ...") and for Markdown's emphasis and code delimiters around
// digits ("4111 **1111** 1111 1111", "4111 `1111` ..."), which are inline markup too. A
// scanned string holding a tag is scanned a second time with its tags taken out: an inline
// tag (b, span, a, an unknown one), a comment, an escape sequence or a delimiter is removed,
// a block tag (p, td, br, li ...) reads as a space, as a browser lays it out, and white space
// and block tags one after another as one space. A
// match of that reading that covers a tag is masked whole in the string (the value's text
// in every part of it), and the tags inside it are written back, so the markup keeps its
// shape: "<b>[CARD]</b>".

// markupMatch is a value found across tags: its span in the scanned string, its detector and
// its text as read without the tags.
type markupMatch struct {
	start, end int
	det        detector
	value      []byte
	unescaped  bool // found with escapes decoded (unescapedMatches), not across tags
}

// maxTag is the longest tag (or comment) read as markup; a '<' with no '>' within it is text.
const maxTag = 1024

// tagAt returns the end of the tag or comment starting at s[i] ('<'), and whether it is a
// block tag, or 0 when s[i] starts none: a tag is '<', an optional '/' or '!', a name (a
// letter or '_', then letters, digits, '-', '_', '.' and ':', as XML names are written:
// "<db_password>", "<ns:apiKey>") ended by white space, '/' or '>', then anything up to '>'
// but another '<'.
func tagAt(s []byte, i int) (end int, block bool) {
	if s[i] == 0x1B {
		if n := escSeq(s, i); n > 0 {
			return i + n, false
		}
		return 0, false
	}
	if i+2 >= len(s) {
		return 0, false
	}
	if bytes.HasPrefix(s[i:], cdataOpen) {
		return i + len(cdataOpen), false
	}
	if bytes.HasPrefix(s[i:], []byte("<!--")) {
		k := bytes.Index(s[i+4:min(len(s), i+maxTag)], []byte("-->"))
		if k < 0 {
			return 0, false
		}
		return i + 4 + k + 3, false
	}
	n := i + 1
	if s[n] == '/' || s[n] == '!' {
		n++
	}
	if n >= len(s) || !isLetter(s[n]) && s[n] != '_' {
		return 0, false
	}
	ne := n
	for ne < len(s) && (isLetter(s[ne]) || isDigit(s[ne]) || s[ne] == '_' || (ne > n && (s[ne] == '-' || s[ne] == '.' || s[ne] == ':'))) {
		ne++
	}
	if ne >= len(s) || (s[ne] != '>' && s[ne] != '/' && !isSpace(s[ne])) {
		return 0, false // "<A0@example.com>" is an address in brackets, not a tag
	}
	for k := ne; k < len(s) && k-i < maxTag; k++ {
		switch s[k] {
		case '>':
			return k + 1, blockTag(s[n:ne])
		case '<':
			return 0, false
		}
	}
	return 0, false
}

// cdataOpen starts an XML CDATA section, which reads as an inline tag: a value split over
// two sections ("<![CDATA[4111 1111]]><![CDATA[ 1111 1111]]>") is one to an XML reader.
var cdataOpen, cdataClose = []byte("<![CDATA["), []byte("]]>")

// markupStart is where the tag at s[i] starts with the end of a CDATA section right before
// it ("]]><![CDATA[", "]]></p>"), which is markup too, and not before last.
func markupStart(s []byte, i, last int) int {
	if s[i] == '<' && i-3 >= last && string(s[i-3:i]) == "]]>" {
		return i - 3
	}
	return i
}

// blockTags are the HTML elements a browser lays out apart from the text around them.
var blockTags = [...]string{"address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "div", "dl",
	"dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header",
	"hr", "html", "li", "main", "nav", "ol", "option", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th",
	"thead", "title", "tr", "ul"}

func blockTag(name []byte) bool { return blockTagSet.hasFold(name) }

var blockTagSet = newWordSet(blockTags[:])

// markupMatches scans s with its tags (escape sequences and delimiters too) taken out and
// returns the matches that cover a tag, in the coordinates of s. It returns nothing for a
// string with no tag, and leaves st.cuts empty when it took no markup out. The values it
// returns are valid until the next call.
func (st *state) markupMatches(s []byte) []markupMatch {
	emph := st.sc.emph
	first, esc := bytes.IndexByte(s, '<'), bytes.IndexByte(s, 0x1B)
	if first < 0 || (esc >= 0 && esc < first) {
		first = esc
	}
	if emph {
		first = nextMarkupOrEmph(s, 0)
	}
	if first < 0 {
		st.cuts = st.cuts[:0] // no markup taken out
		return nil
	}
	// plain is s without its tags; cuts map it back: plain[c.plain:] comes from s[c.orig:]
	// up to the next cut.
	if cap(st.plain) < len(s) {
		st.plain = make([]byte, 0, len(s))
	}
	plain, cuts := st.plain[:0], st.cuts[:0]
	last := 0
	out := st.marks[:0]
	open, openEnd := []byte(nil), 0 // the last start tag's name and end
	escs := false                   // a terminal's escape sequence was taken out
	closer, closerEnd := -1, 0      // the delimiters that close the last emphasis opened
	// A CDATA section's end is markup wherever it stands after a section opened, not only
	// before a tag: "<![CDATA[4111 1111]]> 1111 1111" is one text to an XML reader.
	cdata := bytes.Index(s, cdataOpen)
	cdataEnd := -1 // the next "]]>" from where the search last looked
	for i := first; i < len(s); {
		if s[i] != '<' && s[i] != 0x1B && !(emph && emphByte[s[i]]) && !(cdata >= 0 && i == cdataEnd) {
			from := i + 1
			if emph {
				i = nextMarkupOrEmph(s, from)
			} else {
				i = nextMarkup(s, from, &esc)
			}
			if cdata >= 0 && cdataEnd < from {
				if cdataEnd = bytes.Index(s[from:], cdataClose); cdataEnd >= 0 {
					cdataEnd += from
				}
			}
			if cdata >= 0 && cdataEnd > cdata && (i < 0 || cdataEnd < i) {
				i = cdataEnd
			}
			if i < 0 {
				break
			}
			continue
		}
		var end int
		var block bool
		switch {
		case cdata >= 0 && i == cdataEnd && cdataEnd > cdata:
			end = i + len(cdataClose)
		case !emphByte[s[i]]:
			end, block = tagAt(s, i)
		case i == closer:
			end, closer = closerEnd, -1
		default:
			if oe, cs, ce, ok := emphPair(s, i); ok && closer < 0 {
				end, closer, closerEnd = oe, cs, ce
			}
		}
		if end == 0 {
			i++
			continue
		}
		if len(cuts) == 0 {
			cuts = append(cuts, cut{0, 0})
		}
		ts := markupStart(s, i, last)
		plain = append(plain, s[last:ts]...)
		if block && len(plain) > 0 && !isSpace(plain[len(plain)-1]) {
			cuts = append(cuts, cut{int32(len(plain)), int32(ts)})
			plain = append(plain, ' ') // "</td><td>" is one space, as white space collapses
		}
		// An element's text under a secret label: <apiToken>\n    ...\n</apiToken>
		if s[i] == ']' {
			// The end of a CDATA section ends no element.
		} else if s[i] == 0x1B {
			escs = true // a terminal's escape sequence ends no element
		} else if emphByte[s[i]] {
			// Nor does an emphasis delimiter.
		} else if name, closing := tagName(s[i:end]); closing && open != nil && bytes.EqualFold(name, open) {
			if m, ok := st.elementValue(s, name, openEnd, i); ok {
				out = append(out, m)
			}
			open = nil
		} else if !closing && name != nil && s[end-2] != '/' {
			open, openEnd = name, end
		} else {
			open = nil
		}
		i, last = end, end
		cuts = append(cuts, cut{int32(len(plain)), int32(end)})
	}
	st.plain, st.cuts = plain, cuts
	if len(cuts) == 0 {
		return nil
	}
	plain = append(plain, s[last:]...)
	st.plain = plain

	for _, m := range st.scanAgain(plain) {
		// Values with no tag inside are kept too: where a value across tags took the first
		// group of a run ("0100<td>000000 01000 00000"), the rest of the run reads as one
		// more here, and the scan of s, which saw the run whole, found none; masked alone,
		// the first would leave the second for a second pass.
		start, end := origin(cuts, m.start), origin(cuts, m.end-1)+1
		out = append(out, markupMatch{start, end, m.det, plain[m.start:m.end], false})
	}
	// Addresses spelled across tags ("<b>bob</b> [at] example [dot] com"): the layers read
	// them in the string as written, where the tags break them.
	st.eachSpelled(plain, func(ps, pe int, addr []byte) {
		out = append(out, markupMatch{origin(cuts, ps), origin(cuts, pe-1) + 1, detEmail, addr, false})
	})
	if escs {
		out = st.escParams(s, out)
	}
	st.marks = out
	return out
}

// markupNextToValues reads s across its tags once more with the values the scan found as
// written as their redactions and its encoded or spelled runs (hits) as they were masked, as
// masking the output again reads it: a value found as written
// ends a run of digits the first reading judged whole ("ssn10010001<![CDATA[411111111111111
// <A0000>1": once the number after "ssn" is masked, the card across the tag reads whole). It
// appends what it finds apart from out, the first reading's matches, to a copy of out.
func (st *state) markupNextToValues(s []byte, out []markupMatch, hits []hit) []markupMatch {
	glued := gluedAcross(s, out)
	if len(st.sc.matches) == 0 && len(hits) == 0 && !glued {
		return out
	}
	// Markup is a tag, an escape sequence or (with emphasis seen) a delimiter; one the first
	// reading did not take may read as markup beside a redaction: "123456789**4111**" holds
	// no emphasis, "[SSN]**4111**" does.
	if !st.sc.emph && bytes.IndexByte(s, '<') < 0 && bytes.IndexByte(s, 0x1B) < 0 {
		return out
	}
	n := len(out)
	ms := st.sc.matches
	if glued {
		// A value this reading found glued to letters or digits ("bob <b>@example.com200
		// <td>200 0000") is redacted too: the digits after it start a number of their own.
		ms = make([]match, 0, len(ms)+n)
		ms = append(ms, st.sc.matches...)
		for _, m := range out {
			ms = append(ms, match{m.start, m.end, m.det})
		}
		slices.SortStableFunc(ms, func(x, y match) int { return cmp.Compare(x.start, y.start) })
	}
	red, redOffs := st.withRedactions(s, ms, hits)
	second, _ := st.markupAside(red)
	for _, m := range second {
		start, end := int(redOffs[m.start]), spanEnd(redOffs, m.end)
		out = append(out, markupMatch{start, end, m.det, m.value, m.unescaped})
	}
	out = keepApart(out, 0, n)
	// What this reading keeps may stand in the string with redactions, which the readings
	// after it build again.
	for i := n; i < len(out); i++ {
		out[i].value = bytes.Clone(out[i].value)
	}
	st.marks = out
	return out
}

// gluedAcross reports whether a value read across tags (ms) ends glued to a letter or a
// digit, or to a tag: what follows it may read otherwise once it is redacted.
func gluedAcross(s []byte, ms []markupMatch) bool {
	for _, m := range ms {
		if m.end < len(s) && (alnum(s[m.end]) || s[m.end] == '<') {
			return true
		}
	}
	return false
}

// valuesNextToHits reads s once more with the scan's values and the layers' runs (hits) as
// they were masked, as masking the output again reads it, when a run is glued to a letter or
// a digit ("bob[at]example[dot]com4111 1111 1111 1111": once the spelled address is masked,
// the card glued to it starts a run of its own, where the scan of s read "com4111" as one
// word). It appends what it finds apart from out, the readings' matches so far.
func (st *state) valuesNextToHits(s []byte, out []markupMatch, hits []hit) []markupMatch {
	glued := false
	for i := range hits {
		h := &hits[i]
		if !h.gone && (h.end < len(s) && (alnum(s[h.end]) || joiner(s, h.end)) || h.start > 0 && alnum(s[h.start-1])) {
			glued = true
			break
		}
	}
	if !glued {
		return out
	}
	n := len(out)
	red, redOffs := st.withRedactions(s, st.sc.matches, hits)
	for _, m := range st.scanAgain(red) {
		out = append(out, markupMatch{int(redOffs[m.start]), spanEnd(redOffs, m.end), m.det, bytes.Clone(red[m.start:m.end]), false})
	}
	out = keepApart(out, 0, n)
	st.marks = out
	return out
}

func alnum(c byte) bool { return isDigit(c) || isLetter(c) }

// joiner reports whether s[i] is a punctuation byte that joins a number after it, or a
// parenthesized one, to what stands before ("[EMAIL].4111…", "[EMAIL](415) 555-0132",
// "[EMAIL]+(415) …").
func joiner(s []byte, i int) bool {
	c := s[i]
	if c <= ' ' || c >= 0x7F || alnum(c) {
		return false
	}
	n := i + 1
	if c != '(' && n < len(s) && s[n] == '(' {
		n++
	}
	return n < len(s) && isDigit(s[n])
}

// markupAside reads s across its markup as markupMatches does, into the spare pair of
// buffers: the first reading's matches and values stay in theirs. What it returns is valid
// until the next call; took is true when s held markup it took out.
func (st *state) markupAside(s []byte) (_ []markupMatch, took bool) {
	plain, marks := st.plain, st.marks
	st.plain, st.marks = st.plain2, st.marks2
	second := st.markupMatches(s)
	st.plain2, st.marks2 = st.plain, st.marks
	st.plain, st.marks = plain, marks
	return second, len(st.cuts) > 0
}

// scanAgain scans another reading of the string being scanned (without its tags, with its
// escapes decoded) with a second scanner set as the first is, and returns its matches.
func (st *state) scanAgain(s []byte) []match {
	sc := &st.msc
	sc.enabled, sc.allow, sc.regions = st.sc.enabled, st.sc.allow, st.sc.regions
	sc.setKey(st.sc.key)
	sc.matches = sc.matches[:0]
	sc.scanValue(s)
	return sc.matches
}

// escParams scans s a third time with only the control bytes of its escape sequences blanked
// (the ESC, the '[' or ']', the final byte or terminator), which keeps the parameters
// ("\x1b[4111;1111;1111;1111m"): a reader sees them, and the reading without the sequences
// does not. It appends the matches to out.
func (st *state) escParams(s []byte, out []markupMatch) []markupMatch {
	params := append(st.params[:0], s...)
	for i := 0; i < len(params); i++ {
		n := escSeq(s, i)
		if n == 0 {
			continue
		}
		params[i], params[i+1] = ' ', ' '
		end := i + n - 1
		if s[i+1] == ']' && s[end] == '\\' {
			params[end-1] = ' '
		}
		params[end] = ' '
		i = end
	}
	st.params = params
	for _, m := range st.scanAgain(params) {
		// Copied: a second reading of the string (markupNextToValues) blanks params again.
		out = append(out, markupMatch{m.start, m.end, m.det, bytes.Clone(params[m.start:m.end]), false})
	}
	return out
}

// nextMarkup returns the index of the next '<' or ESC in s from s[from], or -1; *esc caches
// the next ESC's (-1 for none left).
func nextMarkup(s []byte, from int, esc *int) int {
	if *esc >= 0 && *esc < from {
		if *esc = bytes.IndexByte(s[from:], 0x1B); *esc >= 0 {
			*esc += from
		}
	}
	lt := bytes.IndexByte(s[from:], '<')
	if lt >= 0 {
		lt += from
	}
	switch {
	case lt < 0:
		return *esc
	case *esc >= 0 && *esc < lt:
		return *esc
	}
	return lt
}

// emphByte marks Markdown's emphasis, strikethrough and code delimiters.
var emphByte = [256]bool{'*': true, '_': true, '~': true, '`': true}

// emphPair returns the delimiter pair that opens at s[i], as Markdown reads emphasis,
// strikethrough and code: one to three of the same delimiter byte not after a delimiter,
// then digits or letters (with spaces, dashes, dots or slashes between them), then the same
// delimiters not before a delimiter ("**1111**", "_05_", "`4111 1111`", "ex**am**ple").
// '_' is markup only between words: not after or before a letter or digit, and around digits
// only ("snake_case_1" and "ex_am_ple" render as written); '*', '~' and '`' are markup inside
// a word too ("4111**1111**…", "bob@ex**am**ple.com"), after a '_' too ("ghp_**…"). It returns
// where the opener ends and where the closer starts and ends.
func emphPair(s []byte, i int) (openEnd, closeStart, closeEnd int, ok bool) {
	d := s[i]
	under := d == '_'
	if i > 0 && (emphByte[s[i-1]] && (under || s[i-1] != '_') || under && alnumSet[s[i-1]]) {
		return 0, 0, 0, false
	}
	e := i + 1
	for e < len(s) && s[e] == d {
		e++
	}
	if e-i > 3 || e >= len(s) || !isDigit(s[e]) && (under || !isLetter(s[e])) {
		return 0, 0, 0, false
	}
	for c := e; c < len(s) && c-e <= maxEmphasized; c++ {
		switch x := s[c]; {
		case isDigit(x), x == ' ', x == '-', x == '.', x == '/', isLetter(x) && !under:
			continue
		case x == d && alnumSet[s[c-1]]:
			ce := c + e - i
			if ce > len(s) || !bytes.Equal(s[c:ce], s[i:e]) || (ce < len(s) && (emphByte[s[ce]] || under && alnumSet[s[ce]])) {
				return 0, 0, 0, false
			}
			return e, c, ce, true
		}
		return 0, 0, 0, false
	}
	return 0, 0, 0, false
}

// maxEmphasized bounds the digits and separators between a delimiter pair.
const maxEmphasized = 64

// intrawordEmph reports whether s holds a run of '*', '~' or '`' inside a word, a letter,
// digit, '_', '@' or '.' right before it and a letter or digit right after it ("W**EST**",
// "AKIA…**X4RT**…", "ghp_**…", "bob@**example**.com", "example.**com**"): markup to a
// Markdown renderer, and read as such. Between words ("use **bold** here") a run starts
// markupMatches' reading only before digits (emphAround), so Markdown prose is not read
// twice for it.
func intrawordEmph(s []byte) bool {
	for _, d := range [...]byte{'*', '~', '`'} {
		for i := 0; i < len(s); {
			k := bytes.IndexByte(s[i:], d)
			if k < 0 {
				break
			}
			k += i
			e := k + 1
			for e < len(s) && s[e] == d {
				e++
			}
			if k > 0 && e < len(s) && alnumSet[s[e]] {
				if b := s[k-1]; alnumSet[b] || b == '_' || b == '@' || b == '.' {
					return true
				}
			}
			i = e
		}
	}
	return false
}

// emphAround reports whether the digits starting at s[i] follow an emphasis delimiter, as
// the digits in a pair emphPair takes do.
func emphAround(s []byte, i int) bool { return i > 0 && emphByte[s[i-1]] }

// nextMarkupOrEmph returns the index of the next '<', ESC or delimiter byte in s from
// s[from], or -1.
func nextMarkupOrEmph(s []byte, from int) int {
	for i := from; i < len(s); i++ {
		if c := s[i]; c == '<' || c == 0x1B || emphByte[c] {
			return i
		}
	}
	return -1
}

// tagName returns the name of the tag t (a whole tag as tagAt finds it) and whether it is an
// end tag; no name for a comment or a declaration.
func tagName(t []byte) (name []byte, closing bool) {
	n := 1
	if t[n] == '!' {
		return nil, false
	}
	if t[n] == '/' {
		closing = true
		n++
	}
	e := n
	for e < len(t) && (isLetter(t[e]) || isDigit(t[e]) || t[e] == '-' || t[e] == '_' || t[e] == '.' || t[e] == ':') {
		e++
	}
	return t[n:e], closing
}

// elementValue judges the text s[from:to] of an element named name (its white space around
// it trimmed) as the value of that label, as an XML reader would ("<apiToken> ... </apiToken>"
// in text that is not read as XML).
func (st *state) elementValue(s, name []byte, from, to int) (markupMatch, bool) {
	for from < to && isSpace(s[from]) {
		from++
	}
	for to > from && isSpace(s[to-1]) {
		to--
	}
	if from == to || to-from > maxSecretValue || bytes.IndexByte(s[from:to], '\n') >= 0 {
		return markupMatch{}, false
	}
	kind := secretLabel(name)
	if kind == lblNone {
		return markupMatch{}, false
	}
	d, ok := judge(kind, s[from:to], &st.sc.enabled)
	return markupMatch{from, to, d, s[from:to], false}, ok
}

// cut is where a run of plain text starts, in the text without tags and in the string.
type cut struct{ plain, orig int32 }

// origin returns the offset in the string of byte k of the text without its tags.
func origin(cuts []cut, k int) int {
	lo, hi := 0, len(cuts) // the last cut at or before k
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if int(cuts[mid].plain) <= k {
			lo = mid
		} else {
			hi = mid
		}
	}
	c := cuts[lo]
	return int(c.orig) + k - int(c.plain)
}

// writeTags writes back the tags (comments, CDATA markers) of s[start:end], the raw bytes of each, after
// the replacement of a value found across them.
func (st *state) writeTags(s []byte, start, end int, offs []int32, base int) {
	last := start
	for i := start; i < end; {
		e := 0
		switch {
		case s[i] == ']' && bytes.HasPrefix(s[i:], cdataClose) && bytes.Contains(s[:i], cdataOpen):
			e = i + len(cdataClose) // a CDATA section's end: the document after it stays XML
		case s[i] == '<' || s[i] == 0x1B:
			e, _ = tagAt(s, i)
		}
		if e == 0 || e > end {
			i++
			continue
		}
		rs, re := st.rawSpan(markupStart(s, i, last), e, offs, base)
		st.w.out = append(st.w.out, st.w.src[rs:re]...)
		i, last = e, e
	}
}
