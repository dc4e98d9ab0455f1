package mask

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// This file holds the streaming masker: it reads an input of any size in bounded memory and
// writes the masked output as it goes. JSON (one document, or a stream such as NDJSON) is
// masked a run of whole array elements or documents at a time by the JSON walker (batch),
// and read token by token inside a value longer than the read-ahead window: structure is
// copied, each key and each scalar value is masked as a JSON document of its own under the
// key that labels it, and a named field's value is skipped and replaced whole. Text and CSV
// are masked a chunk at a time, cut at line breaks (outside quotes, for CSV) and never inside
// a value the detectors find.

// StreamLimit is the largest single token (a JSON string or number) or text line the
// streaming masker holds in memory; a longer one is withheld (WithheldMarker) and skipped.
const StreamLimit = 16 << 20

// noCap is the size cap the streaming masker hands the engine for a part it has bounded
// already: a part grows when invalid UTF-8 is replaced or UTF-16 is decoded, and must never
// be cut for it.
const noCap = math.MaxInt

// streamChunk is how much text the streaming masker masks at a time.
const streamChunk = 1 << 20

// Streamed is the outcome of Engine.Stream.
type Streamed struct {
	// Read and Written count the bytes read (after any gzip) and written.
	Read, Written int64
	Summary       Summary
	Findings      []Finding
	Tokens        []Token
	// Format is how the input was read; Fallback is set when JSON turned out invalid part
	// way and the rest was masked as text.
	Format   Format
	Fallback bool
	// Withheld is the reason of the first part withheld; empty when none was.
	Withheld    string
	InvalidUTF8 int
}

// maxStreamFindings bounds the findings a stream keeps (the summary still counts all).
const maxStreamFindings = 10000

func (s *Streamed) add(m Masked, path string) {
	s.addWith(m, Masked{}, func(f *Finding) bool {
		if path != "" {
			if f.Path == "" {
				f.Path = path
			} else if f.Path[0] == '/' {
				f.Path = path + f.Path
			} else {
				f.Path = path + " > " + f.Path
			}
		}
		return true
	})
}

// addWith adds m to the stream without what already (masked earlier, counted then) holds:
// its counts, and as many of its first tokens. place sets a finding's path in the stream and
// reports whether to keep it.
func (s *Streamed) addWith(m, already Masked, place func(*Finding) bool) {
	if s.Summary == nil {
		s.Summary = Summary{}
	}
	for name, n := range m.Summary {
		if n -= already.Summary[name]; n > 0 {
			s.Summary[name] += n
		}
	}
	for _, f := range m.Findings() {
		if !place(&f) {
			continue
		}
		if len(s.Findings) >= maxStreamFindings {
			break
		}
		s.Findings = append(s.Findings, f)
	}
	tokens := m.Tokens
	if len(tokens) >= len(already.Tokens) {
		tokens = tokens[len(already.Tokens):]
	}
	s.Tokens = append(s.Tokens, tokens...)
	if s.Withheld == "" {
		s.Withheld = m.Withheld
	}
	s.InvalidUTF8 += m.InvalidUTF8
}

