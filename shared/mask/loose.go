package mask

import "bytes"

// This file reads a value's digit groups joined by a separator it is not printed with: any
// ASCII punctuation or white space, up to maxLooseSep bytes (maxLooseSpace of white space
// alone), the same every time ("4111_1111_1111_1111", "4111/1111/1111/1111", "4111 - 1111
// - …", one group per line, indented or not, "4 1 1 1 …"). Where a value can be re-spelt by whoever prints it (a query's string
// functions, a template), it is read as one spelling: its digits. A run is judged whole; when
// it is no value, each longest stretch of groups of one size in it is (a number written
// before or after the value, "1/4111/1111/1111/1111", does not hide it), so a list or a column
// of same-size numbers never lends a window of itself to a value. Runs are asked of this only
// when the printed spellings matched nothing in them.

// maxLooseSep is the longest separator read between groups: ", ", " - ", "\r\n".
const maxLooseSep = 3

// maxLooseSpace is the longest separator of white space alone read between groups: a line
// break and the indentation after it ("4111\n      1111\n      …"), spaces between columns.
const maxLooseSpace = 16

// sepEnd returns the end of the separator starting at s[k] that loose reads, k for none: up
// to maxLooseSep bytes of looseSep, or maxLooseSpace of white space.
func sepEnd(s []byte, k int) int {
	m, space := k, true
	for m < len(s) && m-k < maxLooseSpace && looseSep[s[m]] {
		space = space && isSpace(s[m])
		if !space && m-k >= maxLooseSep {
			return k
		}
		m++
	}
	if m < len(s) && looseSep[s[m]] {
		return k // longer than any separator read
	}
	return m
}

// maxLooseGroups bounds the groups of one run read here; a longer run is a list.
const maxLooseGroups = 256

// maxLooseGroup is the longest group after the first that a value's groups hold (a card's
// printed groups after the first are 3 to 9 digits). A run ends before a longer number and
// before digits that start an address's local part, as it ends at the redaction each
// becomes, so a second pass reads what the first did.
const maxLooseGroup = 9

// looseSep marks the bytes a separator is made of.
var looseSep = func() (t [256]bool) {
	for c := 0; c < 0x7F; c++ {
		t[c] = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c > ' ' && !isLetter(byte(c)) && !isDigit(byte(c))
	}
	return t
}()

// mayBeLoose reports whether the run parseRun read (sc.groups), which matched nothing, may
// be one loose reads: one that goes on after its first group with another separator, or a
// printed one joining groups of one size of at most eight digits, 12 to 19 in all (what
// loose takes with a printed separator), so most runs are not read twice.
func (sc *scanner) mayBeLoose(s []byte, k int) bool {
	gs := sc.groups
	if n := len(gs); n > 1 && localPartAt(s, gs[n-1].ds) {
		gs, k = gs[:n-1], gs[n-2].de // an address's local part, which loose leaves out of the run
	}
	if len(gs) == 1 {
		return sepThenDigit(s, k)
	}
	if sepThenDigit(s, gs[len(gs)-1].de) {
		return true // "00 44 - 20 - 7946 - 0958", "4111 1111 - 1111 1111": the run goes on with another separator
	}
	for n := 2; n < len(gs); n++ {
		if gs[n].sep != gs[1].sep && !gs[n].paren && !gs[n-1].paren {
			return true // "4111 1111-1111-1111": its separators change (mixedRun)
		}
	}
	if gs[len(gs)-1].de-gs[0].ds < cardMinDigits {
		return false // fewer digits than a card has, separators and all
	}
	size, total := gs[0].len(), 0
	for n := range gs {
		g := &gs[n]
		if g.paren || n > 0 && (g.sep != gs[1].sep || g.len() > size || g.len() < size && n < len(gs)-1) {
			return false
		}
		total += g.len()
	}
	return size <= 8 && total >= cardMinDigits && total <= cardMaxDigits
}

