package checkpoint

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/store"
)

// Kinds of problem VerifyArchive reports.
const (
	// Deleted: a record, an object or a checkpoint that must exist is missing.
	Deleted = "deleted"
	// Modified: content differs from what its hash, its chain or its checkpoint commits to.
	Modified = "modified"
	// Reordered: records of a session appear out of sequence within an object.
	Reordered = "reordered"
	// Truncated: an object or a chain ends early.
	Truncated = "truncated"
	// Forged: a checkpoint whose signature, link or root does not hold.
	Forged = "forged checkpoint"
)

// Problem is one thing wrong with an archive, named as precisely as the evidence allows.
type Problem struct {
	Kind       string `json:"kind"`
	Session    string `json:"session,omitempty"`
	Seq        uint64 `json:"seq,omitempty"`
	Object     string `json:"object,omitempty"`
	Checkpoint uint64 `json:"checkpoint,omitempty"`
	Detail     string `json:"detail"`
}

func (p Problem) String() string {
	var where []string
	if p.Session != "" {
		where = append(where, fmt.Sprintf("record %s#%d", p.Session, p.Seq))
	}
	if p.Object != "" {
		where = append(where, "object "+p.Object)
	}
	if p.Checkpoint != 0 {
		where = append(where, fmt.Sprintf("checkpoint %d", p.Checkpoint))
	}
	return fmt.Sprintf("%s: %s: %s", p.Kind, strings.Join(where, ", "), p.Detail)
}

// Report is the outcome of verifying an archive.
type Report struct {
	Checkpoints int `json:"checkpoints"`
	Objects     int `json:"objects"`
	Records     int `json:"records"`
	Sessions    int `json:"sessions"`
	// Uncovered counts the records in objects that no valid checkpoint covers yet.
	Uncovered int `json:"uncovered"`
	// Duplicates counts identical copies of a record beyond the first (harmless).
	Duplicates int `json:"duplicates"`
	// Unarchived counts the store's records newer than anything archived for their session
	// (shipping lag, or a crash before the shipper ran); UnarchivedSince is the time of the
	// oldest of them. Within Options.LagBound they are not a problem; past it they are.
	Unarchived      int       `json:"unarchived"`
	UnarchivedSince time.Time `json:"unarchived_since,omitzero"`
	// Size and Root are those of the newest checkpoint whose whole history verified (the log
	// of every checkpoint before it is sound); zero when there is none.
	Size uint64 `json:"size"`
	Root string `json:"root,omitempty"`
	// Newest is that checkpoint.
	Newest *Checkpoint `json:"-"`
	// Cosigners are the known witnesses that cosigned the newest checkpoint; CosignShortfall
	// is set when they are fewer than Options.Cosignatures (unverifiable, not broken).
	Cosigners       []string `json:"cosigners,omitempty"`
	CosignShortfall bool     `json:"cosign_shortfall,omitempty"`
	// Leaves are the log's first Size leaves, for inclusion and consistency proofs.
	Leaves Leaves `json:"-"`
	// leafIndex maps a record to its leaf index in the log.
	leafIndex map[recordID]uint64
	Problems  []Problem `json:"problems"`
}

type recordID struct {
	session string
	seq     uint64
}

// LeafOf returns the leaf index of a record in the verified log (below Size), and false when
// the record is not in it.
func (r Report) LeafOf(session string, seq uint64) (uint64, bool) {
	i, ok := r.leafIndex[recordID{session, seq}]
	return i, ok && i < r.Size
}

// Intact reports whether no problem was found.
func (r Report) Intact() bool { return len(r.Problems) == 0 }