// Stream masks r read as f to w, in memory bounded by StreamLimit and a chunk. A gzip input
// is decompressed as it is read. Nothing is ever passed through unmasked: a token too long
// to hold is withheld, and JSON found invalid part way is masked as text from there on.
func (e *Engine) Stream(r io.Reader, w io.Writer, f Format) (Streamed, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(3); isGzip(head) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return Streamed{}, fmt.Errorf("mask: stream: gzip: %w", err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	cw := &countWriter{w: bufio.NewWriterSize(w, 64<<10)}
	cr := &countReader{r: br}
	in := windows.Get().(*bufio.Reader)
	in.Reset(cr)
	defer func() { in.Reset(nil); windows.Put(in) }()
	s := Streamed{Format: f}
	var err error
	head, _ := in.Peek(128)
	_, utf16 := utf16Shaped(head[:len(head)&^1])
	switch {
	case len(head) >= 2 && ((head[0] == 0xff && head[1] == 0xfe) || (head[0] == 0xfe && head[1] == 0xff)) || utf16:
		// UTF-16 is not streamed: it is read whole, up to maxWholeStream, and masked as
		// Mask does (decoded, masked, written back as UTF-16); a longer input is withheld.
		err = e.streamWhole(in, cw, &s, f, "UTF-16 input")
	case compressedInput(head):
		// Nor is a zip archive, a zlib or bzip2 stream, or a format the masker cannot read
		// (archive.go): Mask reads them whole.
		err = e.streamWhole(in, cw, &s, f, "compressed input")
	case f == FormatText:
		err = e.streamText(in, cw, &s, false, nil, nil)
	case f == FormatCSV:
		err = e.streamText(in, cw, &s, true, nil, nil)
	default:
		i := 0
		for {
			b, perr := in.Peek(i + 1)
			if perr != nil || (b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t') || i > 4096 {
				break
			}
			i++
		}
		if b, perr := in.Peek(maxBareScalar + 1); len(b) > i && b[i] != '{' && b[i] != '[' && errors.Is(perr, io.EOF) && json.Valid(b) {
			// The whole input is one JSON scalar ("4111111111111111", "\"a@b.c\""): masked as
			// the document it is, as Mask does, so the output stays JSON.
			s.Format = FormatJSON
			m := e.mask(b, FormatJSON, noCap, &budget{left: decodeBudget(b, noCap)}, 0)
			if _, werr := in.Discard(len(b)); werr == nil {
				_, err = cw.Write(m.Body)
				s.add(m, "")
			} else {
				err = werr
			}
		} else if len(b) > i && (b[i] == '{' || b[i] == '[') {
			s.Format = FormatJSON
			err = e.streamJSON(in, cw, &s)
		} else if head, _ := in.Peek(csvSniffBytes); f != FormatXML && sniffs(head) {
			s.Format = FormatCSV // a CSV file, declared or not: its column names label its fields
			err = e.streamText(in, cw, &s, true, nil, nil)
		} else if f == FormatJSON || f == FormatNDJSON {
			s.Format = FormatJSON
			err = e.streamJSON(in, cw, &s)
		} else {
			s.Format = FormatText
			err = e.streamText(in, cw, &s, false, nil, nil)
		}
	}
	if ferr := cw.w.Flush(); err == nil {
		err = ferr
	}
	s.Read, s.Written = cr.n, cw.n
	if s.Summary == nil {
		s.Summary = Summary{}
	}
	return s, err
}

// csvSniffBytes is how much of a stream is read to tell whether it is CSV.
const csvSniffBytes = 16 << 10

// sniffs reports whether the head of a stream reads as CSV (sniffCSV).
func sniffs(head []byte) bool {
	_, ok := sniffCSVHead(head, len(head) < csvSniffBytes)
	return ok
}

// maxBareScalar is the longest input Stream reads whole to mask it as one JSON scalar.
const maxBareScalar = 64 << 10

// maxWholeStream is the longest input Stream reads whole (UTF-16, compressed or archived)
// to mask it; a longer one is withheld.
const maxWholeStream = 4 * StreamLimit

func (e *Engine) streamWhole(in *bufio.Reader, w io.Writer, s *Streamed, f Format, what string) error {
	all, err := io.ReadAll(io.LimitReader(in, maxWholeStream+1))
	if err != nil {
		return err
	}
	if len(all) > maxWholeStream {
		reason := what + " larger than the stream limit"
		if _, err := io.Copy(io.Discard, in); err != nil {
			return err
		}
		s.add(withheldPart(reason), "")
		_, err := w.Write(withheld(nil, reason))
		return err
	}
	m := e.mask(all, f, noCap, &budget{left: decodeBudget(all, maxWholeStream)}, 0)
	s.Format = m.Format
	s.add(m, "")
	_, err = w.Write(m.Body)
	return err
}

type countWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countWriter) WriteByte(b byte) error {
	c.n++
	return c.w.WriteByte(b)
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// streamText masks text (or CSV, with its header as the labels of every chunk) a chunk at a
// time, each cut at a line break outside quotes and before any value that straddles it.
// prefix was read already and comes first; ctx is context (a label) masked with the first
// chunk and not written.
func (e *Engine) streamText(in *bufio.Reader, w io.Writer, s *Streamed, csv bool, ctx, prefix []byte) error {
	var header, maskedHeader []byte // a CSV's first record, as read and as masking writes it
	var headerMasked Masked         // what masking the header alone found
	records := 0                    // CSV records in the chunks written so far, the header's too
	buf := make([]byte, 0, 2*streamChunk+len(ctx)+len(prefix))
	buf = append(append(buf, ctx...), prefix...)
	line := 0
	eof := false
	for !eof || len(buf) > 0 {
		for !eof && len(buf) < streamChunk {
			n, err := in.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return err
			}
			if len(buf) == cap(buf) {
				break
			}
		}
		cut := len(buf)
		if !eof {
			cut = chunkCut(buf, csv)
			if cut == 0 {
				cut = e.cutPoint(buf, len(buf)-cutLookahead)
				if cut == 0 {
					cut = len(buf) - cutLookahead
				}
			}
		}
		chunk := buf[:cut]
		var m Masked
		path := "line " + strconv.Itoa(line+1)
		if csv {
			if header == nil {
				if k := firstRecord(chunk); k > 0 || eof {
					if k == 0 {
						k = len(chunk)
					}
					header = bytes.Clone(chunk[:k])
					headerMasked = e.mask(header, FormatCSV, noCap, &budget{left: decodeBudget(header, noCap)}, 0)
					maskedHeader = headerMasked.Body
				}
				m = e.mask(chunk, FormatCSV, noCap, &budget{left: decodeBudget(chunk, noCap)}, 0)
				path = ""
			} else {
				doc := append(bytes.Clone(header), chunk...)
				m = e.mask(doc, FormatCSV, noCap, &budget{left: decodeBudget(doc, noCap)}, 0)
				if m.Format == FormatCSV && bytes.HasPrefix(m.Body, maskedHeader) {
					m.Body = m.Body[len(maskedHeader):]
					// The header rode along as labels: its values are counted once, with the
					// first chunk, and rows are numbered in the file, not in this chunk.
					if _, err := w.Write(m.Body); err != nil {
						return err
					}
					s.addLaterCSV(m, headerMasked, records)
					records += csvRecords(chunk)
					buf = append(buf[:0], buf[cut:]...)
					continue
				}
				m = e.mask(chunk, FormatText, noCap, &budget{left: decodeBudget(chunk, noCap)}, 0)
			}
		} else {
			m = e.mask(chunk, FormatText, noCap, &budget{left: decodeBudget(chunk, noCap)}, 0)
		}
		body := m.Body
		if len(ctx) > 0 {
			body = bytes.TrimPrefix(body, ctx)
			ctx = nil
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
		s.add(m, path)
		line += bytes.Count(chunk, []byte{'\n'})
		if csv {
			records += csvRecords(chunk)
		}
		buf = append(buf[:0], buf[cut:]...)
	}
	return nil
}

// addLaterCSV adds m, a later chunk of a CSV masked below its header, to the stream: without
// what the header alone gave (counted with the first chunk), and with each finding's row
// number counted in the file, after the records of the chunks before.
func (s *Streamed) addLaterCSV(m Masked, header Masked, before int) {
	s.addWith(m, header, func(f *Finding) bool {
		row, rest, ok := csvRow(f.Path)
		if ok && row == 1 {
			return false // the header
		}
		if ok {
			f.Path = "row " + strconv.Itoa(before+row-1) + rest
		}
		return true
	})
}

// csvRow splits a CSV finding's path ("row 3 column 2 > /a") into its row number and the
// rest (" column 2 > /a").
func csvRow(path string) (int, string, bool) {
	rest, ok := strings.CutPrefix(path, "row ")
	if !ok {
		return 0, "", false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(rest[:i])
	if err != nil {
		return 0, "", false
	}
	return n, rest[i:], true
}

// csvRecords counts the records of a CSV chunk: its line breaks outside double quotes.
func csvRecords(chunk []byte) int {
	n, quoted := 0, false
	for _, c := range chunk {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			n++
		}
	}
	return n
}

// firstRecord returns the offset after the first CSV record's line break, or 0.
func firstRecord(buf []byte) int {
	quoted := false
	for i, c := range buf {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return i + 1
		}
	}
	return 0
}

