package mask

// This file holds the country calling codes the international phone detector validates
// against: a number written with '+' (or the call prefix 00) must start with an assigned
// ITU-T E.164 country calling code, and its national significant number must have a length
// the numbering plan of that code uses. The table is libphonenumber's metadata (through
// github.com/nyaruka/phonenumbers, which only the tests import):
// TestCountryLengthsMatchMetadata fails when the two differ and prints the table to paste.

// countryLengths maps each country calling code to the set of national significant number
// lengths its plan uses (bit n: n digits), local-only lengths included.
var countryLengths = map[int]uint32{
	1: 0x480, 7: 0x4480, 20: 0x7c0, 27: 0x7e0, 30: 0x1c00, 31: 0xfe0, 32: 0x300, 33: 0x200,
	34: 0x200, 36: 0x3c0, 39: 0x1fc0, 40: 0x240, 41: 0x1200, 43: 0x3ff8, 44: 0x7f0, 45: 0x100,
	46: 0x17c0, 47: 0x120, 48: 0x7c0, 49: 0xfffc, 51: 0x3c0, 52: 0x580, 53: 0x5f0, 54: 0xdc0,
	55: 0xf00, 56: 0xe00, 57: 0xd90, 58: 0x480, 60: 0x7c0, 61: 0x17e0, 62: 0x3ffe0, 63: 0x3ff0,
	64: 0x7e0, 65: 0xd00, 66: 0x2700, 81: 0x3ff00, 82: 0x7ff8, 84: 0x780, 86: 0x1fe0, 90: 0x3480,
	91: 0x3fc0, 92: 0x1fe0, 93: 0x280, 94: 0x280, 95: 0x7e0, 98: 0x5f0, 211: 0x200, 212: 0x200,
	213: 0x300, 216: 0x100, 218: 0x280, 220: 0x80, 221: 0x200, 222: 0x100, 223: 0x100, 224: 0x300,
	225: 0x400, 226: 0x100, 227: 0x100, 228: 0x100, 229: 0x500, 230: 0x580, 231: 0x380, 232: 0x140,
	233: 0x380, 234: 0x7cc0, 235: 0x100, 236: 0x100, 237: 0x300, 238: 0x80, 239: 0x80, 240: 0x200,
	241: 0x180, 242: 0x200, 243: 0x780, 244: 0x200, 245: 0x280, 246: 0x80, 247: 0x60, 248: 0x80,
	249: 0x200, 250: 0x300, 251: 0x280, 252: 0x3c0, 253: 0x100, 254: 0x780, 255: 0x200, 256: 0x2e0,
	257: 0x100, 258: 0x300, 260: 0x240, 261: 0x280, 262: 0x200, 263: 0x7f8, 264: 0x300, 265: 0x280,
	266: 0x100, 267: 0x580, 268: 0x300, 269: 0x90, 290: 0x30, 291: 0xc0, 297: 0x80, 298: 0x40,
	299: 0x40, 350: 0x100, 351: 0x200, 352: 0xff0, 353: 0x7e0, 354: 0x280, 355: 0x3e0, 356: 0x100,
	357: 0x100, 358: 0x1fe0, 359: 0x13f0, 370: 0x100, 371: 0x100, 372: 0x580, 373: 0x100, 374: 0x160,
	375: 0xfe0, 376: 0x340, 377: 0x300, 378: 0x540, 380: 0x6e0, 381: 0x1ff0, 382: 0x340, 383: 0x1f00,
	385: 0x3c0, 386: 0x1e0, 387: 0x340, 389: 0x1c0, 420: 0x1e00, 421: 0x2c0, 423: 0x280, 500: 0x20,
	501: 0x880, 502: 0x900, 503: 0x980, 504: 0x900, 505: 0x100, 506: 0x500, 507: 0xd80, 508: 0x240,
	509: 0x100, 590: 0x200, 591: 0x380, 592: 0x80, 593: 0xf80, 594: 0x200, 595: 0xfe0, 596: 0x200,
	597: 0xc0, 598: 0x3ff0, 599: 0x180, 670: 0x180, 672: 0x60, 673: 0x80, 674: 0x80, 675: 0x180,
	676: 0xa0, 677: 0xa0, 678: 0xa0, 679: 0x880, 680: 0x80, 681: 0x240, 682: 0x20, 683: 0x90,
	685: 0x4e0, 686: 0x120, 687: 0x40, 688: 0xe0, 689: 0x340, 690: 0xf0, 691: 0x80, 692: 0x80,
	800: 0x100, 808: 0x100, 850: 0x5c0, 852: 0xbe0, 853: 0x180, 855: 0x7c0, 856: 0x740, 870: 0x1200,
	878: 0x1000, 880: 0x7c0, 881: 0x600, 882: 0x1f80, 883: 0x1f00, 886: 0xf80, 888: 0x800, 960: 0x480,
	961: 0x180, 962: 0x300, 963: 0x3c0, 964: 0x7c0, 965: 0x180, 966: 0x680, 967: 0x3c0, 968: 0x380,
	970: 0x780, 971: 0x1fe0, 972: 0x1f80, 973: 0x100, 974: 0xb80, 975: 0x1c0, 976: 0x770, 977: 0xdc0,
	979: 0x300, 992: 0x2e8, 993: 0x100, 994: 0x280, 995: 0x2c0, 996: 0x660, 998: 0x200,
}

