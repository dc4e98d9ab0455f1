// Package checkpoint commits to the audit archive with signed Merkle checkpoints and verifies
// an archive against them.
//
// The archive's records form one append-only log whose leaves are the records' own hashes:
// a record hash is already an RFC 6962 leaf hash (SHA-256 of 0x00 and the canonical record),
// and interior nodes are SHA-256 of 0x01 and the two children (transparency-dev/merkle,
// rfc6962). Each checkpoint appends, in name order, the audit objects that no earlier
// checkpoint covered, lists them with their record counts and content digests, and states the
// log's size and root after them, the compact range that lets the next checkpoint extend the
// tree without rereading it, and the hash of the previous checkpoint's statement. The
// statement (the checkpoint's canonical JSON without its signature) is signed with a KMS
// asymmetric key (ECDSA_SHA_256) in AWS or an ed25519 key in the local data folder. Each
// checkpoint also carries the log's C2SP tlog-checkpoint (note.go): a signed note of origin,
// size and base64 root that witnesses cosign (shared/witness) and monitors read; Leaves
// answers RFC 6962 inclusion and consistency proofs (proof.go).
//
// Place in the flow: asynchronous. Requests never wait for a checkpoint: the scheduled
// checkpoint function (and, locally, the archive loop of `mandate local`) calls Writer.Run.
// `mandate verify` calls VerifyArchive.
//
// Contract: a checkpoint is written once under checkpoints/<index>.json with Object Lock, and
// MUST NOT be written when nothing new was shipped. VerifyArchive MUST check every signature
// with a public key the verifier trusts (never one read from the archive it checks), every
// link between checkpoints, every checkpoint note, every covered object's digest and count,
// every root, every record's hash chain, every delete marker and overwrite a versioned bucket
// shows, and the log's consistency with a checkpoint kept earlier (Options.Since), and report
// each problem with the record or checkpoint it concerns. Records the store holds and the
// archive does not yet are lag, not a problem, until older than Options.LagBound.
package checkpoint
