package mask

// This file holds the country calling codes the international phone detector validates
// against: a number written with '+' (or the call prefix 00) must start with an assigned
// ITU-T E.164 country code, and its national significant number must have a length that
// country uses. Countries without an entry here are held to E.164's general bounds.

// natLen is the range of national significant number lengths of a country code.
type natLen struct{ min, max uint8 }

// twoDigitCodes are the assigned two-digit country codes and their national lengths.
var twoDigitCodes = map[int]natLen{
	20: {8, 10}, 27: {9, 9}, 30: {10, 10}, 31: {9, 9}, 32: {8, 9}, 33: {9, 9}, 34: {9, 9}, 36: {8, 9},
	39: {6, 11}, 40: {9, 9}, 41: {9, 9}, 43: {4, 13}, 44: {7, 10}, 45: {8, 8}, 46: {7, 10}, 47: {8, 8},
	48: {9, 9}, 49: {6, 13}, 51: {8, 9}, 52: {10, 10}, 53: {6, 8}, 54: {10, 11}, 55: {10, 11}, 56: {9, 9},
	57: {10, 10}, 58: {10, 10}, 60: {8, 10}, 61: {9, 9}, 62: {8, 12}, 63: {8, 10}, 64: {8, 10}, 65: {8, 8},
	66: {8, 9}, 81: {9, 10}, 82: {8, 11}, 84: {9, 10}, 86: {9, 12}, 90: {10, 10}, 91: {10, 10}, 92: {9, 10},
	93: {9, 9}, 94: {9, 9}, 95: {7, 10}, 98: {10, 10},
}

// threeDigitZones are the first two digits of the three-digit country codes (Africa,
// Europe, the Americas' smaller states, Oceania, Asia): 21x, 22x, ... 99x.
var threeDigitZones = map[int]bool{
	21: true, 22: true, 23: true, 24: true, 25: true, 26: true, 29: true, 35: true, 37: true, 38: true,
	42: true, 50: true, 59: true, 67: true, 68: true, 69: true, 80: true, 85: true, 87: true, 88: true,
	96: true, 97: true, 99: true,
}

// validInternational reports whether d (the digits after '+' or 00, country code first) is a
// number with an assigned country code and a national number of a length that country uses.
// Country code 1 (NANP) is checked by the caller; 7 (Russia, Kazakhstan) has ten digits.
func validInternational(d []byte) bool {
	if len(d) < 2 {
		return false
	}
	switch d[0] {
	case '0', '1':
		return false
	case '7':
		return len(d) == 11
	}
	two := prefix(d, 2)
	if r, ok := twoDigitCodes[two]; ok {
		n := len(d) - 2
		return n >= int(r.min) && n <= int(r.max)
	}
	if threeDigitZones[two] {
		n := len(d) - 3
		return n >= 4 && n <= 12
	}
	return false
}
