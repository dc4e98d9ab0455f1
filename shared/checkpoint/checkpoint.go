package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/mandate-dev/mandate/shared/archive"
)

// Version is the checkpoint format version written by this package. Version 2 adds the C2SP
// checkpoint (Origin, Note); version 1 checkpoints, without them, still verify.
const Version = 2

// DefaultLookback is how far back, by dt, Run looks for objects not yet covered. The audit
// table's stream keeps records 24 hours, so the shipper never writes an object older than
// that; two days leave a margin.
const DefaultLookback = 48 * time.Hour

// Checkpoint is one signed commitment to the archive.
type Checkpoint struct {
	Version int       `json:"v"`
	Index   uint64    `json:"index"` // from 1, without gaps
	Time    time.Time `json:"time"`
	// Prev is the hex SHA-256 of the previous checkpoint's statement; empty for index 1.
	Prev string `json:"prev"`
	// Size is the number of leaves (records) in the log after this checkpoint.
	Size uint64 `json:"size"`
	// Root is the hex RFC 6962 root of the log's first Size leaves.
	Root string `json:"root"`
	// Range is the compact range [0, Size): the hashes the next checkpoint extends.
	Range []string `json:"range"`
	// Objects are the audit objects this checkpoint appended, in leaf order.
	Objects []Object `json:"objects"`
	// Origin names the log in its C2SP checkpoint (version 2).
	Origin string `json:"origin,omitempty"`
	// Note is the log's C2SP checkpoint of (Origin, Size, Root): a signed note with the
	// log's signature line, what witnesses cosign and monitors read (version 2).
	Note string `json:"note,omitempty"`
	// Covered lists the audit objects covered by this or an earlier checkpoint whose dt is
	// within the lookback window (every one when the window is unbounded), so the next run
	// finds what is new without reading older checkpoints.
	Covered   []string `json:"covered"`
	KeyID     string   `json:"key_id"`
	Algorithm string   `json:"alg"`
	// Signature is the base64 signature of the statement; it is not part of the statement.
	Signature string `json:"sig,omitempty"`
}

// Object is one audit object a checkpoint covers.
type Object struct {
	Key     string `json:"key"`
	Records uint64 `json:"records"`
	SHA256  string `json:"sha256"` // hex SHA-256 of the object's uncompressed content
}

// Statement returns what is signed: the canonical JSON (RFC 8785) of c without its signature.
func (c Checkpoint) Statement() ([]byte, error) {
	c.Signature = ""
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: encode: %w", err)
	}
	return jcs.Transform(raw)
}

// StatementHash is the hex SHA-256 of the statement, what the next checkpoint's Prev holds.
func (c Checkpoint) StatementHash() (string, error) {
	st, err := c.Statement()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(st)
	return hex.EncodeToString(sum[:]), nil
}

// Key returns the object name of checkpoint index i.
func Key(i uint64) string { return fmt.Sprintf("%s%020d.json", archive.CheckpointPrefix, i) }

var checkpointKey = regexp.MustCompile(`^checkpoints/(\d{20})\.json$`)

// IndexOf returns the index a checkpoint object name carries, and false for another name.
func IndexOf(key string) (uint64, bool) {
	m := checkpointKey.FindStringSubmatch(key)
	if m == nil {
		return 0, false
	}
	i, err := strconv.ParseUint(m[1], 10, 64)
	return i, err == nil
}

// Parse decodes a checkpoint object strictly.
func Parse(b []byte) (Checkpoint, error) {
	if isNote(b) {
		return Checkpoint{}, errors.New("checkpoint: a signed note, not a checkpoint object: use ParseKept")
	}
	var c Checkpoint
	if err := decodeStrict(b, &c); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	return c, nil
}