// localPartAt reports whether s[i] starts the local part of an address the email detector
// reads ("0@x.org", "0A@x.org", "0!@x.org") or the layers read spelled ("0 @x.org",
// "0 [at] x [dot] org", spelledAddress).
func localPartAt(s []byte, i int) bool {
	_, ok := addressAt(s, i)
	return ok
}

// addressAt returns the end of the address whose local part starts at s[i], as localPartAt
// reads it.
func addressAt(s []byte, i int) (int, bool) {
	for j := i; j < len(s) && j-i <= emailMaxLocal; j++ {
		switch c := s[j]; {
		case c == '@' && (j == i || s[j-1] != ' ') && (j+1 == len(s) || s[j+1] != ' '):
			start, end, ok := email(s, j, i)
			return end, ok && start == i
		case c == ' ' || c == '@' || c == '[' || c == '(' || c == '{' || c == '<':
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			if n := bracketed(s, k, "dot", '.'); n > 0 {
				j = k + n - 1 // a spelled dot inside the local part ("00[dot]0 AT …"): read on
				continue
			}
			start, end, _, ok := spelled(s, k, i)
			return end, ok && start == i
		case c < ' ' || c == '"':
			return 0, false
		}
	}
	return 0, false
}

// gluedOn reports whether the group ending at s[e] goes on with punctuation other than the
// run's separator and a digit ("...\n4444\n4111/11111111/1111"): digits a printed spelling
// may take into a value of its own, or not.
func gluedOn(s []byte, e int, sep []byte) bool {
	if e+1 >= len(s) || !isDigit(s[e+1]) || s[e] == sep[0] {
		return false
	}
	c := s[e]
	return looseSep[c] && c != ' ' && c != '\t' && c != '\n' && c != '\r'
}

// sepThenDigit reports whether a separator (sepEnd) and a digit follow
// s[k]: whether a loose run may go on after a group ending there.
func sepThenDigit(s []byte, k int) bool {
	m := sepEnd(s, k)
	return m > k && m < len(s) && isDigit(s[m])
}

// digitSpan is a digit group of a loose run.
type digitSpan struct{ s, e int }

// loose reads the run whose first group is the digits s[i:k], records what it matches and
// returns where scanning resumes: after the last match, or at end when it matched nothing.
func (sc *scanner) loose(s []byte, i, k, end int, floor *int) int {
	if i < *floor || k-i > cardMaxDigits || k+1 >= len(s) || !looseSep[s[k]] || (i > *floor && wordByte[s[i-1]] && !gluedLabel(s, i, *floor)) {
		return end
	}
	m := sepEnd(s, k)
	if m == k || m == len(s) || !isDigit(s[m]) {
		return end
	}
	sep := s[k:m]
	if p := i - len(sep); p > *floor && bytes.Equal(s[p:i], sep) && isDigit(s[p-1]) {
		return end // inside a run that started before (and is no match)
	}
	// A call prefix alone ("00", "011") may stand apart from the country code by a separator
	// of its own ("00 44 - 20 - 7946 - 0958"): the run's is the one after the country code.
	prefixed := false
	if callPrefix(s[i:k]) == k-i {
		e := m
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		if n := sepEnd(s, e); e-m <= 3 && n > e && n < len(s) && isDigit(s[n]) && !bytes.Equal(s[e:n], sep) {
			sep, prefixed = s[e:n], true
		}
	}
	gs := sc.spans[:0]
	for j := i; len(gs) < maxLooseGroups; {
		e := j
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		if len(gs) > 0 && (e-j > maxLooseGroup || localPartAt(s, j)) {
			// A longer number is one of its own, which no spelling here splits; digits that
			// start an address's local part ("0@", "0A@") go with its redaction.
			break
		}
		gs = append(gs, digitSpan{j, e})
		if prefixed && len(gs) == 1 {
			j = m
			continue
		}
		if e+len(sep) < len(s) && bytes.Equal(s[e:e+len(sep)], sep) && isDigit(s[e+len(sep)]) {
			j = e + len(sep)
			continue
		}
		break
	}
	sc.spans = gs
	last := gs[len(gs)-1].e
	if len(gs) == maxLooseGroups {
		return end
	}
	if last < len(s) && wordByte[s[last]] {
		// The run by one separator ends in a word ("4111 1111_1111_1111": the '_' after
		// the second group); with its separators mixed it may not.
		if sepThenDigit(s, last) {
			if resume, ok := sc.mixedRun(s, i, floor); ok {
				return resume
			}
		}
		return end
	}
	if resume, ok := sc.judgeRun(s, i, gs, sep, floor); ok {
		return resume
	}
	// A last group that other punctuation joins on may be the start of a value of its own
	// ("4111/11111111/1111"), whose redaction would end the run before it: the run without
	// it is judged too, so a second pass reads what this one did.
	// So is a last group a printed value starts with ("...\n4444\n41119 11111111").
	if len(gs) > 2 && (gluedOn(s, last, sep) || sep[0] != ' ' && last+1 < len(s) && s[last] == ' ' && isDigit(s[last+1]) && sc.printedFrom(s, gs[len(gs)-1].s, *floor)) {
		if resume, ok := sc.judgeRun(s, i, gs[:len(gs)-1], sep, floor); ok {
			return resume
		}
	}
	// Another separator and a digit after the run: it may go on with its separators mixed.
	if sepThenDigit(s, last) {
		if resume, ok := sc.mixedRun(s, i, floor); ok {
			return resume
		}
	}
	return end
}

