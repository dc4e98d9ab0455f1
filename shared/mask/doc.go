// Package mask finds sensitive values in what a target returns and replaces them before the
// result reaches an agent, the audit record or a log.
//
// # Place in the flow
//
//	authenticate -> session -> classify -> evaluate -> record decision -> broker -> execute
//	-> mask -> record result -> respond
//
// The authority calls Engine.Apply on the body the executor returned, after execute and before
// the result record is appended and the response is written, so neither the audit chain nor
// the agent ever holds an unmasked value. The prompt that opens a session goes through
// Engine.Text before it is stored.
//
// # Detectors
//
// Email (Email), payment card numbers with a known IIN range and a valid Luhn digit (Card), US
// Social Security numbers following the SSA's area/group/serial rules (SSN), and phone numbers
// in E.164 and common national formats (Phone). A bare nine-digit SSN or ten-digit phone number
// is only taken when a JSON key or a word just before it says so ("ssn", "phone", ...), so
// plain integers, timestamps and ids are left alone. WithFields names JSON keys whose values
// are masked whatever they hold (Field).
//
// Each detected value is replaced by its redaction: "[EMAIL]", "[CARD]", "[SSN]", "[PHONE]",
// and "[REDACTED]" for a named field.
//
// # Design
//
// One pass over the bytes: a byte-class table finds candidates ('@' for an email; a digit, '+'
// or '(' for a number), hand-written scanners read them and validators decide. No regular
// expression and no encoding/json decoding run on this path. In JSON mode only string values
// (and integer numbers) are examined, strings with escapes are decoded one at a time, and the
// output is the input copied through with the matched spans replaced.
//
// # Contract
//
//   - Masking MUST never return a value a detector matched: after masking, masking the output
//     again finds nothing.
//   - In JSON mode keys MUST never change, the output MUST be valid JSON and structurally equal
//     to the input apart from the masked values; an integer number that is masked becomes a
//     JSON string.
//   - The Summary carries counts per detector name, never a value; errors never carry content.
//   - An Engine is immutable after New and safe for concurrent use.
package mask