// ParseKept reads a checkpoint kept outside the archive: a checkpoint object as the archive
// holds it, or its C2SP checkpoint note alone (possibly with witness cosignatures). A note
// is returned as a Checkpoint with Origin, Size, Root and Note set and no Signature: its
// signature is checked by VerifyArchive.
func ParseKept(b []byte) (Checkpoint, error) {
	if !isNote(b) {
		return Parse(b)
	}
	lines := strings.SplitN(string(b), "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, errors.New("checkpoint: a note too short to be a checkpoint")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint: note size %q is not a decimal number", lines[1])
	}
	if lines[0] == "" || strings.ContainsAny(lines[0], " \t\r") {
		return Checkpoint{}, fmt.Errorf("checkpoint: note origin %q is empty or holds white space", lines[0])
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return Checkpoint{}, fmt.Errorf("checkpoint: note root %q is not a base64 SHA-256", lines[2])
	}
	return Checkpoint{Version: Version, Origin: lines[0], Size: size, Root: hex.EncodeToString(root), Note: string(b)}, nil
}

var hasher = rfc6962.DefaultHasher

func rangeFactory() *compact.RangeFactory {
	return &compact.RangeFactory{Hash: hasher.HashChildren}
}

// openRange rebuilds the compact range a checkpoint states.
func (c Checkpoint) openRange() (*compact.Range, error) {
	hashes := make([][]byte, len(c.Range))
	for i, h := range c.Range {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("checkpoint %d: range hash %d is not a SHA-256", c.Index, i)
		}
		hashes[i] = b
	}
	return rangeFactory().NewRange(0, c.Size, hashes)
}

func rootOf(r *compact.Range) (string, []string, error) {
	root, err := r.GetRootHash(nil)
	if err != nil {
		return "", nil, err
	}
	if root == nil {
		root = hasher.EmptyRoot()
	}
	hashes := make([]string, 0, len(r.Hashes()))
	for _, h := range r.Hashes() {
		hashes = append(hashes, hex.EncodeToString(h))
	}
	return hex.EncodeToString(root), hashes, nil
}

// leafOf returns the leaf hash a record line states.
func leafOf(l archive.Line) ([]byte, error) {
	b, err := hex.DecodeString(l.Hash)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("record %s#%d: hash is not a SHA-256", l.Session, l.Seq)
	}
	return b, nil
}

// Writer writes checkpoints to a Bucket.
type Writer struct {
	Bucket archive.Bucket
	Signer Signer
	// Retention is how long checkpoints are locked (archive.DefaultRetention when zero).
	Retention time.Duration
	// Lookback bounds, by dt, which partitions are listed for new objects; zero lists all.
	Lookback time.Duration
	Now      func() time.Time
	// Origin names the log in its C2SP checkpoints (DefaultOrigin of the signer's key when
	// empty).
	Origin string
}

// Latest returns the checkpoint with the highest index; ok is false when there is none.
func Latest(ctx context.Context, b archive.Bucket) (c Checkpoint, ok bool, err error) {
	keys, err := b.List(ctx, archive.CheckpointPrefix)
	if err != nil {
		return Checkpoint{}, false, err
	}
	var last string
	for _, k := range keys {
		if _, isCP := IndexOf(k); isCP && k > last {
			last = k
		}
	}
	if last == "" {
		return Checkpoint{}, false, nil
	}
	body, err := b.Get(ctx, last)
	if err != nil {
		return Checkpoint{}, false, err
	}
	c, err = Parse(body)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("%s: %w", last, err)
	}
	return c, true, nil
}

// ErrRaced means another writer took the checkpoint index first; run again later.
var ErrRaced = errors.New("checkpoint: another checkpoint took the index")