// codeRegions maps each country calling code to the regions whose plan it dials
// (nationalPlans), libphonenumber's metadata; the non-geographic codes (800, 870, 882 ...)
// have none. TestCodeRegionsMatchMetadata fails when the two differ and prints the table.
var codeRegions = map[int][]string{
	1: {"AG", "AI", "AS", "BB", "BM", "BS", "CA", "DM", "DO", "GD", "GU", "JM", "KN", "KY", "LC", "MP", "MS", "PR", "SX", "TC", "TT", "US", "VC", "VG", "VI"},
	7: {"KZ", "RU"}, 20: {"EG"}, 27: {"ZA"}, 30: {"GR"}, 31: {"NL"}, 32: {"BE"}, 33: {"FR"},
	34: {"ES"}, 36: {"HU"}, 39: {"IT", "VA"}, 40: {"RO"}, 41: {"CH"}, 43: {"AT"},
	44: {"GB", "GG", "IM", "JE"}, 45: {"DK"}, 46: {"SE"}, 47: {"NO", "SJ"}, 48: {"PL"}, 49: {"DE"},
	51: {"PE"}, 52: {"MX"}, 53: {"CU"}, 54: {"AR"}, 55: {"BR"}, 56: {"CL"}, 57: {"CO"}, 58: {"VE"},
	60: {"MY"}, 61: {"AU", "CC", "CX"}, 62: {"ID"}, 63: {"PH"}, 64: {"NZ"}, 65: {"SG"}, 66: {"TH"},
	81: {"JP"}, 82: {"KR"}, 84: {"VN"}, 86: {"CN"}, 90: {"TR"}, 91: {"IN"}, 92: {"PK"}, 93: {"AF"},
	94: {"LK"}, 95: {"MM"}, 98: {"IR"}, 211: {"SS"}, 212: {"EH", "MA"}, 213: {"DZ"}, 216: {"TN"},
	218: {"LY"}, 220: {"GM"}, 221: {"SN"}, 222: {"MR"}, 223: {"ML"}, 224: {"GN"}, 225: {"CI"},
	226: {"BF"}, 227: {"NE"}, 228: {"TG"}, 229: {"BJ"}, 230: {"MU"}, 231: {"LR"}, 232: {"SL"},
	233: {"GH"}, 234: {"NG"}, 235: {"TD"}, 236: {"CF"}, 237: {"CM"}, 238: {"CV"}, 239: {"ST"},
	240: {"GQ"}, 241: {"GA"}, 242: {"CG"}, 243: {"CD"}, 244: {"AO"}, 245: {"GW"}, 246: {"IO"},
	247: {"AC"}, 248: {"SC"}, 249: {"SD"}, 250: {"RW"}, 251: {"ET"}, 252: {"SO"}, 253: {"DJ"},
	254: {"KE"}, 255: {"TZ"}, 256: {"UG"}, 257: {"BI"}, 258: {"MZ"}, 260: {"ZM"}, 261: {"MG"},
	262: {"RE", "YT"}, 263: {"ZW"}, 264: {"NA"}, 265: {"MW"}, 266: {"LS"}, 267: {"BW"}, 268: {"SZ"},
	269: {"KM"}, 290: {"SH", "TA"}, 291: {"ER"}, 297: {"AW"}, 298: {"FO"}, 299: {"GL"}, 350: {"GI"},
	351: {"PT"}, 352: {"LU"}, 353: {"IE"}, 354: {"IS"}, 355: {"AL"}, 356: {"MT"}, 357: {"CY"},
	358: {"AX", "FI"}, 359: {"BG"}, 370: {"LT"}, 371: {"LV"}, 372: {"EE"}, 373: {"MD"}, 374: {"AM"},
	375: {"BY"}, 376: {"AD"}, 377: {"MC"}, 378: {"SM"}, 380: {"UA"}, 381: {"RS"}, 382: {"ME"},
	383: {"XK"}, 385: {"HR"}, 386: {"SI"}, 387: {"BA"}, 389: {"MK"}, 420: {"CZ"}, 421: {"SK"},
	423: {"LI"}, 500: {"FK"}, 501: {"BZ"}, 502: {"GT"}, 503: {"SV"}, 504: {"HN"}, 505: {"NI"},
	506: {"CR"}, 507: {"PA"}, 508: {"PM"}, 509: {"HT"}, 590: {"BL", "GP", "MF"}, 591: {"BO"},
	592: {"GY"}, 593: {"EC"}, 594: {"GF"}, 595: {"PY"}, 596: {"MQ"}, 597: {"SR"}, 598: {"UY"},
	599: {"BQ", "CW"}, 670: {"TL"}, 672: {"NF"}, 673: {"BN"}, 674: {"NR"}, 675: {"PG"}, 676: {"TO"},
	677: {"SB"}, 678: {"VU"}, 679: {"FJ"}, 680: {"PW"}, 681: {"WF"}, 682: {"CK"}, 683: {"NU"},
	685: {"WS"}, 686: {"KI"}, 687: {"NC"}, 688: {"TV"}, 689: {"PF"}, 690: {"TK"}, 691: {"FM"},
	692: {"MH"}, 850: {"KP"}, 852: {"HK"}, 853: {"MO"}, 855: {"KH"}, 856: {"LA"}, 880: {"BD"},
	886: {"TW"}, 960: {"MV"}, 961: {"LB"}, 962: {"JO"}, 963: {"SY"}, 964: {"IQ"}, 965: {"KW"},
	966: {"SA"}, 967: {"YE"}, 968: {"OM"}, 970: {"PS"}, 971: {"AE"}, 972: {"IL"}, 973: {"BH"},
	974: {"QA"}, 975: {"BT"}, 976: {"MN"}, 977: {"NP"}, 992: {"TJ"}, 993: {"TM"}, 994: {"AZ"},
	995: {"GE"}, 996: {"KG"}, 998: {"UZ"},
}

