package mask

import (
	"bytes"
	"html"
	"strings"
)

// This file holds the readers of NDJSON (a stream of JSON documents) and XML, and the JSON
// pointer of each finding.

// looksStream reports input that may be a stream of JSON documents: it starts with '{' or
// '[' after white space.
func looksStream(src []byte) bool {
	i := skipWS(src, 0)
	return i < len(src) && (src[i] == '{' || src[i] == '[')
}

// stream masks the input as JSON documents separated by white space (NDJSON is one a line)
// and reports whether it was one; each finding names the line its document starts on.
func (st *state) stream() bool {
	src := st.w.src
	n, line, counted := 0, 1, 0
	for i := skipWS(src, 0); i < len(src); i = skipWS(src, i) {
		line += bytes.Count(src[counted:i], []byte{'\n'})
		counted, st.w.loc.row = i, line
		if src[i] != '{' && src[i] != '[' {
			return false // a bare scalar could be a part of a value split by white space
		}
		var err error
		if i, err = st.value(i, 0, nil, false); err != nil {
			return false
		}
		n++
	}
	return n > 0
}

// looksXML reports input that starts with '<' after white space.
func looksXML(src []byte) bool {
	i := skipWS(src, 0)
	return i < len(src) && src[i] == '<'
}

// xml masks the input as XML and reports whether it was well-formed enough to read: tags
// balanced, attributes quoted. A document type with an internal subset (which could define
// entities) is not read as XML; the input is then masked as text.
func (st *state) xml() bool {
	src := st.w.src
	st.xpath = st.xpath[:0]
	st.mixed = false
	var stack []int // lengths of st.xpath before each open element
	elems := 0
	texts := 0 // text nodes (and CDATA sections) with more than white space
	for i := 0; i < len(src); {
		if src[i] != '<' {
			j := i
			for j < len(src) && src[j] != '<' {
				j++
			}
			if len(stack) == 0 {
				if len(bytes.TrimSpace(src[i:j])) > 0 {
					return false // text outside the root element
				}
			} else {
				if len(bytes.TrimSpace(src[i:j])) > 0 {
					texts++
				}
				st.xmlValue(i, j, lastName(st.xpath))
			}
			i = j
			continue
		}
		rest := src[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			k := bytes.Index(rest, []byte("?>"))
			if k < 0 {
				return false
			}
			i += k + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			k := bytes.Index(rest[4:], []byte("-->"))
			if k < 0 {
				return false
			}
			st.xmlValue(i+4, i+4+k, nil)
			i += 4 + k + 3
		case bytes.HasPrefix(rest, cdataOpen):
			n := len(cdataOpen)
			k := bytes.Index(rest[n:], []byte("]]>"))
			if k < 0 || len(stack) == 0 {
				return false
			}
			st.xmlRaw(i+n, i+n+k, lastName(st.xpath))
			texts++
			i += n + k + 3
		case bytes.HasPrefix(rest, []byte("<!")):
			k := bytes.IndexByte(rest, '>')
			if k < 0 || bytes.IndexByte(rest[:k], '[') >= 0 {
				return false
			}
			i += k + 1
		case len(rest) > 1 && rest[1] == '/':
			j := i + 2
			for j < len(src) && xmlName(src[j]) {
				j++
			}
			if len(stack) == 0 {
				return false
			}
			top := stack[len(stack)-1]
			if string(src[i+2:j]) != string(st.xpath[top+1:]) {
				return false
			}
			j = skipWS(src, j)
			if j >= len(src) || src[j] != '>' {
				return false
			}
			st.xpath, stack = st.xpath[:top], stack[:len(stack)-1]
			i = j + 1
		default:
			j := i + 1
			for j < len(src) && xmlName(src[j]) {
				j++
			}
			if j == i+1 || (len(stack) == 0 && elems > 0) {
				return false
			}
			elems++
			stack = append(stack, len(st.xpath))
			st.xpath = append(append(st.xpath, '/'), src[i+1:j]...)
			var ok, closed bool
			if i, ok, closed = st.xmlAttrs(j); !ok {
				return false
			}
			if closed {
				st.xpath, stack = st.xpath[:stack[len(stack)-1]], stack[:len(stack)-1]
			}
		}
	}
	st.mixed = texts > 1
	return elems > 0 && len(stack) == 0
}