// mixedSep reports whether sep may join the groups of a run of mixed separators: not a
// blank line, which ends a paragraph and what is in it, nor a backslash, which starts an
// escape ("111\2001"), the escaped reading's.
func mixedSep(sep []byte) bool {
	lines := 0
	for _, c := range sep {
		if c == '\\' {
			return false
		}
		if c == '\n' {
			lines++
		}
	}
	return lines < 2
}

// spelledAtIn reports whether w holds "at" as a word of its own or in brackets ("0 AT x",
// "0 [at] x"), as a spelled address writes its '@'.
func spelledAtIn(w []byte) bool {
	for k := 1; k+2 < len(w); k++ {
		if (w[k] == 'a' || w[k] == 'A') && (w[k+1] == 't' || w[k+1] == 'T') && !isLetter(w[k-1]) && !isLetter(w[k+2]) {
			return true
		}
	}
	return false
}

// maxMixedGroups bounds the groups of a run of mixed separators: a card is printed in five
// at most, an international number in six or seven.
const maxMixedGroups = 7

// minMixedDigits is the fewest digits of a value mixedValue takes: an international number
// after its country code's sign (e164MinDigits).
const minMixedDigits = e164MinDigits

// mixedRun reads the groups at s[i] joined by separators of any mix, each of at most
// maxLooseSep bytes ("4111 1111 - 1111 1111", "415-555 0132"), when the reading by one
// separator found nothing, and judges them whole: an international number after '+' or a
// call prefix, a NANP phone number (3-3-4), an SSN (3-2-4) under its label, or a card in a
// card's groups. It records what it finds and returns its end.
func (sc *scanner) mixedRun(s []byte, i int, floor *int) (int, bool) {
	if sc.mixedTried == i+1 && sc.mixedFloor == *floor {
		return 0, false // asked already, and nothing found
	}
	var buf [2 * maxMixedGroups]digitSpan // a value's groups, and the next value's after them
	n, mixed := 0, false
	var first []byte
	for j := i; n < len(buf); {
		e := j
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		if n > 0 && e-j > maxLooseGroup {
			break
		}
		buf[n], n = digitSpan{j, e}, n+1
		m := sepEnd(s, e)
		if m == e || m-e > maxLooseSep || m >= len(s) || !isDigit(s[m]) || !mixedSep(s[e:m]) {
			break
		}
		if first == nil {
			first = s[e:m]
		} else if !bytes.Equal(first, s[e:m]) {
			mixed = true
		}
		j = m
	}
	if !mixed || partOfWord(s, i, *floor) {
		return 0, false // one separator: the reading by it judged the run; or part of a word ("x.AA0A.200 …")
	}
	// A value is the whole run or its groups up to one; most mixed runs (a log's time,
	// "2026:10:30:45 +0000") have the shape of none, and are left here.
	signed := i > *floor && s[i-1] == '+' || callPrefix(s[buf[0].s:buf[0].e]) > 0
	plausible := false
	for k := min(n, maxMixedGroups); k >= 2 && !plausible; k-- {
		plausible = valueShaped(buf[:k], signed)
	}
	if !plausible {
		return 0, false
	}
	// Digits that start an address's local part ("0@", "0 AT x DOT org") go with its
	// redaction, as in loose; asked only of a run with an '@' or a spelled one after its
	// start, as it is costly.
	if w := s[i:min(len(s), buf[n-1].e+emailMaxLocal+8)]; bytes.IndexByte(w, '@') >= 0 || spelledAtIn(w) {
		for k := 1; k < n; k++ {
			if localPartAt(s, buf[k].s) {
				n = k
				break
			}
		}
	}
	gs := buf[:n]
	last := gs[n-1].e
	if n < 2 || last < len(s) && wordByte[s[last]] || rightBad(s, last) {
		return 0, false
	}
	// digits[k] is the number of digits in gs[:k]: no value has fewer than minMixedDigits.
	var digits [2*maxMixedGroups + 1]int
	for k, g := range gs {
		digits[k+1] = digits[k] + g.e - g.s
	}
	if digits[n] < minMixedDigits {
		return 0, false
	}
	if n <= maxMixedGroups {
		if start, det, ok := sc.mixedValue(s, i, gs, *floor); ok {
			return sc.addLoose(start, last, det, floor), true
		}
	}
	// A value may start inside the run ("4011 11111111 111!0031 4111 11111111 1111"): once it
	// is masked, its redaction ends the run before it, and a second pass judges the groups
	// before it whole. The first value found from the end, as the printed spellings read it
	// or as a run of its own, splits the run so now (found by FuzzDecoders).
	for k := min(n-1, maxMixedGroups); k >= 2; k-- {
		rest := gs[k:min(n, k+maxMixedGroups)]
		if digits[n]-digits[k] < minMixedDigits || !valueShaped(gs[:k], signed) {
			continue
		}
		at := gs[k].s
		if s[at-1] == '+' {
			at-- // "…!44441+70000 000000": the sign starts the value the printed spellings read
		}
		if sc.valueFrom(s, gs[k].s, rest, *floor) || sc.printedFrom(s, at, *floor) {
			if start, det, ok := sc.mixedValue(s, i, gs[:k], *floor); ok {
				return sc.addLoose(start, gs[k-1].e, det, floor), true
			}
			return 0, false
		}
	}
	return 0, false
}