// Options tune VerifyArchive.
type Options struct {
	// Verifier holds the trusted public key; required.
	Verifier *Verifier
	// Store, when set, is compared with the archive: every record of every chain in it must be
	// in the archive with the same hash, and the other way round.
	Store store.Audit
	// Progress, when set, is called as objects are read.
	Progress func(done, total int)
	// Since is a checkpoint the verifier kept from an earlier run (or was handed by a witness):
	// it must verify with the trusted key, the archive's newest checkpoint must be at least as
	// large, and the log must be consistent with it (an RFC 6962 consistency proof). Anything
	// else is a problem: history it saw was cut or rewritten.
	Since *Checkpoint
	// LagBound is how old a record in the store may be while it is not archived yet before it
	// is a problem (DefaultLagBound when zero). Only used with Store.
	LagBound time.Duration
	// Now is the clock lag is measured with (time.Now when nil).
	Now func() time.Time
	// Witnesses verify the cosignatures on the notes in the archive's cosigned/ folder. A note
	// a known witness cosigned is evidence of what the log was: a larger or different tree
	// than the archive's is a problem. Cosignatures is how many witnesses must have cosigned
	// the newest checkpoint (Report.Cosigners).
	Witnesses    []note.Verifier
	Cosignatures int
}

// DefaultLagBound is how long a record may sit in the store without being archived before
// verify calls it missing. The shipper batches for seconds and `mandate local` ships every
// second and when it starts, so a quarter of an hour only passes when shipping has stopped
// (a crashed instance not restarted, a stream that fell behind its 24 hours) or the archive's
// tail was cut.
const DefaultLagBound = 15 * time.Minute

type objectData struct {
	content []byte
	lines   []archive.Line
	err     error
}

type entry struct {
	line   archive.Line
	object string
}

// VerifyArchive reads every audit object and checkpoint of b and checks them: each record's
// canonical encoding and hash, each session's sequence and links, each checkpoint's signature
// with the trusted key, the links between checkpoints, each covered object's digest and count,
// and each root. An error means the archive could not be read; problems found are in the
// report, record problems first.
func VerifyArchive(ctx context.Context, b archive.Bucket, o Options) (Report, error) {
	if o.Verifier == nil {
		return Report{}, errors.New("checkpoint: verify needs a trusted public key")
	}
	var rep Report
	cpKeys, err := b.List(ctx, archive.CheckpointPrefix)
	if err != nil {
		return rep, err
	}
	keys, err := b.List(ctx, archive.AuditPrefix)
	if err != nil {
		return rep, err
	}
	objects := map[string]*objectData{}
	var recordProblems []Problem
	bySession := map[string][]entry{}
	for i, k := range keys {
		if !archive.IsObjectKey(k) {
			recordProblems = append(recordProblems, Problem{Kind: Modified, Object: k, Detail: "an object whose name is not of the archive's layout"})
			continue
		}
		body, err := b.Get(ctx, k)
		if err != nil {
			return rep, err
		}
		od := &objectData{}
		objects[k] = od
		rep.Objects++
		var raw [][]byte
		od.content, raw, od.err = archive.Decode(body)
		if od.err != nil {
			kind := Modified
			if errors.Is(od.err, archive.ErrTruncated) {
				kind = Truncated
			}
			recordProblems = append(recordProblems, Problem{Kind: kind, Object: k, Detail: od.err.Error()})
		}
		last := map[string]uint64{}
		for n, rawLine := range raw {
			l, err := archive.ParseLine(rawLine)
			if err != nil {
				recordProblems = append(recordProblems, Problem{Kind: Modified, Object: k, Detail: fmt.Sprintf("line %d: %v", n+1, err)})
				continue
			}
			if l.Seq <= last[l.Session] {
				recordProblems = append(recordProblems, Problem{Kind: Reordered, Session: l.Session, Seq: l.Seq, Object: k,
					Detail: fmt.Sprintf("line %d comes after seq %d of the same session", n+1, last[l.Session])})
			}
			last[l.Session] = max(last[l.Session], l.Seq)
			od.lines = append(od.lines, l)
			bySession[l.Session] = append(bySession[l.Session], entry{line: l, object: k})
			rep.Records++
		}
		if o.Progress != nil {
			o.Progress(i+1, len(keys))
		}
	}
	if vl, ok := b.(versionLister); ok {
		ps, err := checkVersions(ctx, vl)
		if err != nil {
			return rep, err
		}
		recordProblems = append(recordProblems, ps...)
	}
	rep.Problems = append(rep.Problems, recordProblems...)
	rep.Problems = append(rep.Problems, verifyChains(bySession, &rep)...)
	covered, cpProblems := verifyCheckpoints(ctx, b, cpKeys, objects, o.Verifier, &rep)
	rep.Problems = append(rep.Problems, cpProblems...)
	if o.Since != nil {
		rep.Problems = append(rep.Problems, checkSince(*o.Since, o.Verifier, &rep)...)
	}
	if len(o.Witnesses) > 0 || o.Cosignatures > 0 {
		ps, err := checkCosigned(ctx, b, o, &rep)
		if err != nil {
			return rep, err
		}
		rep.Problems = append(rep.Problems, ps...)
	}
	for k, od := range objects {
		if !covered[k] {
			rep.Uncovered += len(od.lines)
		}
	}
	if o.Store != nil {
		now, bound := time.Now, o.LagBound
		if o.Now != nil {
			now = o.Now
		}
		if bound <= 0 {
			bound = DefaultLagBound
		}
		ps, err := compareStore(ctx, o.Store, bySession, &rep, now(), bound)
		if err != nil {
			return rep, err
		}
		rep.Problems = append(rep.Problems, ps...)
	}
	return rep, nil
}

