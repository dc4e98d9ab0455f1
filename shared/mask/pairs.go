package mask

import "bytes"

// This file reads a secret whose name is a sibling's value, as configuration written as
// name/value pairs holds it: Kubernetes' and ECS's environment lists ({"name":
// "DB_PASSWORD", "value": "…"}), CloudFormation's parameters ("ParameterKey",
// "ParameterValue"), Elastic Beanstalk's options, Azure's app settings, YAML's "- name: …\n
// value: …", .NET's <add key="…" value="…"/>, Spring's <property name="…" value="…"/> and
// HTML's <input type="password" … value="…">. The value is judged under the name it is
// given. In JSON the name must come first, as these write it (and as a map sorted by key
// does: "name" < "value").

// pairNames are the keys whose value names a pair's value (FieldName spelling).
var pairNames = newWordSet([]string{"name", "key", "parameterkey", "parametername", "optionname", "settingname",
	"variable", "varname", "envname", "property"})

// pairValues are the keys of a pair's value (FieldName spelling).
var pairValues = newWordSet([]string{"value", "parametervalue", "optionvalue", "settingvalue", "val"})

// pairKey reports whether the key (decoded) is one of set, in any spelling. Every key of a
// JSON object is asked: one whose last letter ends no pair's key ('e', 'y', 'l') is passed
// over at once.
func pairKey(key []byte, set wordSet) bool {
	if len(key) < 3 || len(key) > 16 {
		return false
	}
	if last := lower(key[len(key)-1]); last != 'e' && last != 'y' && last != 'l' {
		return false
	}
	var buf [64]byte
	return set.hasFold(fieldName(buf[:0], key, 16))
}

// pairLabel returns the label a pair's name gives its value: the name itself when it names a
// credential ("DB_PASSWORD", "smtp.pass"), nil otherwise.
func pairLabel(name []byte) []byte {
	if len(name) == 0 || len(name) > maxLabel {
		return nil
	}
	for _, c := range name {
		if !labelByte[c] && c != ' ' {
			return nil
		}
	}
	switch secretLabel(name) {
	case lblNone, lblCookie, lblSignature:
		return nil
	}
	return name
}

// siblingLabel returns the kind of the label a pair's name gives the value whose label (a
// value key: "value", "Value") starts at s[k], written as text: an attribute of the same tag
// ('key="DbPassword"', 'name="password"', 'type="password"'), or a "name:" or "key:" line just
// above it in YAML ("- name: DB_PASSWORD\n  value: …"). It looks no further back than floor.
func siblingLabel(s []byte, k, floor int) uint8 {
	if k == floor {
		return lblNone
	}
	if s[k-1] == ' ' || s[k-1] == '\t' {
		if b := tagOpen(s, k, floor); b >= 0 {
			return attributeLabel(s[b:k])
		}
	}
	// YAML: the three lines above at most.
	e := k
	for e > floor && (s[e-1] == ' ' || s[e-1] == '\t' || s[e-1] == '-') {
		e--
	}
	if e > floor && s[e-1] != '\n' {
		return lblNone
	}
	for n := 0; n < 3 && e > floor; n++ {
		ls := e - 1
		for ls > floor && s[ls-1] != '\n' {
			ls--
		}
		line := bytes.TrimLeft(s[ls:e-1], " \t-")
		if c := bytes.IndexByte(line, ':'); c > 0 && pairKey(line[:c], pairNames) {
			v := bytes.Trim(bytes.TrimSpace(line[c+1:]), `"'`)
			if l := pairLabel(v); l != nil {
				return secretLabel(l)
			}
			return lblNone
		}
		e = ls
	}
	return lblNone
}

// tagOpen returns where the tag s[k] stands in opens: a '<' before it on its line (not before
// floor) with no '>' between; -1 for none.
func tagOpen(s []byte, k, floor int) int {
	for b := k - 1; b >= floor && k-b <= maxTag; b-- {
		switch s[b] {
		case '<':
			return b
		case '>', '\n':
			return -1
		}
	}
	return -1
}

// passwordLabel is the label type="password" gives its input's value.
var passwordLabel = []byte("password")

// attributePair returns the label the attribute name="v" gives the value attribute after it in
// its tag, and whether it gives one at all: a pair's name (nil when v names no credential), or
// type="password". The XML reader (xmlAttrs) and a tag read as text (attributeLabel) ask it.
func attributePair(name, v []byte) (label []byte, ok bool) {
	switch {
	case pairKey(name, pairNames):
		return pairLabel(v), true
	case bytes.EqualFold(name, []byte("type")) && bytes.EqualFold(v, passwordLabel):
		return passwordLabel, true
	}
	return nil, false
}

// attributeLabel returns the kind of label the attributes of the tag t (from its '<' to a
// value attribute) give that value: the last attributePair's.
func attributeLabel(t []byte) uint8 {
	var pair []byte
	for i := 0; i < len(t); i++ {
		if t[i] != '=' || i+1 >= len(t) || (t[i+1] != '"' && t[i+1] != '\'') {
			continue
		}
		a := i
		for a > 0 && (isLetter(t[a-1]) || t[a-1] == '-' || t[a-1] == '_') {
			a--
		}
		q := bytes.IndexByte(t[i+2:], t[i+1])
		if q < 0 {
			break
		}
		if l, ok := attributePair(t[a:i], t[i+2:i+2+q]); ok {
			pair = l
		}
		i += 2 + q
	}
	if pair == nil {
		return lblNone
	}
	return secretLabel(pair)
}
