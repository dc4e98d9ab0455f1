package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/mandate-dev/mandate/shared/store"
)

// Problem kinds a verification can report.
const (
	BrokenHash     = "hash"     // the record's content does not match its hash (modified)
	BrokenLink     = "link"     // prev_hash does not match the previous record (reordered, forged)
	BrokenSequence = "sequence" // a sequence number is missing or repeated (deleted, inserted)
	BrokenEncoding = "encoding" // the stored bytes are not a canonical record
	BrokenKey      = "key"      // the stored keys disagree with the record's content
)

// Break names the first broken record of a chain and why.
type Break struct {
	Session string `json:"session"`
	Seq     uint64 `json:"seq"`
	Kind    string `json:"kind"`
	Detail  string `json:"detail"`
	// Found is the sequence number of the record found where Seq was expected (kinds
	// sequence and key).
	Found uint64 `json:"found,omitempty"`
	// later: the expected record is stored further on.
	later bool
}

// Causes of a break, as `mandate verify` names them.
const (
	Deleted   = "deleted"
	Modified  = "modified"
	Reordered = "reordered"
)

// Cause names what most likely happened to the chain: a record deleted (a later one is found
// where it was expected, and it is nowhere after), reordered (it is found later, or an
// earlier one is found, or a record is stored under another record's key), or modified
// (content, hash or link).
func (b *Break) Cause() string {
	switch {
	case b.Kind == BrokenSequence && b.Found > b.Seq && !b.later:
		return Deleted
	case b.Kind == BrokenSequence, b.Kind == BrokenKey && b.Found != b.Seq:
		return Reordered
	}
	return Modified
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit: chain %s broken at seq %d (%s): %s", b.Session, b.Seq, b.Kind, b.Detail)
}

// Report is the outcome of verifying one chain.
type Report struct {
	Session string
	Records []Record
	Head    string // hash of the last record
	Break   *Break // nil when intact
}

// VerifyRecords checks one session's stored records, in order: canonical encoding, hash,
// keys, sequence continuity from 1 and prev_hash links. It returns the decoded records up to
// the first break and that break (nil when the chain is intact).
func VerifyRecords(session string, stored []store.Record) Report {
	rep := Report{Session: session}
	var prev string
	for i, s := range stored {
		want := uint64(i + 1)
		fail := func(kind, format string, args ...any) Report {
			rep.Break = &Break{Session: session, Seq: want, Kind: kind, Detail: fmt.Sprintf(format, args...)}
			return rep
		}
		var r Record
		dec := json.NewDecoder(bytes.NewReader(s.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return fail(BrokenEncoding, "undecodable record: %v", err)
		}
		sealed := r
		body, err := Seal(&sealed)
		if err != nil {
			return fail(BrokenEncoding, "%v", err)
		}
		if sealed.Hash != r.Hash {
			return fail(BrokenHash, "content hashes to %s, record says %s", short(sealed.Hash), short(r.Hash))
		}
		if !bytes.Equal(body, s.Body) {
			return fail(BrokenEncoding, "stored bytes are not the canonical encoding")
		}
		if r.Session != session || s.SessionID != session || s.Seq != r.Seq || s.Hash != r.Hash || s.PrevHash != r.PrevHash {
			rep = fail(BrokenKey, "stored keys (%s#%d) disagree with the record (%s#%d)", s.SessionID, s.Seq, r.Session, r.Seq)
			rep.Break.Found = r.Seq
			return rep
		}
		if r.Seq != want {
			rep = fail(BrokenSequence, "expected seq %d, found %d", want, r.Seq)
			rep.Break.Found = r.Seq
			for _, t := range stored[i+1:] {
				if t.Seq == want {
					rep.Break.later = true
				}
			}
			return rep
		}
		if r.PrevHash != prev {
			return fail(BrokenLink, "prev_hash %s does not match the previous record's hash %s", short(r.PrevHash), short(prev))
		}
		prev = r.Hash
		rep.Records = append(rep.Records, r)
	}
	rep.Head = prev
	return rep
}

// VerifyChain reads a session's whole chain from s and verifies it.
func VerifyChain(ctx context.Context, s store.Audit, session string) (Report, error) {
	stored, err := s.Records(ctx, session, 1, 0)
	if err != nil {
		return Report{}, fmt.Errorf("audit: read chain %s: %w", session, err)
	}
	return VerifyRecords(session, stored), nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "(none)"
	}
	return h
}

// VerifyAll verifies every chain in s, in session order, calling progress (if not nil) after
// each chain. It returns one report per chain; the caller decides what a break means.
func VerifyAll(ctx context.Context, s store.Audit, progress func(done, total int)) ([]Report, error) {
	ids, err := s.Chains(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: list chains: %w", err)
	}
	reps := make([]Report, 0, len(ids))
	for i, id := range ids {
		rep, err := VerifyChain(ctx, s, id)
		if err != nil {
			return reps, err
		}
		reps = append(reps, rep)
		if progress != nil {
			progress(i+1, len(ids))
		}
	}
	return reps, nil
}

// Unanswered is what a chain's results say of its decisions: Incomplete lists the allowed
// decisions no result record answers (the action may have run, but its outcome is not on
// record: a crash between execution and the result record, or an action still running), and
// Orphans lists the result records that answer no allowed decision of the chain, which the
// authority never writes.
type Unanswered struct {
	Incomplete []uint64 // sequence numbers of decisions
	Orphans    []uint64 // sequence numbers of results
}

// Answers checks records, one session's chain in order, for decisions without a result and
// results without a decision.
func Answers(records []Record) Unanswered {
	allowed := map[uint64]bool{}
	answered := map[uint64]bool{}
	var u Unanswered
	for _, r := range records {
		switch {
		case r.Type == TypeDecision && r.Verdict != nil && r.Verdict.Decision == "allow":
			allowed[r.Seq] = true
		case r.Type == TypeResult:
			if r.Result == nil || !allowed[r.Result.DecisionSeq] {
				u.Orphans = append(u.Orphans, r.Seq)
				continue
			}
			answered[r.Result.DecisionSeq] = true
		}
	}
	for _, r := range records {
		if allowed[r.Seq] && !answered[r.Seq] {
			u.Incomplete = append(u.Incomplete, r.Seq)
		}
	}
	return u
}
