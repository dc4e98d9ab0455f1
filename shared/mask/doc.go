// Package mask finds sensitive values in what a target returns (and in what an agent sends)
// and replaces them before the result reaches an agent, the audit record or a log.
//
// # Place in the flow
//
//	authenticate -> session -> classify -> inspect request, detokenize -> evaluate
//	-> record decision -> broker -> execute -> mask -> record result -> respond
//
// The authority masks the body the executor returned with the engine of the profile the
// deciding policy names (@mask) or else the target's (mask_profile), after execute and
// before the result record is appended and the response is written, so neither the audit
// chain nor the agent ever holds an unmasked value. The prompt that opens a session goes
// through Engine.Text before it is stored. Before an action goes out, Catalog.Inspector
// finds credentials in its parameters (refused or masked as the profile says), and
// Detokenize replaces the tokens it carries with their values from the session's Vault.
//
// # Detectors
//
// Personal data: Email; Card (IIN range and Luhn); SSN (SSA area/group/serial rules); Phone
// (NANP written forms, E.164 with an assigned country code and a national length that
// country uses, trunk-prefixed national numbers); IBAN (country length, from an IBAN
// registry that has the countries outside SWIFT's too, and mod-97; groups of four joined by
// any one separator); IP
// (IPv4 dotted quads, and a URL's host in every spelling URL parsers accept: one to four
// decimal, octal or hex parts; IPv6 in RFC 4291 text form); DOB (a calendar date under a label such
// as "dob" or "date of birth"). A bare nine-digit SSN, ten-digit phone number or a date is
// only taken when a JSON key, CSV column or a word just before it says so.
//
// Secrets: AWSAccessKeyID (AKIA/ASIA... and 16 base32 characters); AWSSecretKey (40 base64
// characters under an AWS secret label); AWSSessionToken (by its prefix, or under a session
// token label); JWT; PrivateKey (PEM blocks, through the END line or to the end of a
// truncated input); GitHubToken, GitLabToken, SlackToken, StripeKey (by prefix, alphabet and
// length); Secret (passwords under a password label, high-entropy values under a label
// such as api_key, client_secret, X-Api-Key or Authorization, model providers' keys, and
// other providers' API tokens by the prefix, alphabet and length each documents: npm_,
// shpat_, SG., hvs., vcp_, dapi, AIza and more, providerTokens; the lines of a YAML block
// scalar under such a label; the generated values of a Cookie or Set-Cookie header; the
// password of curl's -u or --user); ConnectionString (the
// password of scheme://user:password@host); MandateToken (Mandate's own action tokens,
// mdt1.<claims>.<mac>). Field masks the whole value of named JSON keys and CSV columns
// (WithFields). Known masks the values Mandate itself put into an action (MaskKnown: the
// values its tokens were replaced with), wherever the target hands them back.
//
// # Hiding places
//
// Values are looked for in JSON keys as well as values, in JSON documents and CSV files
// inside JSON strings, in NDJSON streams, in XML (text, CDATA, comments, attribute values,
// under the element or attribute name as a label; an XML document with more than one text
// node is also read as text, so a value split by its inline elements, comments or CDATA
// sections reads whole), in CSV headers and quoted fields (an
// input that reads as CSV is masked as CSV whatever it was declared, with ',', ';', a tab
// or '|' between fields), and under encodings: base64, base64url and base32 runs (base64
// wrapped into lines of one length read whole; a run that is no base64 whole, such as a
// URL's path, segment by segment between its slashes), runs of hex digits ("6a616e65...",
// "0x...", PostgreSQL's "\x..."), lists of hex bytes ("6a 61 6e 65", "0x6a, 0x61", xxd's
// "6a61 6e65") and hex dumps (xxd, hexdump -C), URL percent-encoding, quoted-printable
// words of three escapes or more ("=6A=61=6E=65...") and MIME encoded words in Q encoding
// ("=?UTF-8?Q?jane.doe=40example.com?="), HTML/XML entities, backslash escapes in text
// ("\u0040", "\x40"), gzip, zlib and bzip2 (a body, read as its text, or a decoded run),
// zip archives (a body or a decoded run: each entry's name, comment and content, written
// again as an archive from its central directory; archive.go) and UTF-16 (with or without a
// byte order mark; text after a mark is also read as it reads without one, so two bytes
// cannot hide it). An input compressed in a format the masker cannot read (xz, zstd, 7z,
// rar, lz4 ...), an encrypted zip entry or a stream cut short is withheld. A string with
// escapes is also read once with all of them decoded where they stand (unescape.go: \u,
// \x, octal, \n, \t, a line continuation, %XX, character references, quoted-printable's
// soft line breaks), so a value with one character escaped, or with its groups words apart,
// reads whole. An email address with its '@' and dots spelled ("jane [at] example [dot]
// com", "jane [dot] doe [@] example [.] com", "ada AT example DOT com", "bob@example . com")
// is read as the address, and one with an RFC 5322 comment by its '@' or an address literal
// for a domain is read whole. A card number, SSN or phone
// number split over the scalars of a JSON object or array or the fields of a CSV row
// ({"a":"4111","b":"1111",...}) is masked in every part. An encoded run
// is decoded, masked as an input of its own and written back encoded as it came; a run
// that decodes to binary (an image) holds no text value and is left alone. Decoding is
// bounded: at most MaxLayers encodings deep and, in all, four times the input (at least
// 1 MiB) of decoded bytes; what cannot be inspected within those limits is replaced by
// WithheldMarker and counted as Withheld. A value split by tags or comments
// ("4111<b>1111</b>11111111") is read as the page shows it (inline tags and comments
// removed, block tags as a space), masked whole and its tags written back (encoding
// "markup"). Masked.Findings names, for every value, its
// path (JSON pointer, NDJSON line, CSV row and column, XML path, text line and column) and
// the encodings it was under, never the value.
//
// # Spellings
//
// A value is read as its characters spell it, whatever bytes write them: fullwidth, other
// scripts' and Unicode's compatibility digits and letters ("４", "٤", "⁴", "①", "𝟒"),
// every Unicode dash, space and line break, middle dots, invisible characters inside it
// (every default-ignorable code point, control characters), combining marks on its letters
// and digits, ideographic full stops in a domain, and Greek and Cyrillic letters drawn as
// Latin ones are folded to ASCII before the scan (fold.go). A terminal's escape sequences
// are markup: text is read without them and, for their parameters, with only their control
// bytes blanked (markup.go). Digit groups may be joined by any one punctuation or
// white-space separator, up to three bytes (sixteen of white space alone: a line break and
// its indentation), the same throughout ("4111_1111_1111_1111", one group per line, "4 1 1
// 1 ..."): such a run is judged by its digits, whole and then each longest
// stretch of groups of one size (loose.go). A line break between groups of digits is also
// read as a space, in a window around it (wrap.go), so a value that text wrapped at a line's
// width breaks reads whole, and the text around a value found so is read again with it
// masked. A card number written as digit words of English, Spanish,
// French, German, Italian, Portuguese or Dutch ("four one one one ...", "cuatro uno uno
// ...") is read as the digits it spells, and so are an SSN or phone number under their
// label. A number glued to a word that labels it ("card_4111...", "SSN078-05-1120"), to a
// value found before it ("a@b.com-4111..."), after a '+' that is no phone number's, or
// after a magnetic stripe's track 1 format code ("%B4111...^") stands apart; after '$', '@'
// or a currency's code (an amount's or a version's: "USD4111...") it is judged as a card only.
//
// # Streaming
//
// Engine.Stream masks an input of any size in bounded memory and writes as it goes (the
// mandate mask command): JSON a run of whole array elements or documents at a time (up to
// 256 KiB, looked for in a 1 MiB read-ahead and masked by the same walker as Mask, so the
// bytes written are Mask's), and token by token inside a value longer than that, each key
// and scalar masked under the key that labels it; invalid UTF-8 replaced as Mask replaces
// it; the output held until a separator so that JSON found invalid part way is masked as
// text from there; text and CSV a chunk at a time, cut at record boundaries and
// never inside a value; gzip decompressed as it is read; a zip archive, a zlib or bzip2
// stream, UTF-16 and formats the masker cannot read are read whole (up to four times
// StreamLimit) and masked as Mask masks them.
//
// Each detector has labelled positives and near-misses in testdata/masking/corpus.jsonl;
// TestCorpusPrecisionRecall fails when precision or recall of any detector is under 0.95.
//
// # Modes and profiles
//
// Per detector: ModeRedact ("[EMAIL]"), ModePartial ("[CARD ****1111]"), ModeToken
// ("tok_email_<HMAC>", keyed per deployment so equal values join), ModeFormat (a keyed
// stand-in of the same shape) and ModeOff. A Profile names a mode per detector, the fields
// masked whole, the input cap and what to do with secrets in requests; a Catalog holds the
// built-in profiles (profiles.yaml) and those of a profile document. A field is named by a
// key in any of its spellings (FieldName: case, separators and case changes, fullwidth and
// other compatibility letters, accents, Cyrillic letters drawn as Latin ones and invisible
// characters do not count), so "date_of_birth" masks "dateOfBirth" and "DATE-OF-BIRTH".
//
// # Design
//
// One pass over the bytes: a byte-class table finds candidates ('@' for an email or a URL
// password; a digit, '+' or '(' for a number; ':' and '=' after a label; '-' for a PEM
// block; the first letters of shaped secrets at a word start), hand-written scanners read
// them and validators decide. No regular expression and no encoding/json decoding run on
// this path. In JSON mode only string values (and integer numbers) are examined, strings
// with escapes are decoded one at a time, a string holding a JSON document is masked as
// JSON and written back escaped, and the output is the input copied through with the
// matched spans replaced. CSV is read field by field with its header as labels.
//
// # Contract
//
//   - Masking MUST never return a value a detector matched: every match is replaced, and
//     masking the output again finds nothing (a named field is masked again whatever it
//     holds, its redaction included; a format-preserving stand-in is never detected).
//   - Input the engine cannot read as its format is masked as text; input beyond the cap is
//     cut and marked with TruncatedMarker, before any value that straddles the cap, so no
//     prefix of a value is returned. Invalid UTF-8 is replaced by U+FFFD before scanning.
//     A part that cannot be inspected within the decoding limits is withheld whole. An input
//     someone else already cut at a size limit (MaskCut) is cut again before its last
//     separator, so the first part of a value is never returned. Nothing is ever passed
//     through unmasked.
//   - In JSON mode a key MUST change only where it holds a detected value, the output MUST
//     be valid JSON and structurally equal to the input apart from the masked values; an
//     integer number that is masked becomes a JSON string.
//   - The Summary carries counts per detector name, never a value; errors never carry
//     content. Token values (Masked.Tokens) are for a Vault only, and a ClaimsVault seals
//     them, bound to their session.
//   - An Engine is immutable after New and safe for concurrent use; the zero Engine masks with
//     every detector on, so a forgotten constructor fails safe.
package mask