// valueFrom reports whether a value starts at s[i], the first of groups gs: some of them
// from the first on are one ("47010!00000" of "+47010!00000 0").
func (sc *scanner) valueFrom(s []byte, i int, gs []digitSpan, floor int) bool {
	for m := len(gs); m >= 2; m-- {
		if _, _, ok := sc.mixedValue(s, i, gs[:m], floor); ok {
			return true
		}
	}
	return false
}

// valueShaped reports whether groups gs have the shape of a value mixedValue may take,
// before their digits are judged: an international number's length after a sign or a call
// prefix (signed), three groups of 3-3-4 or 3-2-4, or a card's groups.
func valueShaped(gs []digitSpan, signed bool) bool {
	total := 0
	for _, g := range gs {
		total += g.e - g.s
	}
	if signed && total >= minMixedDigits && total <= e164MaxDigits+4 {
		return true
	}
	size := func(k int) int { return gs[k].e - gs[k].s }
	if len(gs) == 3 && size(0) == 3 && size(2) == 4 && (size(1) == 3 || size(1) == 2) {
		return true
	}
	if total < cardMinDigits || total > cardMaxDigits {
		return false
	}
	printed, even := size(0) >= 4 && size(0) <= 6, size(0) <= 8
	for k := 1; k < len(gs); k++ {
		printed = printed && size(k) >= 3 && size(k) <= 9
		even = even && (size(k) == size(0) || k == len(gs)-1 && size(k) < size(0))
	}
	return printed || even
}

