// Package witness lets a checkpoint be cosigned by a witness that Mandate does not control,
// over the C2SP tlog-witness protocol (https://c2sp.org/tlog-witness): the log sends its new
// checkpoint with a consistency proof from the size the witness last saw; the witness checks
// the log's signature and the proof, remembers the new size and root, and answers with its
// cosignature/v1 line (https://c2sp.org/tlog-cosignature). A log that rewrote or cut the
// history a witness saw can never get that witness's cosignature again.
//
// Place in the flow: asynchronous, after a checkpoint is written. Server is the witness (a
// process of its own, run by someone other than Mandate's operator); Add is the log's client.
// `mandate verify --since NOTE --witness VKEY --cosignatures N` requires N such cosignatures.
//
// Contract: Server MUST cosign only a checkpoint signed by a log it knows, whose size is not
// below what it saw, with a valid consistency proof from exactly the size it saw (409 with its
// size otherwise, so the log can retry), and MUST persist what it saw before answering.
// ParseRequest MUST reject every malformed body with ErrMalformed and never panic.
package witness
