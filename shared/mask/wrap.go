package mask

import (
	"bytes"
	"slices"
)

// This file reads a value that text wrapped at a line's width broke across a line break
// ("call 415 555\n0132", "Amex 3782 822463\n10005", a mail body or a terminal wrapping): each
// line break between digits is read once more in a window of the text around it, with the
// break and the white space around it as one space, and a value found across it is masked
// whole. The scan as written reads a run of groups only with the separator it started with.

// wrapWindow is how much of the text on either side of a line break the reading takes: a
// value's groups on one line.
const wrapWindow = 64

// wrapMatches appends to out the values found across the line breaks between digits in s
// with a group of digits on either side of them (a number alone on each line is no value's
// groups), but for a break whose digits on both sides the scan as written masked already,
// or after which a value it found starts (a log's next line starting with an address).
//
// A value found across one break ends the runs next to it, as its redaction does when the
// output is masked again ("5955\n55555555\n4444\n4 11111111": once the card across the last
// break is masked, the first two lines read as a card of their own). So the text around each
// value found is read once more with it and the values found before as their redactions, and
// again around what that finds, at most wrapRounds times.
func (st *state) wrapMatches(s []byte, out []markupMatch) []markupMatch {
	first := len(out)
	out = st.wrapRound(s, st.sc.matches, out)
	for round, prev := 1, first; round < wrapRounds && len(out) > prev; round++ {
		n := len(out)
		out, prev = st.nextToFound(s, withWrapped(st.sc.matches, out[first:]), out[prev:n], out), n
	}
	return out
}

// wrapRounds bounds the readings of one string's line breaks and of the text around what
// they found.
const wrapRounds = 4

// withWrapped is the scan's matches ms with the values found across breaks found, in order:
// a match a value found across a break overlaps gives way to it.
func withWrapped(ms []match, found []markupMatch) []match {
	all := make([]match, 0, len(ms)+len(found))
	for _, m := range ms {
		if !overlapsFound(found, m.start, m.end) {
			all = append(all, m)
		}
	}
	for _, f := range found {
		all = append(all, match{f.start, f.end, f.det})
	}
	slices.SortFunc(all, func(a, b match) int { return a.start - b.start })
	// Values found across different breaks may overlap one another: the first stands.
	kept := 0
	for _, m := range all {
		if kept == 0 || m.start >= all[kept-1].end {
			all[kept] = m
			kept++
		}
	}
	return all[:kept]
}

// overlapsFound reports whether one of found overlaps s[start:end].
func overlapsFound(found []markupMatch, start, end int) bool {
	for _, f := range found {
		if f.start < end && start < f.end {
			return true
		}
	}
	return false
}

// wrapRound reads each line break of s once, with the matches ms (in order) as the values
// found so far.
func (st *state) wrapRound(s []byte, ms []match, out []markupMatch) []markupMatch {
	// In order: k is the first match not ended before the break, w the first not ended
	// before its window.
	k, w := 0, 0
	for p := bytes.IndexByte(s, '\n'); p >= 0; {
		a := p
		for a > 0 && (s[a-1] == ' ' || s[a-1] == '\t' || s[a-1] == '\r') {
			a--
		}
		b := p + 1
		for b < len(s) && (s[b] == ' ' || s[b] == '\t') {
			b++
		}
		for k < len(ms) && ms[k].end < a {
			k++
		}
		for w < len(ms) && ms[w].end <= a-wrapWindow {
			w++
		}
		if a > 0 && isDigit(s[a-1]) && b < len(s) && isDigit(s[b]) && b-a <= maxLooseSpace && (groupBefore(s, a) || groupAfter(s, b)) &&
			!(overlaps(ms[k:], a-1, a) && overlaps(ms[k:], b, b+1)) && !startsAt(ms[k:], b) {
			out = st.unwrapAt(s, a, b, ms[w:], out)
		}
		next := bytes.IndexByte(s[p+1:], '\n')
		if next < 0 {
			break
		}
		p += 1 + next
	}
	return out
}

// unwrapAt scans the window around the line break s[a:b] with the break as one space and
// appends what it finds across the break, as spans of s. The window is read with the values
// the scan as written found in it (ms, in order, from the first not ended before it) as
// their redactions, as masking the output again reads them, and, when there were any, as
// written too: a value that scan found only in part reads whole across the break ("call 415
// 555\n0132"). A value the window's edge may have cut is left to the scan as written.
func (st *state) unwrapAt(s []byte, a, b int, ms []match, out []markupMatch) []markupMatch {
	lo, hi := max(0, a-wrapWindow), min(len(s), b+wrapWindow)
	at, redacted := st.window(s, lo, a, b, hi, ms)
	out = st.acrossBreak(st.wrapped, st.wrapOffs, at, lo > 0, hi < len(s), out)
	if redacted {
		at, _ = st.window(s, lo, a, b, hi, nil)
		out = st.acrossBreak(st.wrapped, st.wrapOffs, at, lo > 0, hi < len(s), out)
	}
	return out
}