// mixedValue judges the groups gs of a run starting at s[i] whole: an international number
// after '+' or a call prefix, a NANP phone number (3-3-4), an SSN (3-2-4) under its label,
// or a card in a card's groups. It returns where the value starts and its detector.
func (sc *scanner) mixedValue(s []byte, i int, gs []digitSpan, floor int) (int, detector, bool) {
	if start, ok := sc.looseInternational(s, i, gs, floor); ok {
		return start, detPhone, true
	}
	if len(gs) < 2 {
		return 0, 0, false
	}
	if det, ok := sc.threeGroups(s, gs, func() bool { return sc.labels(s, i, floor)&labelSSN != 0 }); ok {
		return i, det, true
	}
	if sc.enabled[detCard] && sc.looseCard(s, gs, false) {
		return i, detCard, true
	}
	return 0, 0, false
}

// printedFrom reports whether the printed spellings match a value starting at the first word
// of the run at s[j], as number reads it; nothing is recorded.
func (sc *scanner) printedFrom(s []byte, j, floor int) bool {
	groups, before, signed := sc.groups, len(sc.matches), sc.signed
	sc.groups = sc.trial[:0]
	end, plus := sc.parseRun(s, j)
	sc.signed = plus && signApart(s, j, floor)
	hi := len(sc.groups)
	if rightBad(s, end) {
		hi = lastWord(sc.groups)
	}
	first := sc.words(s, j, 0, hi, hi, 0, plus, &floor, nil)
	sc.trial, sc.groups, sc.signed = sc.groups, groups, signed
	sc.matches = sc.matches[:before]
	return first == 0
}

// judgeRun judges the groups gs of a loose run starting at s[i] and records what they spell;
// it returns where scanning resumes and whether anything was found.
func (sc *scanner) judgeRun(s []byte, i int, gs []digitSpan, sep []byte, floor *int) (int, bool) {
	last := gs[len(gs)-1].e
	if start, ok := sc.looseInternational(s, i, gs, *floor); ok && !rightBad(s, last) {
		return sc.addLoose(start, last, detPhone, floor), true
	}
	// With a separator values are printed with, the printed spellings have judged the run by
	// their rules (what may stand around it, which shapes need a label): what is left is a
	// card number in groups of one size ("4 1 1 1 …", "41111111 11111111"), the run whole.
	if len(sep) == 1 && runJoin[sep[0]] {
		if partOfWord(s, i, *floor) || rightBad(s, last) {
			return 0, false
		}
		if sc.enabled[detCard] && sc.looseCard(s, gs, true) {
			return sc.addLoose(i, last, detCard, floor), true
		}
		return 0, false
	}
	resume, found := 0, false
	for _, m := range sc.judgeLoose(s, gs, true) {
		resume, found = sc.addLoose(gs[m.a].s, gs[m.b-1].e, m.det, floor), true
	}
	return resume, found
}

// looseInternational reports an international number in all the groups of a loose run, and
// where it starts: after a '+' right before the run ("+44 - 20 - 7946 - 0958"), or after a
// call prefix that is its first group ("00 / 44 / 20 …", "011_44_20_…"), as e164 and
// international read one joined by a printed separator.
func (sc *scanner) looseInternational(s []byte, i int, gs []digitSpan, floor int) (int, bool) {
	if !sc.enabled[detPhone] {
		return 0, false
	}
	start, skip := i, 0
	if i > floor && s[i-1] == '+' {
		start = i - 1
	} else if skip = callPrefix(s[gs[0].s:gs[0].e]); skip == 0 {
		return 0, false
	}
	d := sc.looseDigits(s, gs)
	if d == nil || len(d)-skip < e164MinDigits || len(d)-skip > e164MaxDigits {
		return 0, false
	}
	return start, dialled(d[skip:], skip == 0)
}

