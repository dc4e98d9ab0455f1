package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/mandate-dev/mandate/shared/checkpoint"
)

// Path is the witness's endpoint, below its URL prefix.
const Path = "/add-checkpoint"

// ContentTypeSize is the media type of a 409 answer: the size the witness last saw.
const ContentTypeSize = "text/x.tlog.size"

// Limits of a request, beyond which it is malformed.
const (
	MaxRequestBytes = 64 << 10
	MaxProofHashes  = 63
)

var (
	// ErrMalformed means a request body is not an add-checkpoint request; the sender fixes it.
	ErrMalformed = errors.New("witness: malformed request")
	// ErrConflict means the witness saw another size than the request's old size: resend with
	// a proof from Conflict.Size.
	ErrConflict = errors.New("witness: the witness saw another size")
	// ErrRefused means the witness refused to cosign (unknown log, bad signature, a proof
	// that does not hold, a smaller tree): the log's history is not what the witness saw.
	ErrRefused = errors.New("witness: refused to cosign")
)

// Request is an add-checkpoint request.
type Request struct {
	Old        uint64
	Proof      [][]byte
	Checkpoint []byte // the signed note
}

// ParseRequest reads an add-checkpoint body: "old N", one base64 proof hash a line, a blank
// line, then the checkpoint.
func ParseRequest(b []byte) (Request, error) {
	if len(b) > MaxRequestBytes {
		return Request{}, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxRequestBytes)
	}
	head, cp, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok || len(cp) == 0 {
		return Request{}, fmt.Errorf("%w: no blank line before the checkpoint", ErrMalformed)
	}
	lines := strings.Split(string(head), "\n")
	size, found := strings.CutPrefix(lines[0], "old ")
	n, err := strconv.ParseUint(size, 10, 64)
	if !found || err != nil || strconv.FormatUint(n, 10) != size {
		return Request{}, fmt.Errorf("%w: first line %q is not \"old SIZE\"", ErrMalformed, lines[0])
	}
	r := Request{Old: n, Checkpoint: cp}
	if len(lines)-1 > MaxProofHashes {
		return Request{}, fmt.Errorf("%w: more than %d proof hashes", ErrMalformed, MaxProofHashes)
	}
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(h) != 32 {
			return Request{}, fmt.Errorf("%w: proof line %q is not a base64 SHA-256", ErrMalformed, l)
		}
		r.Proof = append(r.Proof, h)
	}
	return r, nil
}

// Encode writes the request body.
func (r Request) Encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", r.Old)
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// Log is a log the witness knows: its origin and its signed-note verifier key.
type Log struct {
	Origin string `json:"origin"`
	VKey   string `json:"vkey"`
}

type seen struct {
	Size uint64 `json:"size"`
	Root []byte `json:"root"`
}

// Server is a witness.
type Server struct {
	signer note.Signer
	logs   map[string]note.Verifier
	state  string // file that keeps what the witness saw; empty keeps it in memory

	mu   sync.Mutex
	seen map[string]seen
}

// NewServer returns a witness that cosigns with signer (a cosignature/v1 signer, e.g.
// transparency-dev/formats' NewSignerForCosignatureV1) for the logs given, keeping what it saw
// in the state file (created if missing).
func NewServer(signer note.Signer, logs []Log, state string) (*Server, error) {
	s := &Server{signer: signer, logs: map[string]note.Verifier{}, state: state, seen: map[string]seen{}}
	for _, l := range logs {
		v, err := note.NewVerifier(l.VKey)
		if err != nil {
			v, err = fnote.NewECDSAVerifier(l.VKey)
		}
		if err != nil {
			return nil, fmt.Errorf("witness: log %s: %w", l.Origin, err)
		}
		s.logs[l.Origin] = v
	}
	if state != "" {
		b, err := os.ReadFile(state)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("witness: state: %w", err)
		default:
			if err := json.Unmarshal(b, &s.seen); err != nil {
				return nil, fmt.Errorf("witness: state %s: %w", state, err)
			}
		}
	}
	return s, nil
}