// chunkCut returns the offset after the last line break of buf (outside double quotes when
// csv is set), or 0. In text, a line break with digits on both sides may join the groups of
// one value ("4111\n1111\n…", see loose.go): the cut is at the last of the 64 last line
// breaks that does not. Nor is a hex dump cut between its lines, where the bytes of one
// value may continue (dump.go): the cut goes before the dump, or, when the dump is longer
// than the chunk, where its bytes hold a line break.
func chunkCut(buf []byte, csv bool) int {
	if !csv {
		last := bytes.LastIndexByte(buf, '\n') + 1
		for c, tries := last, 0; c > 0 && tries < 64; tries++ {
			if d := dumpStart(buf, c); d != c {
				if d == 0 {
					return dumpQuietCut(buf, c) // a dump longer than the chunk
				}
				c = d // the dump goes whole to the next chunk
				continue
			}
			if !joinsDigits(buf, c) {
				return c
			}
			c = bytes.LastIndexByte(buf[:c-1], '\n') + 1
		}
		return last
	}
	last, quoted := 0, false
	for i, c := range buf {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			last = i + 1
		}
	}
	return last
}

// joinsDigits reports whether the line break before buf[c] stands between digits, within
// the separator bytes a loose run allows on either side.
func joinsDigits(buf []byte, c int) bool {
	a := c - 1
	for k := 0; a >= 0 && k < maxLooseSpace && looseSep[buf[a]]; k++ {
		a--
	}
	if a < 0 || !isDigit(buf[a]) {
		return false
	}
	b := c
	for k := 0; b < len(buf) && k < maxLooseSpace-1 && looseSep[buf[b]]; k++ {
		b++
	}
	return b == len(buf) || isDigit(buf[b])
}