// versionLister is a bucket that keeps object versions (archive.S3): its deletions leave
// delete markers, its overwrites older versions.
type versionLister interface {
	Versions(ctx context.Context, prefix string) ([]archive.Version, error)
}

// checkVersions reports every delete marker (a deletion a listing of current objects does not
// show) and every object with more than one version (an overwrite) under the archive's
// prefixes.
func checkVersions(ctx context.Context, vl versionLister) ([]Problem, error) {
	var out []Problem
	for _, prefix := range []string{archive.AuditPrefix, archive.CheckpointPrefix} {
		vs, err := vl.Versions(ctx, prefix)
		if err != nil {
			return nil, err
		}
		bodies := map[string]int{}
		for _, v := range vs {
			if v.DeleteMarker {
				p := Problem{Kind: Deleted, Object: v.Key, Detail: fmt.Sprintf("a delete marker (version %s) hides the object", v.VersionID)}
				if i, ok := IndexOf(v.Key); ok {
					p.Checkpoint = i
				}
				out = append(out, p)
				continue
			}
			bodies[v.Key]++
		}
		for _, v := range vs {
			if n := bodies[v.Key]; n > 1 && !v.DeleteMarker && v.Latest {
				out = append(out, Problem{Kind: Modified, Object: v.Key, Detail: fmt.Sprintf("the object has %d versions: it was written over", n)})
			}
		}
	}
	return out, nil
}