// looseMatch is a value found in groups [a, b) of a loose run.
type looseMatch struct {
	a, b int
	det  detector
}

// judgeLoose returns the values the groups of a loose run spell: an SSN (3-2-4) or a NANP
// phone number (3-3-4) when three may be taken, a card in all of them, or else in each
// longest stretch of groups of one size, with a shorter group after it ("… 1111 12").
func (sc *scanner) judgeLoose(s []byte, gs []digitSpan, three bool) []looseMatch {
	var found []looseMatch // allocated only when something is found
	if three {
		if det, ok := sc.threeGroups(s, gs, func() bool { return true }); ok {
			return append(found, looseMatch{0, 3, det})
		}
	}
	if !sc.enabled[detCard] {
		return found
	}
	if sc.looseCard(s, gs, false) {
		return append(found, looseMatch{0, len(gs), detCard})
	}
	for a := 0; a < len(gs); {
		b := a + 1
		for b < len(gs) && gs[b].e-gs[b].s == gs[a].e-gs[a].s {
			b++
		}
		if a > 0 || b < len(gs) {
			switch {
			case b < len(gs) && gs[b].e-gs[b].s < gs[a].e-gs[a].s && sc.looseCard(s, gs[a:b+1], false):
				found = append(found, looseMatch{a, b + 1, detCard})
			case sc.looseCard(s, gs[a:b], false):
				found = append(found, looseMatch{a, b, detCard})
			}
		}
		a = b
	}
	return found
}

// threeGroups reports the value three loose groups spell whole: an SSN (3-2-4) when
// ssnOK says one may stand there, or a NANP phone number (3-3-4).
func (sc *scanner) threeGroups(s []byte, gs []digitSpan, ssnOK func() bool) (detector, bool) {
	if len(gs) != 3 {
		return 0, false
	}
	d := sc.looseDigits(s, gs)
	switch size := [3]int{gs[0].e - gs[0].s, gs[1].e - gs[1].s, gs[2].e - gs[2].s}; {
	case sc.enabled[detSSN] && size == [3]int{3, 2, 4} && isSSN(d) && ssnOK():
		return detSSN, true
	case sc.enabled[detPhone] && size == [3]int{3, 3, 4} && isNANP(d):
		return detPhone, true
	}
	return 0, false
}

// addLoose records a match and returns its end.
func (sc *scanner) addLoose(start, end int, det detector, floor *int) int {
	sc.matches = append(sc.matches, match{start, end, det})
	*floor = end
	return end
}

// looseDigits copies the digits of gs into sc.digits, or returns nil when there are more than
// any detector accepts.
func (sc *scanner) looseDigits(s []byte, gs []digitSpan) []byte {
	d := sc.digits[:0]
	for _, g := range gs {
		if len(d)+g.e-g.s > cardMaxDigits {
			return nil
		}
		d = append(d, s[g.s:g.e]...)
	}
	return d
}

// looseCard reports whether gs are a card number in a card's groups: its printed ones (the
// first 4-6 digits, the others 3-9; not when the separator is a printed one, whose rules
// judged those) or all one size of at most 8, the last possibly shorter.
func (sc *scanner) looseCard(s []byte, gs []digitSpan, evenOnly bool) bool {
	if len(gs) < 2 {
		return false
	}
	first := gs[0].e - gs[0].s
	printed, even := !evenOnly && first >= 4 && first <= 6, first <= 8
	for k, g := range gs[1:] {
		n := g.e - g.s
		printed = printed && n >= 3 && n <= 9
		even = even && (n == first || k == len(gs)-2 && n < first)
	}
	if !printed && !even {
		return false
	}
	d := sc.looseDigits(s, gs)
	return len(d) >= cardMinDigits && isCard(d)
}

