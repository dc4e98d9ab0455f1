package audit

// withHash returns the canonical encoding of a record with its hash: canonical (the RFC 8785
// encoding without hash) with the member "hash":"<hex>" inserted where RFC 8785 orders it,
// before the first top-level member whose name sorts after "hash". It is what re-encoding the
// record with its hash through JSON and RFC 8785 gives (TestSealMatchesTheReferenceEncoding),
// at a quarter of the cost. Member names of a record are ASCII, so byte order is RFC 8785's
// UTF-16 order.
func withHash(canonical []byte, hash string) []byte {
	member := `"hash":"` + hash + `"`
	at := len(canonical) - 1 // before the closing brace
	depth, inString, escaped := 0, false, false
	keyStart := -1
	for i := 0; i < len(canonical); i++ {
		b := canonical[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
				if keyStart >= 0 && i+1 < len(canonical) && canonical[i+1] == ':' {
					if string(canonical[keyStart+1:i]) > "hash" {
						at = keyStart
						i = len(canonical)
					}
				}
				keyStart = -1
			}
			continue
		}
		switch b {
		case '"':
			inString = true
			if depth == 1 && (canonical[i-1] == '{' || canonical[i-1] == ',') {
				keyStart = i
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	out := make([]byte, 0, len(canonical)+len(member)+1)
	out = append(out, canonical[:at]...)
	switch {
	case at == len(canonical)-1 && len(canonical) > 2: // after the last member
		out = append(out, ',')
		out = append(out, member...)
	case at == len(canonical)-1: // the only member
		out = append(out, member...)
	default:
		out = append(out, member...)
		out = append(out, ',')
	}
	return append(out, canonical[at:]...)
}