// verifyChains checks each session's records, in sequence order, with audit.VerifyRecords.
func verifyChains(bySession map[string][]entry, rep *Report) []Problem {
	var out []Problem
	ids := make([]string, 0, len(bySession))
	for id := range bySession {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rep.Sessions = len(ids)
	for _, id := range ids {
		es := bySession[id]
		slices.SortStableFunc(es, func(a, b entry) int { return cmpU(a.line.Seq, b.line.Seq) })
		var recs []store.Record
		var where []string
		for i, e := range es {
			if i > 0 && es[i-1].line.Seq == e.line.Seq {
				if bytes.Equal(es[i-1].line.Body, e.line.Body) {
					rep.Duplicates++
					continue
				}
				out = append(out, Problem{Kind: Modified, Session: id, Seq: e.line.Seq, Object: e.object,
					Detail: fmt.Sprintf("differs from another record with the same sequence in %s", es[i-1].object)})
				continue
			}
			l := e.line
			recs = append(recs, store.Record{SessionID: l.Session, Seq: l.Seq, Hash: l.Hash, PrevHash: l.Prev, Body: l.Body})
			where = append(where, e.object)
		}
		r := audit.VerifyRecords(id, recs)
		if r.Break == nil {
			continue
		}
		p := Problem{Session: id, Seq: r.Break.Seq, Detail: r.Break.Detail}
		if i := int(r.Break.Seq) - 1; i < len(where) {
			p.Object = where[i]
		}
		switch r.Break.Kind {
		case audit.BrokenSequence:
			p.Kind, p.Object = Deleted, ""
			p.Detail = fmt.Sprintf("missing from the archive (%s)", r.Break.Detail)
		case audit.BrokenLink:
			p.Kind = Modified
			p.Detail = "replaced or re-hashed: " + r.Break.Detail
		default:
			p.Kind = Modified
		}
		out = append(out, p)
	}
	return out
}

// verifyCheckpoints checks signatures, links and roots, and returns which objects valid
// checkpoints cover.
func verifyCheckpoints(ctx context.Context, b archive.Bucket, keys []string, objects map[string]*objectData, v *Verifier, rep *Report) (map[string]bool, []Problem) {
	var out []Problem
	covered := map[string]bool{}
	// sound holds while every checkpoint so far verified in full: leaves is then the log.
	sound := true
	var leaves Leaves
	var prev *Checkpoint // the last checkpoint whose signature verified
	want := uint64(1)
	for _, k := range keys {
		idx, ok := IndexOf(k)
		if !ok {
			out = append(out, Problem{Kind: Forged, Object: k, Detail: "an object whose name is not a checkpoint's"})
			continue
		}
		rep.Checkpoints++
		for ; want < idx; want++ {
			out = append(out, Problem{Kind: Deleted, Checkpoint: want, Detail: "checkpoint missing"})
			prev = nil
			sound = false
		}
		want = idx + 1
		body, err := b.Get(ctx, k)
		if err != nil {
			out = append(out, Problem{Kind: Deleted, Checkpoint: idx, Detail: err.Error()})
			prev = nil
			sound = false
			continue
		}
		c, err := Parse(body)
		if err != nil || c.Index != idx {
			out = append(out, Problem{Kind: Forged, Checkpoint: idx, Detail: fmt.Sprintf("not a checkpoint of this index: %v", err)})
			prev = nil
			sound = false
			continue
		}
		st, err := c.Statement()
		if err != nil {
			out = append(out, Problem{Kind: Forged, Checkpoint: idx, Detail: err.Error()})
			prev = nil
			sound = false
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(c.Signature)
		if err == nil {
			err = v.Verify(c.KeyID, c.Algorithm, st, sig)
		}
		if err != nil {
			out = append(out, Problem{Kind: Forged, Checkpoint: idx, Detail: fmt.Sprintf("signature: %v", err)})
			prev = nil
			sound = false
			continue
		}
		problems := len(out)
		if c.Version >= 2 || c.Note != "" {
			if p, ok := checkNote(c, v); !ok {
				out = append(out, p)
			}
		}
		start := rangeFactory().NewEmptyRange(0)
		switch {
		case idx == 1 && c.Prev != "":
			out = append(out, Problem{Kind: Forged, Checkpoint: idx, Detail: "the first checkpoint names a predecessor"})
		case idx > 1 && prev == nil:
			// The predecessor is missing or invalid, already reported: check what can be.
			start = nil
		case idx > 1:
			h, _ := prev.StatementHash()
			if c.Prev != h {
				out = append(out, Problem{Kind: Forged, Checkpoint: idx, Detail: fmt.Sprintf("does not link to checkpoint %d", prev.Index)})
			}
			if start, err = prev.openRange(); err != nil {
				out = append(out, Problem{Kind: Forged, Checkpoint: prev.Index, Detail: err.Error()})
				start = nil
			}
		}
		for _, ob := range c.Objects {
			if covered[ob.Key] {
				out = append(out, Problem{Kind: Forged, Checkpoint: idx, Object: ob.Key, Detail: "object covered by an earlier checkpoint too"})
				start = nil
				continue
			}
			covered[ob.Key] = true
			od, ok := objects[ob.Key]
			if !ok {
				out = append(out, Problem{Kind: Deleted, Checkpoint: idx, Object: ob.Key, Detail: fmt.Sprintf("object with %d records covered by the checkpoint is missing", ob.Records)})
				start = nil
				continue
			}
			sum := sha256.Sum256(od.content)
			switch got := uint64(len(od.lines)); {
			case od.err == nil && got < ob.Records:
				out = append(out, Problem{Kind: Truncated, Checkpoint: idx, Object: ob.Key, Detail: fmt.Sprintf("holds %d records, the checkpoint covers %d", got, ob.Records)})
				start = nil
			case od.err == nil && hex.EncodeToString(sum[:]) != ob.SHA256:
				out = append(out, Problem{Kind: Modified, Checkpoint: idx, Object: ob.Key, Detail: "content differs from what the checkpoint covers"})
				start = nil
			case od.err != nil:
				start = nil // reported with the object
			}
			if start != nil {
				for _, l := range od.lines {
					leaf, err := leafOf(l)
					if err == nil {
						err = start.Append(leaf, nil)
					}
					if err != nil {
						start = nil
						break
					}
					if rep.leafIndex == nil {
						rep.leafIndex = map[recordID]uint64{}
					}
					rep.leafIndex[recordID{l.Session, l.Seq}] = uint64(len(leaves))
					leaves = append(leaves, leaf)
				}
			}
		}
		if start != nil && len(out) == problems {
			root, hashes, err := rootOf(start)
			if err != nil || root != c.Root || start.End() != c.Size || !slices.Equal(hashes, c.Range) {
				out = append(out, Problem{Kind: Forged, Checkpoint: idx, Detail: fmt.Sprintf("root %s over %d records does not match the signed root %s over %d", short(root), start.End(), short(c.Root), c.Size)})
			}
		}
		if sound = sound && start != nil && len(out) == problems && uint64(len(leaves)) == c.Size; sound {
			c := c
			rep.Size, rep.Root, rep.Newest, rep.Leaves = c.Size, c.Root, &c, leaves[:c.Size:c.Size]
		}
		prev = &c
	}
	return covered, out
}

// compareStore checks that the store's chains and the archive hold the same records. Records
// newer than everything archived for their session are shipping lag, counted in the report,
// and a problem only once the oldest of them is older than bound.
func compareStore(ctx context.Context, st store.Audit, bySession map[string][]entry, rep *Report, now time.Time, bound time.Duration) ([]Problem, error) {
	ids, err := st.Chains(ctx)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: list chains: %w", err)
	}
	var out, late []Problem
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
		recs, err := st.Records(ctx, id, 1, 0)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: read chain %s: %w", id, err)
		}
		archived := map[uint64]string{}
		var top uint64
		for _, e := range bySession[id] {
			archived[e.line.Seq] = e.line.Hash
			top = max(top, e.line.Seq)
		}
		for i, r := range recs {
			h, ok := archived[r.Seq]
			if ok && h == r.Hash {
				continue
			}
			if !ok && r.Seq > top {
				// Every record from here on is newer than the archive's last one: lag.
				rep.Unarchived += len(recs) - i
				at := recordTime(r)
				if rep.UnarchivedSince.IsZero() || at.Before(rep.UnarchivedSince) {
					rep.UnarchivedSince = at
				}
				if age := now.Sub(at); age > bound {
					late = append(late, Problem{Kind: Truncated, Session: id, Seq: r.Seq, Detail: fmt.Sprintf(
						"the store holds records up to seq %d, the archive ends at seq %d, and seq %d has waited %s to be archived (bound %s)",
						recs[len(recs)-1].Seq, top, r.Seq, age.Round(time.Second), bound)})
				}
				break
			}
			p := Problem{Kind: Modified, Session: id, Seq: r.Seq, Detail: "the store and the archive hold different records"}
			if !ok {
				p.Kind, p.Detail = Deleted, "in the store, missing from the archive"
			}
			out = append(out, p)
			break // the first difference of a chain names it
		}
		if n := uint64(len(recs)); n < top {
			out = append(out, Problem{Kind: Truncated, Session: id, Seq: n + 1, Detail: fmt.Sprintf("the archive holds records up to seq %d, the store's chain ends at seq %d", top, n)})
		}
	}
	for id, es := range bySession {
		if !seen[id] {
			out = append(out, Problem{Kind: Deleted, Session: id, Seq: es[0].line.Seq, Detail: "the archive holds a chain the store does not"})
		}
	}
	out = append(out, late...)
	slices.SortStableFunc(out, func(a, b Problem) int { return strings.Compare(a.Session, b.Session) })
	return out, nil
}