// jsonFrame is an open object or array of the JSON streamer.
type jsonFrame struct {
	object bool
	keyed  bool   // an object's member key was read, its value not yet
	colon  bool   // and the ':' after it
	key    []byte // the label of the next value: the member key, or an array's own key
	pair   []byte // the label a pair's name gave its value (pairs.go)
	shown  []byte // the member key as written (masked), for pointers
	index  int
	keys   map[string]bool // masked keys, and keys that read like them, written in this object
}

// unique returns the masked key body (a JSON string) as it must be written: a name no
// earlier masked key of this object took, with "#2", "#3", ... added when one did.
func (f *jsonFrame) unique(body []byte) []byte {
	if f.keys == nil {
		f.keys = make(map[string]bool, 2)
	}
	base := string(body[1 : len(body)-1])
	name := base
	for n := 2; f.keys[name]; n++ {
		name = base + "#" + strconv.Itoa(n)
	}
	f.keys[name] = true
	if name == base {
		return body
	}
	return []byte(`"` + name + `"`)
}

var errInvalidStream = errors.New("mask: stream: invalid JSON")

// streamJSON masks a stream of JSON values in batches and token by token. What it masks is held until a
// separator or a closing bracket after at least holdBytes, together with the raw bytes it came
// from: when the input turns out not to be JSON, the held output is dropped and the raw bytes
// and the rest are masked as text, so a value split over tokens ("4111 1111 ...") is still
// found whole. Output already written ends at a separator, where no value continues.
func (e *Engine) streamJSON(in *bufio.Reader, w *countWriter, s *Streamed) error {
	js := jsonStreamer{e: e, in: in, w: &holdWriter{cw: w}, s: s}
	js.mark()
	err := js.run()
	if errors.Is(err, errInvalidStream) {
		s.Fallback = true
		js.restore()
		if js.w.lost {
			// The raw input of the held output is not all here: withhold it.
			const reason = "invalid JSON after a token larger than the stream limit"
			if _, err := w.Write(withheld(nil, reason)); err != nil {
				return err
			}
			s.add(withheldPart(reason), "")
			return e.streamText(in, w, s, false, nil, nil)
		}
		return e.streamText(in, w, s, false, nil, js.w.raw)
	}
	if err == nil {
		err = js.w.flush()
	}
	return err
}

// holdBytes is how much masked output the JSON streamer holds before it writes at a
// separator.
const holdBytes = 64 << 10

// holdWriter holds the JSON streamer's output and the raw input it came from.
type holdWriter struct {
	cw   *countWriter
	out  []byte
	raw  []byte
	lost bool  // raw bytes were dropped since the last flush
	read int64 // raw bytes read in all
}

func (h *holdWriter) WriteByte(c byte) error { h.out = append(h.out, c); return nil }
func (h *holdWriter) write(p []byte) error   { h.out = append(h.out, p...); return nil }

func (h *holdWriter) flush() error {
	_, err := h.cw.Write(h.out)
	h.out, h.raw, h.lost = h.out[:0], h.raw[:0], false
	return err
}

// mark records the counts and lists of the stream at a flush, so a fallback can drop what
// was added since.
func (j *jsonStreamer) mark() {
	j.saved = Summary{}
	for k, v := range j.s.Summary {
		j.saved[k] = v
	}
	j.nFind, j.nTok, j.held, j.nBad = len(j.s.Findings), len(j.s.Tokens), j.s.Withheld, j.s.InvalidUTF8
}

func (j *jsonStreamer) restore() {
	j.s.Summary = j.saved
	j.s.Findings, j.s.Tokens, j.s.Withheld = j.s.Findings[:j.nFind], j.s.Tokens[:j.nTok], j.held
	j.s.InvalidUTF8 = j.nBad
}

// separator writes the held output when there is enough of it; it is called after a ',' or
// a closing bracket.
func (j *jsonStreamer) separator() error {
	if len(j.w.out) < holdBytes {
		return nil
	}
	j.mark()
	return j.w.flush()
}

func (j *jsonStreamer) readByte() (byte, error) {
	c, err := j.in.ReadByte()
	if err == nil {
		j.w.keep([]byte{c})
	}
	return c, err
}

// keep holds raw input for a fallback, up to maxHeldRaw; past it the raw bytes are dropped
// and a fallback withholds them.
func (h *holdWriter) keep(p []byte) {
	h.read += int64(len(p))
	if len(h.raw)+len(p) > maxHeldRaw {
		h.lost = true
		return
	}
	h.raw = append(h.raw, p...)
}