// window writes s[lo:a], a space for the break s[a:b], and s[b:hi] into st.wrapped, with
// the matches ms wholly inside either side as their redactions, and for each of its bytes
// (and its end) the offset in s it stands for into st.wrapOffs. It returns where the space
// is and whether anything was redacted.
func (st *state) window(s []byte, lo, a, b, hi int, ms []match) (at int, redacted bool) {
	st.wrapped, st.wrapOffs = st.wrapped[:0], st.wrapOffs[:0]
	redacted = st.windowPart(s, lo, a, ms)
	at = len(st.wrapped)
	st.wrapped, st.wrapOffs = append(st.wrapped, ' '), append(st.wrapOffs, int32(a))
	redacted = st.windowPart(s, b, hi, ms) || redacted
	st.wrapOffs = append(st.wrapOffs, int32(hi))
	return at, redacted
}

// windowPart appends s[from:to] to the window, the matches ms wholly inside it as their
// redactions, and reports whether there were any.
func (st *state) windowPart(s []byte, from, to int, ms []match) (redacted bool) {
	w, offs, k := st.wrapped, st.wrapOffs, from
	for _, m := range ms {
		if m.start >= to {
			break
		}
		if m.start < k || m.end > to {
			continue // across the window's edge or the break: read as written
		}
		for ; k < m.start; k++ {
			w, offs = append(w, s[k]), append(offs, int32(k))
		}
		r := redactions[m.det]
		w, redacted = append(w, r...), true
		for range len(r) {
			offs = append(offs, int32(m.start))
		}
		k = m.end
	}
	for ; k < to; k++ {
		w, offs = append(w, s[k]), append(offs, int32(k))
	}
	st.wrapped, st.wrapOffs = w, offs
	return redacted
}

// nextToFound reads the text around each of found (values found across breaks) once more,
// with the values found so far (ms, in order) as their redactions, as masking the output
// again reads it, and appends what that finds that none of them overlaps; a value the
// window's edge may have cut is left to the scan as written.
func (st *state) nextToFound(s []byte, ms []match, found, out []markupMatch) []markupMatch {
	for _, f := range found {
		lo, hi := max(0, f.start-wrapWindow), min(len(s), f.end+wrapWindow)
		st.wrapped, st.wrapOffs = st.wrapped[:0], st.wrapOffs[:0]
		st.windowPart(s, lo, hi, ms)
		st.wrapOffs = append(st.wrapOffs, int32(hi))
		w, offs := st.wrapped, st.wrapOffs
		for _, m := range st.scanAgain(w) {
			if m.start == 0 && lo > 0 || m.end == len(w) && hi < len(s) {
				continue
			}
			start, end := int(offs[m.start]), spanEnd(offs, m.end)
			if !overlaps(ms, start, end) {
				out = append(out, markupMatch{start, end, m.det, bytes.Clone(w[m.start:m.end]), true})
			}
		}
	}
	return out
}

// acrossBreak scans the window w (whose bytes offs maps to s) and appends what it finds
// across the space at w[at], but for a value that may run past a cut edge of the window.
func (st *state) acrossBreak(w []byte, offs []int32, at int, cutBefore, cutAfter bool, out []markupMatch) []markupMatch {
	for _, m := range st.scanAgain(w) {
		if m.start >= at || m.end <= at+1 || m.start == 0 && cutBefore || m.end == len(w) && cutAfter {
			continue
		}
		out = append(out, markupMatch{int(offs[m.start]), spanEnd(offs, m.end), m.det, bytes.Clone(w[m.start:m.end]), true})
	}
	return out
}

// overlaps reports whether one of ms (in order of their starts) overlaps s[start:end].
func overlaps(ms []match, start, end int) bool {
	for _, m := range ms {
		if m.start >= end {
			return false
		}
		if start < m.end {
			return true
		}
	}
	return false
}

// startsAt reports whether one of ms (in order of their starts) starts at s[i].
func startsAt(ms []match, i int) bool {
	for _, m := range ms {
		if m.start >= i {
			return m.start == i
		}
	}
	return false
}

// groupBefore reports whether the digits ending at s[a] follow another group of digits
// across one space, dash or dot ("415 555" before the break).
func groupBefore(s []byte, a int) bool {
	i := a
	for i > 0 && isDigit(s[i-1]) {
		i--
	}
	return i >= 2 && (s[i-1] == ' ' || s[i-1] == '-' || s[i-1] == '.') && isDigit(s[i-2])
}

// groupAfter reports whether the digits starting at s[b] are followed by another group of
// digits across one space, dash or dot ("1111 1111" after the break).
func groupAfter(s []byte, b int) bool {
	i := b
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i+1 < len(s) && (s[i] == ' ' || s[i] == '-' || s[i] == '.') && isDigit(s[i+1])
}