// recordTime reads a stored record's time; the zero time (oldest possible) when it cannot.
func recordTime(r store.Record) time.Time {
	var v struct {
		Time time.Time `json:"time"`
	}
	_ = json.Unmarshal(r.Body, &v)
	return v.Time
}

// checkNote checks that a checkpoint's C2SP note is signed by the trusted key and states the
// same tree as the checkpoint.
func checkNote(c Checkpoint, v *Verifier) (Problem, bool) {
	n, err := OpenNote([]byte(c.Note), c.Origin, v, nil, 0)
	if err != nil {
		return Problem{Kind: Forged, Checkpoint: c.Index, Detail: fmt.Sprintf("checkpoint note: %v", err)}, false
	}
	if n.Size != c.Size || hex.EncodeToString(n.Root) != c.Root {
		return Problem{Kind: Forged, Checkpoint: c.Index, Detail: fmt.Sprintf("the checkpoint note states %d records, the checkpoint %d", n.Size, c.Size)}, false
	}
	return Problem{}, true
}

// checkCosigned checks every witness-cosigned note in the archive against the log: a witness
// that saw more records, or another tree of a size the log has, shows the log was cut or
// rewritten. Notes no known witness cosigned are no evidence and are skipped.
func checkCosigned(ctx context.Context, b archive.Bucket, o Options, rep *Report) ([]Problem, error) {
	keys, err := b.List(ctx, CosignedPrefix)
	if err != nil {
		return nil, err
	}
	var out []Problem
	for _, k := range keys {
		body, err := b.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		n, err := OpenNote(body, "", o.Verifier, o.Witnesses, 1)
		if err != nil {
			continue
		}
		switch root, rerr := rep.Leaves.Root(n.Size); {
		case n.Size > rep.Size:
			out = append(out, Problem{Kind: Truncated, Object: k, Detail: fmt.Sprintf(
				"witnesses %s cosigned %d records; the newest checkpoint that verifies covers %d", strings.Join(n.Cosigners, ", "), n.Size, rep.Size)})
		case rerr != nil || !bytes.Equal(root, n.Root):
			out = append(out, Problem{Kind: Modified, Object: k, Detail: fmt.Sprintf(
				"witnesses %s cosigned another tree of %d records: records it covered were rewritten", strings.Join(n.Cosigners, ", "), n.Size)})
		case rep.Newest != nil && n.Size == rep.Newest.Size:
			for _, c := range n.Cosigners {
				if !slices.Contains(rep.Cosigners, c) {
					rep.Cosigners = append(rep.Cosigners, c)
				}
			}
		}
	}
	rep.CosignShortfall = len(rep.Cosigners) < o.Cosignatures
	return out, nil
}