// A value can also be split over the scalars of a JSON object or array ({"a":"4111",
// "b":"1111",...}, ["4111","1111",...]) or the fields of a CSV row, as a query's
// substrings return it. digitParts
// gathers an object's or array's consecutive scalars that are one to nine digits (strings
// without escapes, or unsigned integers) and, when the run ends, judges them as loose does a
// run of groups: an SSN (3-2-4) or a NANP phone number (3-3-4) whole, a card whole, then
// each longest stretch of same-size parts. A value found is masked in every part: the first
// as its mode writes it, the others with the redaction. A run of more than maxParts parts
// is a list, and judged not at all; the parts live in the walker's frame, never allocated.
type digitParts struct {
	n      int                 // parts gathered; maxParts+1 once the run is a list
	spans  [maxParts]digitSpan // the digits of each part
	quoted [maxParts]bool      // whether the part is a string
}

// maxParts is the most parts a run judged has: one digit each of the longest card, and one
// more before it.
const maxParts = cardMaxDigits + 1

// digitScalar returns the digits of the JSON value at src[i] when it is a string of one to
// nine digits without escapes or an unsigned integer of one to nine digits.
func digitScalar(src []byte, i int) (digitSpan, bool, bool) {
	quoted := i < len(src) && src[i] == '"'
	j := i
	if quoted {
		j++
	}
	k := j
	for k < len(src) && k-j <= 9 && isDigit(src[k]) {
		k++
	}
	if k == j || k-j > 9 || quoted && (k == len(src) || src[k] != '"') ||
		!quoted && k < len(src) && (src[k] == '.' || src[k] == 'e' || src[k] == 'E') {
		return digitSpan{}, false, false
	}
	return digitSpan{j, k}, quoted, true
}

// add appends the JSON value at src[i] when it is a part and reports whether it was.
func (p *digitParts) add(src []byte, i int) bool {
	d, quoted, ok := digitScalar(src, i)
	return ok && p.addSpan(d, quoted)
}

// addSpan appends a part: digits d, replaced in place when quoted, as a JSON string when not.
func (p *digitParts) addSpan(d digitSpan, quoted bool) bool {
	if p.n < maxParts {
		p.spans[p.n], p.quoted[p.n] = d, quoted
	}
	p.n = min(p.n+1, maxParts+1)
	return true
}

// flush judges the parts gathered and masks what they spell; the run starts again.
func (p *digitParts) flush(st *state) {
	if p.n >= 2 && p.n <= maxParts {
		p.judge(st, p.spans[:p.n])
	}
	p.n = 0
}

func (p *digitParts) judge(st *state, gs []digitSpan) {
	// An SSN or a phone number split in three is taken from strings only, which keep their
	// leading zeros ("078", "05"): three numbers of those sizes are as often anything.
	three := len(gs) == 3 && p.quoted[0] && p.quoted[1] && p.quoted[2]
	for _, m := range st.sc.judgeLoose(st.w.src, gs, three) {
		p.mask(st, m.a, m.b, m.det)
	}
}

// mask replaces parts [a, b) with the value of det they spell.
func (p *digitParts) mask(st *state, a, b int, det detector) {
	w := &st.w
	if w.last > p.spans[a].s-1 {
		return
	}
	digits := st.sc.looseDigits(w.src, p.spans[a:b])
	for k := a; k < b; k++ {
		g, quoted := p.spans[k], p.quoted[k]
		if k == a {
			w.replace(g.s, g.e, det, !quoted, digits)
			continue
		}
		w.copyTo(g.s)
		if !quoted {
			w.out = append(w.out, '"')
		}
		w.out = append(w.out, redactions[det]...)
		if !quoted {
			w.out = append(w.out, '"')
		}
		w.last = g.e
	}
}