// maxHeldRaw bounds the raw input the JSON streamer holds for a fallback.
const maxHeldRaw = StreamLimit + 2*holdBytes

type jsonStreamer struct {
	e     *Engine
	in    *bufio.Reader
	w     *holdWriter
	s     *Streamed
	saved Summary
	nFind int
	nTok  int
	nBad  int
	held  string
	stack []jsonFrame
	tok   []byte // the token being read, reused
	b     budget
	doc   int // top-level values seen
	// missed counts the bytes looked through by batches that found no whole element; see
	// batch.
	missed int64
}

func (j *jsonStreamer) run() error {
	expectValue := true
	for {
		c, err := j.readByte()
		if err == io.EOF {
			if len(j.stack) > 0 {
				return errInvalidStream
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			if err := j.w.WriteByte(c); err != nil {
				return err
			}
			continue
		}
		top := len(j.stack) - 1
		switch {
		case c == ',' && top >= 0 && !expectValue:
			if j.stack[top].object {
				j.stack[top].keyed, j.stack[top].colon = false, false
			} else {
				j.stack[top].index++
			}
			expectValue = true
			if err := j.w.WriteByte(c); err != nil {
				return err
			}
			if err := j.separator(); err != nil {
				return err
			}
			continue
		case (c == '}' || c == ']') && top >= 0 && j.stack[top].object == (c == '}'):
			j.stack = j.stack[:top]
			expectValue = false
			if err := j.w.WriteByte(c); err != nil {
				return err
			}
			if err := j.separator(); err != nil {
				return err
			}
			continue
		case c == ':' && top >= 0 && j.stack[top].object && j.stack[top].keyed && !j.stack[top].colon && expectValue:
			j.stack[top].colon = true
			if err := j.w.WriteByte(c); err != nil {
				return err
			}
			continue
		}
		if !expectValue && top >= 0 || (top >= 0 && j.stack[top].object && !j.stack[top].colon && (j.stack[top].keyed || c != '"')) {
			return errInvalidStream
		}
		if top < 0 {
			if c != '{' && c != '[' {
				// A bare scalar at the top could be a part of a value split by white
				// space ("4111 1111 ..."): the input is read as text.
				return errInvalidStream
			}
			done, err := j.batch(c, nil)
			if err != nil {
				return err
			}
			if done {
				expectValue = false
				continue
			}
			j.doc++
		}
		// A key, or a value.
		if c == '"' && top >= 0 && j.stack[top].object && !j.stack[top].keyed {
			raw, err := j.token(c)
			if err != nil {
				return err
			}
			key := raw[1 : len(raw)-1]
			if bytes.IndexByte(key, '\\') >= 0 {
				key = fieldValue(raw)
			}
			f := &j.stack[top]
			f.key, f.shown = append(f.key[:0], key...), append(f.shown[:0], key...)
			var m Masked
			found := false
			if len(raw)-2 >= minCandidate {
				if m, found, err = j.scalar(raw, nil, true); err != nil {
					return err
				}
				if found || isReplacement(key) {
					f.key = f.key[:0] // a key that is a value labels nothing
				}
			}
			body := raw
			if found {
				body = m.Body
			}
			// A masked key, and any key that could read like one as given ("[EMAIL]#2"), is
			// kept unique in its object.
			if found || bytes.IndexByte(key, '[') >= 0 || bytes.HasPrefix(key, []byte(TokenPrefix)) {
				body = f.unique(body)
			}
			if err := j.w.write(body); err != nil {
				return err
			}
			if found {
				f.shown = append(f.shown[:0], fieldValue(body)...)
				m.Body = body
				j.s.add(m, j.pointer())
			}
			f.keyed = true
			continue
		}
		var key []byte
		if top >= 0 {
			key = j.stack[top].key
			if f := &j.stack[top]; f.object && f.pair != nil && pairKey(key, pairValues) {
				key = f.pair
			}
			if j.stack[top].object && len(key) > 0 && j.e.isNamed(key) {
				if err := j.skipNamed(c); err != nil {
					return err
				}
				expectValue = false
				continue
			}
		}
		if top >= 0 && !j.stack[top].object {
			done, err := j.batch(c, key)
			if err != nil {
				return err
			}
			if done {
				expectValue = false
				continue
			}
		}
		if c == '{' || c == '[' {
			f := jsonFrame{object: c == '{'}
			if c == '[' {
				f.key = bytes.Clone(key) // array elements are labelled by the array's key
			}
			j.stack = append(j.stack, f)
			if err := j.w.WriteByte(c); err != nil {
				return err
			}
			expectValue = true
			continue
		}
		raw, err := j.token(c)
		if err != nil {
			return err
		}
		if _, _, err := j.scalar(raw, key, false); err != nil {
			return err
		}
		if top >= 0 && j.stack[top].object && raw[0] == '"' && pairKey(j.stack[top].key, pairNames) {
			j.stack[top].pair = pairLabel(fieldValue(raw))
		}
		expectValue = false
	}
}

// batchWindow is the most input the JSON streamer looks ahead in to mask a run of whole array
// elements at once (see batch); it is the size of the stream's read buffer.
const batchWindow = 1 << 20

// windows holds read buffers of batchWindow bytes, so a short stream does not pay for one.
var windows = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, batchWindow) }}