// checkSince checks the archive's log against a checkpoint kept earlier: same key, at least as
// many records, and consistent (the kept tree is a prefix of the newest).
func checkSince(kept Checkpoint, v *Verifier, rep *Report) []Problem {
	var err error
	if kept.Signature == "" {
		// A note kept alone: its log signature is the check (cosignatures were checked when
		// it was read).
		_, err = OpenNote([]byte(kept.Note), kept.Origin, v, nil, 0)
	} else {
		var st, sig []byte
		st, err = kept.Statement()
		if err == nil {
			sig, err = base64.StdEncoding.DecodeString(kept.Signature)
		}
		if err == nil {
			err = v.Verify(kept.KeyID, kept.Algorithm, st, sig)
		}
	}
	if err != nil {
		return []Problem{{Kind: Forged, Checkpoint: kept.Index, Detail: fmt.Sprintf("the checkpoint kept earlier does not verify with the trusted key (the log was re-keyed?): %v", err)}}
	}
	if rep.Size < kept.Size {
		return []Problem{{Kind: Truncated, Checkpoint: kept.Index, Detail: fmt.Sprintf(
			"a checkpoint kept earlier covers %d records; the newest checkpoint of the archive that verifies covers %d", kept.Size, rep.Size)}}
	}
	root1, err1 := hex.DecodeString(kept.Root)
	root2, err2 := hex.DecodeString(rep.Root)
	p, err := rep.Leaves.Consistency(kept.Size, rep.Size)
	if err == nil {
		err = errors.Join(err1, err2)
	}
	if err == nil && VerifyConsistency(kept.Size, rep.Size, p, root1, root2) != nil {
		err = fmt.Errorf("no consistency proof from %d to %d records holds", kept.Size, rep.Size)
	}
	if err != nil {
		return []Problem{{Kind: Modified, Checkpoint: kept.Index, Detail: fmt.Sprintf(
			"the log is not consistent with the checkpoint kept earlier (%d records, root %s): records it covered were rewritten or removed (%v)", kept.Size, short(kept.Root), err)}}
	}
	return nil
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