// Run writes a checkpoint over the audit objects no checkpoint covers yet and returns it; it
// returns (nil, nil) when there is nothing new.
func (w *Writer) Run(ctx context.Context) (*Checkpoint, error) {
	now := w.Now().UTC()
	prev, havePrev, err := Latest(ctx, w.Bucket)
	if err != nil {
		return nil, err
	}
	covered := map[string]bool{}
	for _, k := range prev.Covered {
		covered[k] = true
	}
	listed, err := w.listRecent(ctx, now)
	if err != nil {
		return nil, err
	}
	var fresh []string
	for _, k := range listed {
		if archive.IsObjectKey(k) && !covered[k] {
			fresh = append(fresh, k)
		}
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	next := Checkpoint{Version: Version, Index: 1, Time: now, KeyID: w.Signer.KeyID(), Algorithm: w.Signer.Algorithm()}
	rng := rangeFactory().NewEmptyRange(0)
	if havePrev {
		next.Index = prev.Index + 1
		if next.Prev, err = prev.StatementHash(); err != nil {
			return nil, err
		}
		if rng, err = prev.openRange(); err != nil {
			return nil, err
		}
	}
	for _, k := range fresh {
		body, err := w.Bucket.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		content, lines, err := archive.Decode(body)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %s: %w", k, err)
		}
		for _, b := range lines {
			l, err := archive.ParseLine(b)
			if err != nil {
				return nil, fmt.Errorf("checkpoint: %s: %w", k, err)
			}
			leaf, err := leafOf(l)
			if err != nil {
				return nil, fmt.Errorf("checkpoint: %s: %w", k, err)
			}
			if err := rng.Append(leaf, nil); err != nil {
				return nil, err
			}
		}
		sum := sha256.Sum256(content)
		next.Objects = append(next.Objects, Object{Key: k, Records: uint64(len(lines)), SHA256: hex.EncodeToString(sum[:])})
	}
	next.Size = rng.End()
	if next.Root, next.Range, err = rootOf(rng); err != nil {
		return nil, err
	}
	for _, k := range append(prev.Covered, fresh...) {
		if w.inWindow(k, now) {
			next.Covered = append(next.Covered, k)
		}
	}
	slices.Sort(next.Covered)
	next.Origin = w.Origin
	if next.Origin == "" {
		next.Origin = DefaultOrigin(w.Signer.KeyID())
	}
	root, err := hex.DecodeString(next.Root)
	if err != nil {
		return nil, err
	}
	if next.Note, err = SignNote(ctx, w.Signer, next.Origin, next.Size, root); err != nil {
		return nil, err
	}
	st, err := next.Statement()
	if err != nil {
		return nil, err
	}
	sig, err := w.Signer.Sign(ctx, st)
	if err != nil {
		return nil, err
	}
	next.Signature = base64.StdEncoding.EncodeToString(sig)
	body, err := json.Marshal(next)
	if err != nil {
		return nil, err
	}
	retention := w.Retention
	if retention <= 0 {
		retention = archive.DefaultRetention
	}
	if err := w.Bucket.Create(ctx, Key(next.Index), body, now.Add(retention)); err != nil {
		if errors.Is(err, archive.ErrExists) {
			return nil, fmt.Errorf("%w: %d", ErrRaced, next.Index)
		}
		return nil, err
	}
	return &next, nil
}

func (w *Writer) inWindow(key string, now time.Time) bool {
	if w.Lookback <= 0 {
		return true
	}
	dt, ok := archive.KeyDate(key)
	return ok && !dt.Before(now.Add(-w.Lookback).Truncate(24*time.Hour))
}

// listRecent lists the audit objects of the partitions within the lookback window (all of
// them when it is unbounded).
func (w *Writer) listRecent(ctx context.Context, now time.Time) ([]string, error) {
	if w.Lookback <= 0 {
		return w.Bucket.List(ctx, archive.AuditPrefix)
	}
	var out []string
	for d := now.Add(-w.Lookback).Truncate(24 * time.Hour); !d.After(now); d = d.Add(24 * time.Hour) {
		keys, err := w.Bucket.List(ctx, archive.PartitionPrefix(d))
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
	}
	// A record stamped a little ahead of this clock lands in tomorrow's partition.
	keys, err := w.Bucket.List(ctx, archive.PartitionPrefix(now.Add(24*time.Hour)))
	if err != nil {
		return nil, err
	}
	return append(out, keys...), nil
}