// batchBytes is the input a batch of array elements stops growing at.
const batchBytes = 256 << 10

// batch masks a run of whole array elements (or of documents at the top of the stream), the
// first starting with c (read already), in one pass of the JSON walker, as Mask masks them
// inside the whole document: the streamer's work per token is what made it several times
// slower than masking in memory. It looks ahead in the read buffer only (what is buffered,
// then up to the whole window), and consumes nothing unless the first element ends within
// the window; otherwise the element is read token by token, and batches are tried inside
// it. A batch that finds no whole element looked through the window for nothing: batches
// are tried only while such bytes stay within a window of all the bytes read, so a deep or
// long element is not looked through again and again (the work stays linear in the input).
// It returns whether it masked any.
func (j *jsonStreamer) batch(c byte, key []byte) (bool, error) {
	top := len(j.stack) == 0 // documents of a stream, one after another
	var f *jsonFrame
	if !top {
		f = &j.stack[len(j.stack)-1]
	}
	if j.e.tokens || j.missed > j.w.read+batchWindow || (!top && f.index > math.MaxInt32-batchBytes) {
		return false, nil
	}
	// c was the last byte read: put it back and look at the window from it.
	if err := j.in.UnreadByte(); err != nil {
		return false, nil
	}
	// What is read already comes first, so a slow source is not waited for while whole
	// elements are at hand; the window is filled only when none is.
	win, _ := j.in.Peek(j.in.Buffered())
	end := elementsEnd(win, batchBytes, top)
	if end <= 0 && len(win) < j.in.Size() {
		win, _ = j.in.Peek(j.in.Size())
		end = elementsEnd(win, batchBytes, top)
	}
	if end <= 0 {
		j.in.ReadByte() // c again, kept already
		j.missed += int64(len(win))
		return false, nil
	}
	raw := win[:end]
	src, bad := validUTF8(raw) // replaced before scanning, as Mask does
	st := j.e.get(src)
	defer put(st)
	j.b = budget{left: decodeBudget(src, noCap)}
	st.budget = &j.b
	// The output is written straight into the held output's free room.
	h := j.w
	h.out = slices.Grow(h.out, len(src)+len(src)/8+32)
	st.w.spare = h.out[len(h.out):]
	idx, i, valid := 0, 0, true
	if !top {
		idx = f.index
	}
	var docs []int // for documents: the findings before each
	for valid {
		if top {
			docs = append(docs, len(st.w.finds))
			st.path = st.path[:0]
		} else {
			st.path = append(st.path[:0], segment{index: int32(idx)})
		}
		var err error
		if i, err = st.value(i, len(j.stack), key, false); err != nil {
			valid = false
			break
		}
		if i = skipWS(src, i); i >= len(src) {
			break
		}
		if !top {
			if src[i] != ',' {
				valid = false
				break
			}
			i = skipWS(src, i+1)
		}
		idx++
	}
	var werr error
	if valid {
		werr = j.addBatch(st, src, docs)
		j.s.InvalidUTF8 += bad
	}
	j.w.keep(raw[1:])
	if _, err := j.in.Discard(len(raw)); err != nil {
		return true, err
	}
	if !valid {
		return true, errInvalidStream
	}
	if top && werr == nil {
		j.doc += len(docs)
		return true, j.separator() // after whole documents, as after each one read by tokens
	}
	f.index = idx
	return true, werr
}