func xmlName(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
}

func lastName(path []byte) []byte {
	return path[bytes.LastIndexByte(path, '/')+1:]
}

// xmlAttrs reads the attributes of a start tag from src[j] to its '>' and masks their values
// under their names. It returns the offset after the tag and whether it closed itself.
func (st *state) xmlAttrs(j int) (next int, ok, closed bool) {
	src := st.w.src
	var pair []byte // the label a name or key attribute gave (pairs.go): <add key="DbPassword" value="…"/>
	for {
		j = skipWS(src, j)
		if j >= len(src) {
			return j, false, false
		}
		switch {
		case src[j] == '>':
			return j + 1, true, false
		case src[j] == '/' && j+1 < len(src) && src[j+1] == '>':
			return j + 2, true, true
		}
		k := j
		for k < len(src) && xmlName(src[k]) {
			k++
		}
		if k == j {
			return k, false, false
		}
		name := src[j:k]
		k = skipWS(src, k)
		if k >= len(src) || src[k] != '=' {
			return k, false, false
		}
		k = skipWS(src, k+1)
		if k >= len(src) || (src[k] != '"' && src[k] != '\'') {
			return k, false, false
		}
		q := bytes.IndexByte(src[k+1:], src[k])
		if q < 0 {
			return k, false, false
		}
		at := len(st.xpath)
		st.xpath = append(append(st.xpath, "/@"...), name...)
		label := name
		if pair != nil && pairKey(name, pairValues) {
			label = pair
		}
		st.xmlValue(k+1, k+1+q, label)
		st.xpath = st.xpath[:at]
		if l, ok := attributePair(name, src[k+1:k+1+q]); ok {
			pair = l
		}
		j = k + 1 + q + 1
	}
}

// xmlValue masks src[start:end], text or an attribute value, under label key; entities are
// decoded first when it has any, and the value is then written back entity-encoded.
func (st *state) xmlValue(start, end int, key []byte) {
	v := st.w.src[start:end]
	if len(bytes.TrimSpace(v)) == 0 {
		return
	}
	if bytes.IndexByte(v, '&') >= 0 {
		d := []byte(html.UnescapeString(string(v)))
		if !bytes.Equal(d, v) {
			st.xmlDecoded(start, end, key, d)
			return
		}
	}
	st.xmlRaw(start, end, key)
}

// xmlRaw masks src[start:end] as it stands, labelled by key.
func (st *state) xmlRaw(start, end int, key []byte) {
	st.w.loc.xpath = string(st.xpath)
	sc := &st.sc
	sc.setKey(key)
	sc.matches = sc.matches[:0]
	st.scanRaw(start, end)
}

// xmlDecoded masks the entity-decoded value d of src[start:end] and, when something in it was
// masked, writes it back entity-encoded in place of the raw value.
func (st *state) xmlDecoded(start, end int, key, d []byte) {
	inner := st.eng.get(d)
	defer put(inner)
	inner.layer, inner.budget = st.layer, st.budget
	inner.w.loc.xpath = string(st.xpath)
	sc := &inner.sc
	sc.setKey(key)
	sc.matches = sc.matches[:0]
	sc.scanValue(d)
	inner.emit(d, nil, 0)
	if len(inner.w.finds) == 0 {
		return
	}
	masked := inner.w.finish()
	w := &st.w
	off := w.copyTo(start)
	w.out = appendEntities(w.out, masked)
	w.last = end
	for _, f := range inner.w.finds {
		n := noteOf(inner.w.notes, f)
		n.enc = joinEnc(encEntity, n.enc)
		f.off, f.note = int32(off), 0
		w.finds = append(w.finds, w.withNote(f, n))
	}
	for d, n := range inner.w.counts {
		w.counts[d] += n
	}
	w.held += inner.w.held
	if w.reason == "" {
		w.reason = inner.w.reason
	}
	w.tokens = append(w.tokens, inner.w.tokens...)
}

func joinEnc(outer, inner string) string {
	if inner == "" {
		return outer
	}
	return outer + ">" + inner
}

// escapePointer escapes a key as a JSON pointer token (RFC 6901).
func escapePointer(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
