package mask

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
)

// Detector names. They are the keys of a Summary and the names WithoutDetectors takes.
const (
	Email = "email" // email addresses
	Card  = "card"  // payment card numbers (IIN range and Luhn check)
	SSN   = "ssn"   // US Social Security numbers
	Phone = "phone" // phone numbers, international (E.164) and national formats
	Field = "field" // values of the JSON fields named with WithFields, whatever they hold
)

// ErrInvalidJSON is returned by Engine.JSON when its input is not valid JSON (RFC 8259). The
// caller should mask the input as text instead (Engine.Text), or call Engine.Apply, which does
// so by itself. The error names the offset of the first invalid byte, never any content.
var ErrInvalidJSON = errors.New("mask: input is not valid JSON")

// Summary counts the values masked, by detector name. It never carries a value.
type Summary map[string]int

// Total returns the number of values masked.
func (s Summary) Total() int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

// Option configures an Engine.
type Option func(*Engine)

// WithoutDetectors turns off the named detectors (Email, Card, SSN, Phone). Names it does not
// know are ignored, so a misspelt name can only leave a detector on.
func WithoutDetectors(list ...string) Option {
	return func(e *Engine) {
		for _, name := range list {
			for d := range detField {
				if names[d] == name {
					e.enabled[d] = false
				}
			}
		}
	}
}

// WithFields makes the engine mask the whole value of every JSON member whose key is one of
// keys (compared without regard to ASCII case), whatever the value holds: a string, number,
// literal, object or array becomes the string "[REDACTED]" and counts once as Field. It applies
// to JSON input only.
func WithFields(keys ...string) Option {
	return func(e *Engine) {
		for _, name := range keys {
			if name != "" {
				e.fields = append(e.fields, []byte(name))
			}
		}
	}
}

// Engine masks sensitive values in JSON documents and text. It is immutable once built and
// safe for concurrent use.
type Engine struct {
	enabled [numDetectors]bool
	fields  [][]byte
}

// New returns an engine with every detector on, in redact mode, and no named fields.
func New(opts ...Option) *Engine {
	e := &Engine{}
	for d := range detField {
		e.enabled[d] = true
	}
	for _, opt := range opts {
		opt(e)
	}
	return e
}

// Apply masks src as JSON when it is valid JSON, otherwise as text. It returns a new slice
// (a copy of src when nothing was masked) and the counts of what it masked.
func (e *Engine) Apply(src []byte) ([]byte, Summary) {
	st := e.get(src)
	defer put(st)
	if err := st.json(); err == nil {
		return st.w.finish(), st.w.summary()
	}
	st.w.reset(src)
	st.text()
	return st.w.finish(), st.w.summary()
}

// Text masks src as plain text.
func (e *Engine) Text(src []byte) ([]byte, Summary) {
	st := e.get(src)
	defer put(st)
	st.text()
	return st.w.finish(), st.w.summary()
}

// JSON masks src, which must be a valid JSON document: string values are scanned, integer
// number values that are card numbers (or, under a labelling key, SSNs and phone numbers)
// become redaction strings, keys are never changed, and the output is valid JSON. An invalid
// document is an error wrapping ErrInvalidJSON, and nothing is returned.
func (e *Engine) JSON(src []byte) ([]byte, Summary, error) {
	st := e.get(src)
	defer put(st)
	if err := st.json(); err != nil {
		return nil, nil, err
	}
	return st.w.finish(), st.w.summary(), nil
}

// state is the scratch space of one call; it is pooled so a call allocates only its output.
type state struct {
	eng  *Engine
	sc   scanner
	w    writer
	dec  []byte  // a decoded JSON string
	offs []int32 // offs[i]: offset in the raw string of the bytes that decoded to dec[i]
	key  []byte  // a decoded JSON key
}

var pool = sync.Pool{New: func() any { return new(state) }}

func (e *Engine) get(src []byte) *state {
	st := pool.Get().(*state)
	st.eng = e
	st.sc.enabled = e.enabled
	st.sc.setKey(nil)
	st.w.reset(src)
	return st
}

func put(st *state) {
	st.eng, st.w.src, st.w.out, st.sc.src, st.sc.key = nil, nil, nil, nil, nil
	if cap(st.dec) > maxPooledBuffer {
		st.dec, st.offs = nil, nil
	}
	pool.Put(st)
}

// maxPooledBuffer bounds the scratch buffers a pooled state keeps between calls.
const maxPooledBuffer = 64 << 10

// text masks the whole input as text.
func (st *state) text() {
	sc := &st.sc
	sc.matches = sc.matches[:0]
	sc.setKey(nil)
	sc.scan(st.w.src)
	for _, m := range sc.matches {
		st.w.replace(m.start, m.end, m.det, false)
	}
}

// writer builds the output lazily: nothing is copied until the first replacement.
type writer struct {
	src    []byte
	out    []byte
	last   int // src[:last] has been written to out
	counts [numDetectors]int
}

func (w *writer) reset(src []byte) {
	*w = writer{src: src}
}

// replace writes src[last:start], then the redaction of det (as a JSON string when quote is
// set), and skips src[start:end].
func (w *writer) replace(start, end int, det detector, quote bool) {
	if w.out == nil {
		w.out = make([]byte, 0, len(w.src)+len(w.src)/8+32)
	}
	w.out = append(w.out, w.src[w.last:start]...)
	if quote {
		w.out = append(w.out, '"')
	}
	w.out = append(w.out, redactions[det]...)
	if quote {
		w.out = append(w.out, '"')
	}
	w.last = end
	w.counts[det]++
}

func (w *writer) finish() []byte {
	if w.out == nil {
		return bytes.Clone(w.src)
	}
	return append(w.out, w.src[w.last:]...)
}

func (w *writer) summary() Summary {
	s := make(Summary, 2)
	for d, n := range w.counts {
		if n > 0 {
			s[names[d]] = n
		}
	}
	return s
}

// syntaxError reports invalid JSON at offset off.
func syntaxError(off int) error {
	return fmt.Errorf("%w: offset %d", ErrInvalidJSON, off)
}