// addBatch writes a masked batch of array elements or documents and adds its counts,
// tokens and (while there is room) findings to the stream.
func (j *jsonStreamer) addBatch(st *state, src []byte, docs []int) error {
	h := j.w
	body := src
	if st.w.out != nil {
		body = st.w.finish()
	}
	if n := len(h.out); len(body) > 0 && cap(h.out)-n >= len(body) && &h.out[:n+1][n] == &body[0] {
		h.out = h.out[:n+len(body)] // written in place
	} else if err := h.write(body); err != nil {
		return err
	}
	s := j.tally(st)
	room := maxStreamFindings - len(s.Findings)
	if room <= 0 || len(st.w.finds) == 0 {
		return nil
	}
	fs := findingSet{finds: st.w.finds, segs: st.w.segs, notes: st.w.notes, src: st.w.src, out: body, format: FormatJSON}
	found := fs.render(room)
	if docs == nil {
		s.add(Masked{found: found}, j.pointerTo(len(j.stack)-1))
		return nil
	}
	// Documents: each one's findings under its own number, as pointer writes it.
	for d, from := range docs {
		to := len(found)
		if d+1 < len(docs) {
			to = min(to, docs[d+1])
		}
		if from >= to {
			continue
		}
		prefix := ""
		if n := j.doc + 1 + d; n > 1 {
			prefix = "document " + strconv.Itoa(n) + " "
		}
		s.add(Masked{found: found[from:to]}, prefix)
	}
	return nil
}

// elementsEnd returns the offset in win after the last of a run of whole array elements
// ("e1, e2, e3"), or with docs of whole objects and arrays apart by white space (a stream
// of documents), that starts at win[0], ends within win and stops growing at limit bytes; 0
// when the first does not end within win. Only the nesting of brackets and strings is
// followed: the walker validates the rest.
func elementsEnd(win []byte, limit int, docs bool) int {
	end, i := 0, 0
	for {
		if docs && (i >= len(win) || (win[i] != '{' && win[i] != '[')) {
			return end
		}
		e := valueEnd(win, i)
		if e < 0 {
			return end
		}
		if end = e; end >= limit {
			return end
		}
		if i = skipWS(win, end); docs {
			continue
		}
		if i >= len(win) || win[i] != ',' {
			return end
		}
		i = skipWS(win, i+1)
	}
}

// valueEnd returns the offset after the JSON value starting at win[i] when it ends within win
// (a literal or number only when a delimiter follows it there), or -1.
func valueEnd(win []byte, i int) int {
	if i >= len(win) {
		return -1
	}
	switch win[i] {
	case '"':
		return quoteEnd(win, i+1)
	case '{', '[':
	default:
		for k := i; k < len(win); k++ {
			switch win[k] {
			case ',', ']', '}', ' ', '\t', '\r', '\n', ':', '{', '[', '"':
				if k == i {
					return -1
				}
				return k
			}
		}
		return -1
	}
	depth := 0
	for k := i; k < len(win); k++ {
		switch win[k] {
		case '"':
			if k = quoteEnd(win, k+1); k < 0 {
				return -1
			}
			k--
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return k + 1
			}
		}
	}
	return -1
}

// quoteEnd returns the offset after the quote that closes a JSON string whose contents start
// at win[from], or -1 when it does not close within win.
func quoteEnd(win []byte, from int) int {
	for k := from; k < len(win); {
		q := bytes.IndexByte(win[k:], '"')
		if q < 0 {
			return -1
		}
		q += k
		b := q - 1
		for b >= from && win[b] == '\\' {
			b--
		}
		if (q-1-b)%2 == 0 {
			return q + 1
		}
		k = q + 1
	}
	return -1
}

// token reads the rest of a scalar token starting with c: a string through its closing
// quote, or a literal or number up to a delimiter. A token longer than StreamLimit is
// returned as errTooLong after being skipped.
func (j *jsonStreamer) token(c byte) ([]byte, error) {
	tok := append(j.tok[:0], c)
	if c == '"' {
		for {
			// Up to the next quote; it closes the string unless an odd run of
			// backslashes escapes it.
			part, err := j.in.ReadSlice('"')
			j.w.keep(part)
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return nil, errInvalidStream
			}
			if len(tok) < StreamLimit {
				tok = append(tok, part...)
			}
			if err != nil { // the buffer filled before a quote
				continue
			}
			b, k := tok, len(tok)-2
			if len(tok) >= StreamLimit {
				b, k = part, len(part)-2
			}
			for k >= 1 && b[k] == '\\' {
				k--
			}
			if (len(b)-2-k)%2 == 1 {
				continue // an escaped quote
			}
			j.tok = tok
			if len(tok) >= StreamLimit {
				return []byte(`"` + WithheldMarker + `value larger than the stream limit]"`), nil
			}
			// Invalid UTF-8 is replaced before scanning, as Mask does.
			valid, bad := validUTF8(tok)
			j.s.InvalidUTF8 += bad
			return valid, nil
		}
	}
	for {
		b, err := j.in.Peek(1)
		if err != nil || bytes.IndexByte([]byte(",]} \t\r\n:"), b[0]) >= 0 {
			return tok, nil
		}
		j.readByte()
		if len(tok) > 64 {
			return nil, errInvalidStream
		}
		tok = append(tok, b[0])
	}
}

