package archive

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Prefixes of the two kinds of object.
const (
	// AuditPrefix holds the record objects, partitioned by dt.
	AuditPrefix = "audit/"
	// CheckpointPrefix holds the signed checkpoints.
	CheckpointPrefix = "checkpoints/"
	// ObjectSuffix ends every audit object's name.
	ObjectSuffix = ".json.gz"
)

// MaxObjectBytes bounds the uncompressed size of one audit object that Decode accepts, so a
// hostile object cannot exhaust memory (a gzip bomb). Ship never writes objects near it.
const MaxObjectBytes = 256 << 20

// MaxLineBytes bounds one record line (the store's item limit is smaller).
const MaxLineBytes = 1 << 20

// ErrMalformed means bytes are not an audit object or a record line of this layout.
var ErrMalformed = errors.New("archive: malformed")

// Line is one record line with the fields the archive needs to place it.
type Line struct {
	Session string
	Seq     uint64
	Hash    string // hex SHA-256 leaf hash, as the record states it
	Prev    string // prev_hash, as the record states it
	Time    time.Time
	Body    []byte // the record's stored canonical JSON, without a newline
}

// lineHead is what ParseLine reads of a record line.
type lineHead struct {
	Session string    `json:"session"`
	Seq     uint64    `json:"seq"`
	Hash    string    `json:"hash"`
	Prev    string    `json:"prev_hash"`
	Time    time.Time `json:"time"`
}

// ParseLine reads the placing fields of a record line. It does not verify the record's hash:
// shared/audit does that.
func ParseLine(body []byte) (Line, error) {
	if len(body) == 0 || len(body) > MaxLineBytes || bytes.IndexByte(body, '\n') >= 0 || bytes.IndexByte(body, '\r') >= 0 {
		return Line{}, fmt.Errorf("%w: record line of %d bytes", ErrMalformed, len(body))
	}
	head, ok := readHead(body)
	if !ok {
		if err := json.Unmarshal(body, &head); err != nil {
			return Line{}, fmt.Errorf("%w: record line: %v", ErrMalformed, err)
		}
	}
	if head.Session == "" || head.Seq == 0 || !isHexHash(head.Hash) || head.Time.IsZero() {
		return Line{}, fmt.Errorf("%w: record line lacks session, seq, hash or time", ErrMalformed)
	}
	return Line{Session: head.Session, Seq: head.Seq, Hash: head.Hash, Prev: head.Prev, Time: head.Time.UTC(), Body: body}, nil
}

// Partition returns the dt partition of a time: "dt=YYYY-MM-DD" in UTC.
func Partition(t time.Time) string { return "dt=" + t.UTC().Format(time.DateOnly) }

// PartitionPrefix returns the prefix of a day's audit objects.
func PartitionPrefix(t time.Time) string { return AuditPrefix + Partition(t) + "/" }

// ObjectKey names the audit object whose first record is first. The name depends on nothing
// else, so a retried batch that starts at the same record finds the same name.
func ObjectKey(first Line) string {
	return PartitionPrefix(first.Time) + first.Time.Format("150405.000000000") + "-" + first.Hash[:32] + ObjectSuffix
}

var objectKey = regexp.MustCompile(`^audit/dt=(\d{4}-\d{2}-\d{2})/\d{6}\.\d{9}-[0-9a-f]{32}\.json\.gz$`)

// IsObjectKey reports whether key names an audit object of this layout.
func IsObjectKey(key string) bool { return objectKey.MatchString(key) }

// KeyDate returns the dt of an audit object key, and false for a key of another shape.
func KeyDate(key string) (time.Time, bool) {
	m := objectKey.FindStringSubmatch(key)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, m[1])
	return t, err == nil
}

// Encode returns the gzip-compressed object holding lines, one per line. The gzip header
// carries no name and no time, so equal lines encode to equal bytes with the same library.
func Encode(lines []Line) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if bytes.ContainsAny(l.Body, "\r\n") {
			return nil, fmt.Errorf("%w: record %s#%d holds a line break", ErrMalformed, l.Session, l.Seq)
		}
		zw.Write(l.Body)
		zw.Write([]byte{'\n'})
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("archive: compress: %w", err)
	}
	return buf.Bytes(), nil
}

// ErrTruncated means an object ends early: its compressed stream or its last line is cut.
var ErrTruncated = errors.New("archive: truncated object")

// Decode returns the uncompressed content of an object and its lines, each without its
// newline. It refuses content over MaxObjectBytes, lines over MaxLineBytes, a last line
// without a newline (ErrTruncated) and anything that is not gzip (ErrMalformed).
func Decode(object []byte) (content []byte, lines [][]byte, err error) {
	if len(object) < 2 || object[0] != 0x1f || object[1] != 0x8b {
		return nil, nil, fmt.Errorf("%w: not gzip", ErrMalformed)
	}
	zr, err := gzip.NewReader(bytes.NewReader(object))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, fmt.Errorf("%w: %v", ErrTruncated, err)
		}
		return nil, nil, fmt.Errorf("%w: not gzip: %v", ErrMalformed, err)
	}
	zr.Multistream(false)
	content, err = io.ReadAll(io.LimitReader(zr, MaxObjectBytes+1))
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, nil, fmt.Errorf("%w: %v", ErrTruncated, err)
	case err != nil:
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	case len(content) > MaxObjectBytes:
		return nil, nil, fmt.Errorf("%w: more than %d bytes uncompressed", ErrMalformed, MaxObjectBytes)
	}
	if len(content) == 0 {
		return content, nil, nil
	}
	if content[len(content)-1] != '\n' {
		return nil, nil, fmt.Errorf("%w: last line has no newline", ErrTruncated)
	}
	lines = bytes.Split(content[:len(content)-1], []byte{'\n'})
	for i, l := range lines {
		if len(l) > MaxLineBytes {
			return nil, nil, fmt.Errorf("%w: line %d has more than %d bytes", ErrMalformed, i+1, MaxLineBytes)
		}
	}
	return content, lines, nil
}

// cleanKey reports whether key is a relative slash-separated name without . or .. elements.
func cleanKey(key string) bool {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || strings.HasSuffix(key, "/") {
		return false
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || el == "." || el == ".." {
			return false
		}
	}
	return true
}