// planned reports whether n (validInternational: the digits after a call prefix, country
// code first) is a national significant number of the plan of one of its code's regions, or
// has a non-geographic code, whose numbers are judged by their length alone.
func planned(n []byte) bool {
	cc, k, _, ok := countryCode(n)
	if !ok {
		return false
	}
	regions, ok := codeRegions[cc]
	if !ok {
		return true
	}
	for _, r := range regions {
		if p, ok := planFor(r); ok && p.re.Match(n[k:]) {
			return true
		}
	}
	return false
}

// countryCode returns the country calling code d starts with, its length and the national
// lengths its plan uses (countryLengths). Country calling codes are prefix-free, so at most
// one of the one-, two- and three-digit prefixes of d is a code.
func countryCode(d []byte) (cc, k int, set uint32, ok bool) {
	for k := 1; k <= 3 && k < len(d); k++ {
		cc := prefix(d, k)
		if set, ok := countryLengths[cc]; ok {
			return cc, k, set, true
		}
	}
	return 0, 0, 0, false
}

// validInternational reports whether d (the digits after '+' or 00, country code first) is a
// number with an assigned country calling code and a national number of a length that code
// uses. Country code 1 (NANP) is checked by the caller.
func validInternational(d []byte) bool {
	if len(d) < 2 || d[0] == '0' || d[0] == '1' {
		return false
	}
	_, k, set, ok := countryCode(d)
	n := len(d) - k
	return ok && n < 32 && set&(1<<n) != 0
}

// longestInternational reports whether d (a validInternational number) has the longest
// national length its country calling code uses.
func longestInternational(d []byte) bool {
	_, k, set, ok := countryCode(d)
	n := len(d) - k
	return ok && n < 32 && set>>(n+1) == 0
}