// scalar masks one key or scalar value (a JSON document of its own) under key, writes it
// and returns what it wrote and whether anything was masked.
func (j *jsonStreamer) scalar(raw, key []byte, isKey bool) (Masked, bool, error) {
	st := j.e.get(raw)
	defer put(st)
	j.b = budget{left: decodeBudget(raw, noCap)}
	st.budget = &j.b
	st.w.loc.key = isKey
	end, err := st.value(0, 0, key, false)
	if err != nil || end != len(raw) {
		return Masked{}, false, errInvalidStream
	}
	withheldToken := bytes.HasPrefix(raw, []byte(`"`+WithheldMarker))
	if st.w.out == nil && !withheldToken {
		if isKey {
			return Masked{}, false, nil // the caller writes keys
		}
		return Masked{}, false, j.w.write(raw) // nothing masked: the common case, no allocation
	}
	if !isKey {
		return Masked{}, true, j.addValue(st, withheldToken)
	}
	var m Masked
	m.Body, m.Summary = st.w.finish(), st.w.summary()
	m.found = st.findings(m.Body, FormatJSON, "")
	m.Tokens, m.Withheld = st.w.tokens, st.w.reason
	if withheldToken {
		m.Summary[Withheld]++
		m.found = append(m.found, Finding{Detector: Withheld})
		if m.Withheld == "" {
			m.Withheld = "value larger than the stream limit"
		}
	}
	// The caller writes the key, unique in its object, and adds its finding.
	return m, true, nil
}

// tally adds what st masked (counts, what it withheld, tokens) to the stream's summary and
// returns the stream's result.
func (j *jsonStreamer) tally(st *state) *Streamed {
	s := j.s
	if s.Summary == nil {
		s.Summary = Summary{}
	}
	for d, n := range st.w.counts {
		if n > 0 {
			s.Summary[names[d]] += n
		}
	}
	if st.w.held > 0 {
		s.Summary[Withheld] += st.w.held
	}
	s.Tokens = append(s.Tokens, st.w.tokens...)
	if s.Withheld == "" {
		s.Withheld = st.w.reason
	}
	return s
}

// addValue writes a masked scalar value and adds its counts, tokens and (while there is
// room) findings to the stream, without building a Masked.
func (j *jsonStreamer) addValue(st *state, withheldToken bool) error {
	body := st.w.finish()
	if err := j.w.write(body); err != nil {
		return err
	}
	s := j.tally(st)
	var extra []Finding
	if withheldToken {
		s.Summary[Withheld]++
		extra = []Finding{{Detector: Withheld}}
		if s.Withheld == "" {
			s.Withheld = "value larger than the stream limit"
		}
	}
	if len(s.Findings) < maxStreamFindings {
		j.s.add(Masked{found: append(st.findings(body, FormatJSON, ""), extra...)}, j.pointer())
	}
	return nil
}

// skipNamed skips the value of a named field starting with c and writes its redaction.
func (j *jsonStreamer) skipNamed(c byte) error {
	depth, inStr, esc := 0, false, false
	switch c {
	case '{', '[':
		depth = 1
	case '"':
		inStr = true
	default:
		if _, err := j.token(c); err != nil {
			return err
		}
	}
	for depth > 0 || inStr {
		b, err := j.readByte()
		if err != nil {
			return errInvalidStream
		}
		switch {
		case inStr && esc:
			esc = false
		case inStr && b == '\\':
			esc = true
		case inStr && b == '"':
			inStr = false
		case inStr:
		case b == '"':
			inStr = true
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			depth--
		}
	}
	// The value was not held, so it is redacted whatever the field's mode.
	if err := j.w.write([]byte(`"` + redactions[detField] + `"`)); err != nil {
		return err
	}
	j.s.add(Masked{Summary: Summary{Field: 1}, found: []Finding{{Detector: Field}}}, j.pointer())
	return nil
}

// pointer is the JSON pointer of the token being read.
func (j *jsonStreamer) pointer() string { return j.pointerTo(len(j.stack)) }

// pointerTo is the JSON pointer of the first n open objects and arrays, and of the document
// when the stream holds more than one.
func (j *jsonStreamer) pointerTo(n int) string {
	var b []byte
	if j.doc > 1 {
		b = append(b, "document "...)
		b = strconv.AppendInt(b, int64(j.doc), 10)
		b = append(b, ' ')
	}
	for _, f := range j.stack[:n] {
		b = append(b, '/')
		if f.object {
			b = append(b, escapePointer(string(f.shown))...)
		} else {
			b = strconv.AppendInt(b, int64(f.index), 10)
		}
	}
	return string(b)
}