// ServeHTTP answers POST Path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, Path) {
		http.Error(w, "POST "+Path, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil {
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	req, err := ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sig, status, size, err := s.add(req)
	switch {
	case status == http.StatusConflict:
		w.Header().Set("Content-Type", ContentTypeSize)
		w.WriteHeader(status)
		fmt.Fprintf(w, "%d\n", size)
	case err != nil:
		http.Error(w, err.Error(), status)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(sig)
	}
}

// add checks a request and returns the cosignature lines, or the HTTP status of the refusal.
func (s *Server) add(req Request) ([]byte, int, uint64, error) {
	origin, _, _ := strings.Cut(string(req.Checkpoint), "\n")
	v, ok := s.logs[origin]
	if !ok {
		return nil, http.StatusNotFound, 0, fmt.Errorf("unknown log %q", origin)
	}
	cp, _, n, err := flog.ParseCheckpoint(req.Checkpoint, origin, v)
	if err != nil {
		return nil, http.StatusForbidden, 0, fmt.Errorf("checkpoint: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.seen[origin]
	if req.Old != last.Size {
		return nil, http.StatusConflict, last.Size, nil
	}
	if cp.Size < last.Size {
		return nil, http.StatusConflict, last.Size, nil
	}
	switch {
	case last.Size == 0:
		// The first checkpoint the witness sees: trusted on first use.
	case cp.Size == last.Size:
		if !bytes.Equal(cp.Hash, last.Root) {
			return nil, http.StatusConflict, last.Size, nil
		}
	default:
		if err := checkpoint.VerifyConsistency(last.Size, cp.Size, req.Proof, last.Root, cp.Hash); err != nil {
			return nil, http.StatusUnprocessableEntity, 0, fmt.Errorf("consistency proof from %d to %d: %v", last.Size, cp.Size, err)
		}
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, s.signer)
	if err != nil {
		return nil, http.StatusInternalServerError, 0, errors.New("cannot cosign")
	}
	s.seen[origin] = seen{Size: cp.Size, Root: cp.Hash}
	if err := s.save(); err != nil {
		s.seen[origin] = last
		return nil, http.StatusInternalServerError, 0, errors.New("cannot keep what was seen")
	}
	_, sigs, _ := bytes.Cut(signed, []byte("\n\n"))
	return sigs, http.StatusOK, 0, nil
}

func (s *Server) save() error {
	if s.state == "" {
		return nil
	}
	b, err := json.Marshal(s.seen)
	if err != nil {
		return err
	}
	tmp := s.state + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return err
	}
	return os.Rename(tmp, s.state)
}

// Conflict is the answer of a witness that saw another size.
type Conflict struct{ Size uint64 }

func (c *Conflict) Error() string { return fmt.Sprintf("%v: %d", ErrConflict, c.Size) }
func (c *Conflict) Unwrap() error { return ErrConflict }

// Add sends a checkpoint to the witness at url (its prefix, without Path) with the proof from
// old and returns the checkpoint with the witness's cosignature lines appended. A *Conflict
// says which size the witness saw.
func Add(ctx context.Context, client *http.Client, url string, req Request) ([]byte, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+Path, bytes.NewReader(req.Encode()))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxRequestBytes))
	if err != nil {
		return nil, fmt.Errorf("witness: read answer: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		n, err := strconv.ParseUint(strings.TrimSpace(string(body)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: unreadable size %q", ErrConflict, body)
		}
		return nil, &Conflict{Size: n}
	default:
		return nil, fmt.Errorf("%w: %s: %s", ErrRefused, resp.Status, strings.TrimSpace(string(body)))
	}
	for _, l := range strings.Split(strings.TrimRight(string(body), "\n"), "\n") {
		if !strings.HasPrefix(l, "— ") {
			return nil, fmt.Errorf("%w: %q is not a signature line", ErrRefused, l)
		}
	}
	return append(bytes.Clone(req.Checkpoint), body...), nil
}

// Cosign gets the witness at url to cosign the log's newest checkpoint: note states the tree of
// leaves (size len(leaves)). It sends a proof from the size the log last had cosigned, and on a
// conflict once more from the size the witness says it saw.
func Cosign(ctx context.Context, client *http.Client, url string, leaves checkpoint.Leaves, cpNote []byte, last uint64) ([]byte, error) {
	size := uint64(len(leaves))
	for attempt := 0; ; attempt++ {
		req := Request{Old: last, Checkpoint: cpNote}
		if last > 0 && last < size {
			p, err := leaves.Consistency(last, size)
			if err != nil {
				return nil, err
			}
			req.Proof = p
		}
		out, err := Add(ctx, client, url, req)
		var c *Conflict
		switch {
		case errors.As(err, &c) && c.Size == last:
			// The witness saw exactly the size sent, and still refuses: its tree of that size
			// is another, or larger than this one.
			return nil, fmt.Errorf("%w: the witness saw another history of %d records than this log's %d: it was rewritten or cut", ErrRefused, c.Size, size)
		case attempt == 0 && errors.As(err, &c) && c.Size <= size:
			last = c.Size
			continue
		}
		return out, err
	}
}
