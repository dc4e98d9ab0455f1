package mask

import (
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/zlib"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Compressed and archived inputs. A target can serve its text compressed or archived (a
// zip: an .xlsx or .docx export is one), where no value reads as written and the scan of
// its bytes finds nothing. gzip is decoded where it is sniffed (sniff); here:
//   - a zip archive is read entry by entry, each entry's name, comment and content masked as
//     an input of its own (one layer deeper), and written again as a zip of the masked
//     entries, in the order of the archive's central directory, whether or not anything was
//     masked: only what that directory lists is written, so bytes before, between or after
//     the entries, local headers that disagree with it, and the entries' extra fields (which
//     can hold a name of their own) do not go out unread.
//   - a zlib or bzip2 stream is decoded and masked as its text. The outermost input comes
//     back as that text, as a gzip one does; inside a decoded layer a zlib stream is
//     compressed again, so the layer's encoding still reads (bzip2, which the standard
//     library cannot write, stays text).
//   - an input in a compressed or archive format the masker recognises but cannot read (xz,
//     zstd, 7z, rar, lz4, ...), an encrypted zip entry, an entry compressed with a method
//     other than store or deflate, or one of these streams that does not decode, is
//     withheld whole: nothing unread is handed over. (A zlib stream that stops short decodes
//     up to where it stops: it is withheld when that holds a value, or when it is the whole
//     input and is not text; otherwise it is read as any bytes are, since text can start as
//     a zlib header does and decoded bytes do so by chance.)
//
// Decoding shares the call's budget (decodeBudget): a stream or archive that decodes to more
// is withheld.

const (
	encZip   = "zip"
	encZlib  = "zlib"
	encBzip2 = "bzip2"
	// maxZipEntries bounds the entries of a zip archive read; one with more is withheld.
	maxZipEntries = 10000
)

// decodeBudget is how many decoded bytes masking src (read with the size cap limit) may
// produce in all its layers: sixteen times src (text compresses five to ten times), or the
// cap when that is less, and at least four times src and minBudget; for an input that is
// compressed or archived as a whole (gzip included), the cap: a compressed body must not be
// withheld where the same body plain would be masked. A part the streaming masker bounded
// already (limit noCap) has no cap to go by.
func decodeBudget(src []byte, limit int) int {
	left := max(4*len(src), minBudget, min(limit, 16*len(src)))
	if limit < noCap && compressedInput(src) {
		left = max(left, limit)
	}
	return left
}

// ContentEncodingUnread returns why a body served with the HTTP Content-Encoding enc (as the
// header gives it, "" for none) cannot be masked as it is: an encoding other than identity,
// gzip and deflate (RFC 9110; deflate is a zlib stream), which the masker reads by their
// bytes, such as br (brotli, which no bytes announce) or compress; more than one; or a
// body that does not start as the encoding it names. "" when it can be.
func ContentEncodingUnread(enc string, body []byte) string {
	named := ""
	for _, tok := range strings.Split(enc, ",") {
		tok = strings.ToLower(strings.TrimSpace(tok))
		switch {
		case tok == "" || tok == "identity":
			continue
		case named != "":
			return "served with more than one Content-Encoding (" + enc + ")"
		case tok == "gzip" || tok == "x-gzip" || tok == "deflate":
			named = tok
		default:
			return "served with Content-Encoding " + strconv.Quote(tok) + ", which the masker cannot read"
		}
	}
	switch {
	case named == "deflate" && !isZlib(body) && len(body) > 0:
		return "served with Content-Encoding deflate and no zlib stream"
	case (named == "gzip" || named == "x-gzip") && !isGzip(body) && len(body) > 0:
		return "served with Content-Encoding gzip and no gzip stream"
	}
	return ""
}

// Withhold is the outcome of masking an input withheld whole for reason, for a caller that
// knows it cannot be read (ContentEncodingUnread).
func Withhold(reason string) Masked { return withheldWhole(reason, "") }

// unreadableFormats are the compressed and archive formats recognised by their first bytes
// that the masker cannot decode.
var unreadableFormats = []struct{ magic, name string }{
	{"\xfd7zXZ\x00", "xz"},
	{"\x28\xb5\x2f\xfd", "zstd"},
	{"7z\xbc\xaf\x27\x1c", "7z"},
	{"Rar!\x1a\x07", "rar"},
	{"\x04\x22\x4d\x18", "lz4"},
	{"LZIP\x01", "lzip"},
	{"\x89LZO\x00\r\n\x1a\n", "lzop"},
	{"MSCF\x00\x00\x00\x00", "cab"},
}

// unreadableFormat names the format src is in when it is one the masker cannot read.
func unreadableFormat(src []byte) string {
	for _, f := range unreadableFormats {
		if bytes.HasPrefix(src, []byte(f.magic)) {
			return f.name
		}
	}
	// compress (.Z): two bytes, then 9 to 16 bits of code width and no reserved bit set.
	if len(src) >= 3 && src[0] == 0x1f && src[1] == 0x9d && src[2]&0x60 == 0 && src[2]&0x1f >= 9 && src[2]&0x1f <= 16 {
		return "compress (.Z)"
	}
	return ""
}

// isGzip reports a gzip stream (RFC 1952: its magic and deflate), which sniff decodes.
func isGzip(src []byte) bool {
	return len(src) >= 3 && src[0] == 0x1f && src[1] == 0x8b && src[2] == 8
}

// isZip reports an input that starts as a zip archive does: a local file header, or the end
// of an empty archive.
func isZip(src []byte) bool {
	return bytes.HasPrefix(src, []byte("PK\x03\x04")) || bytes.HasPrefix(src, []byte("PK\x05\x06"))
}

// isZlib reports a zlib header (RFC 1950): deflate, a window of at most 32 KiB, no preset
// dictionary, and a check that the two bytes are a multiple of 31. Text can start so ("x^"),
// so a stream that then does not decode is read as text, unless it is not text.
func isZlib(src []byte) bool {
	return len(src) >= 6 && src[0]&0x0f == 8 && src[0]>>4 <= 7 && src[1]&0x20 == 0 &&
		(uint(src[0])<<8|uint(src[1]))%31 == 0
}

// isBzip2 reports a bzip2 stream: "BZh", the block size, and the first block's magic (or the
// end of an empty stream).
func isBzip2(src []byte) bool {
	return len(src) >= 10 && string(src[:3]) == "BZh" && src[3] >= '1' && src[3] <= '9' &&
		(string(src[4:10]) == "1AY&SY" || string(src[4:10]) == "\x17\x72\x45\x38\x50\x90")
}

// compressedInput reports an input that is compressed or archived: gzip (sniff's), or a
// format this file reads or withholds.
func compressedInput(src []byte) bool {
	return isGzip(src) || isZip(src) || isZlib(src) || isBzip2(src) || unreadableFormat(src) != ""
}

// container masks src when it is compressed or archived (ok); depth is its layer.
func (e *Engine) container(src []byte, limit int, b *budget, depth int) (m Masked, ok bool) {
	if name := unreadableFormat(src); name != "" {
		return withheldWhole("compressed as "+name+", which the masker cannot read", name), true
	}
	switch {
	case isZip(src):
		return e.maskZip(src, limit, b, depth), true
	case isZlib(src):
		zr, err := zlib.NewReader(bytes.NewReader(src))
		var d []byte
		if err == nil {
			d, err = inflate(zr, min(limit, b.left))
		}
		switch {
		case errors.Is(err, errDecodedTooLarge):
			return withheldWhole("zlib stream larger than the decoding limit", encZlib), true
		case err != nil:
			// Cut short or corrupt, it decodes up to where it stops: withheld when that holds a
			// value, or when it is the whole input and no text. Otherwise it is text that
			// starts as a zlib header does ("x^", "\b["), or decoded bytes that start so by
			// chance (about one in 2,000), read as any bytes are.
			if len(d) > 0 && e.decoded(d, encZlib, limit, b, depth).Summary.Total() > 0 || depth == 0 && !utf8.Valid(src) {
				return withheldWhole("zlib stream unreadable", encZlib), true
			}
			return Masked{}, false
		}
		b.take(len(d))
		m := e.decoded(d, encZlib, limit, b, depth)
		if depth > 0 && m.Withheld == "" && m.Summary.Total() > 0 {
			m.Body = rezlib(m.Body) // inside a layer, written back as it came, as gzip is
		}
		return m, true
	case isBzip2(src):
		d, err := inflate(bzip2.NewReader(bytes.NewReader(src)), min(limit, b.left))
		if err != nil {
			if errors.Is(err, errDecodedTooLarge) {
				return withheldWhole("bzip2 stream larger than the decoding limit", encBzip2), true
			}
			return withheldWhole("bzip2 stream unreadable", encBzip2), true
		}
		b.take(len(d))
		return e.decoded(d, encBzip2, limit, b, depth), true
	}
	return Masked{}, false
}

var errDecodedTooLarge = errors.New("decoded size over the limit")

// inflate reads a decompressing reader to its end, at most limit bytes; on an error, with
// what it read before it.
func inflate(r io.Reader, limit int) ([]byte, error) {
	d, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return d, err
	}
	if len(d) > limit {
		return nil, errDecodedTooLarge
	}
	return d, nil
}

// decoded masks the text a compressed input decoded to, as the same layer.
func (e *Engine) decoded(d []byte, enc string, limit int, b *budget, depth int) Masked {
	return e.maskRead(d, enc, FormatAuto, limit, b, depth)
}

// rezlib compresses d again as a zlib stream.
func rezlib(d []byte) []byte {
	return compress(d, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
}

// maskZip masks a zip archive's entries' names, contents and comments, and the archive's
// comment, and writes the archive again from what it read.
func (e *Engine) maskZip(src []byte, limit int, b *budget, depth int) Masked {
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		return withheldWhole("zip archive unreadable", encZip)
	}
	if len(zr.File) > maxZipEntries {
		return withheldWhole("zip archive of more than "+strconv.Itoa(maxZipEntries)+" entries", encZip)
	}
	if depth+1 > MaxLayers {
		return withheldWhole("encoded more than "+strconv.Itoa(MaxLayers)+" layers deep", encZip)
	}
	res := Masked{Format: FormatText, Summary: Summary{}}
	// part masks one text of the archive (a name, a comment or an entry's content) and adds
	// its findings under the path at, as a layer below the archive.
	part := func(d []byte, f Format, at string) []byte {
		m := e.mask(d, f, max(len(d), b.left), b, depth+1)
		if m.Summary.Total() == 0 && m.Withheld == "" {
			return d
		}
		for k, v := range m.Summary {
			res.Summary[k] += v
		}
		res.Tokens = append(res.Tokens, m.Tokens...)
		if res.Withheld == "" {
			res.Withheld = m.Withheld
		}
		for _, fd := range m.Findings() {
			fd.Path = at + " > " + fd.Path
			if fd.Encoding == "" {
				fd.Encoding = encZip
			} else {
				fd.Encoding = encZip + ">" + fd.Encoding
			}
			res.found = append(res.found, fd)
		}
		return m.Body
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for i, f := range zr.File {
		if f.Flags&0x1 != 0 {
			return withheldWhole("zip entry encrypted", encZip)
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return withheldWhole("zip entry compressed with method "+strconv.Itoa(int(f.Method)), encZip)
		}
		entry := "entry " + strconv.Itoa(i+1)
		name := part([]byte(f.Name), FormatText, entry+" name")
		comment := []byte(f.Comment)
		if len(comment) > 0 {
			comment = part(comment, FormatText, entry+" comment")
		}
		var content []byte
		if !f.Mode().IsDir() {
			rc, err := f.Open()
			if err != nil {
				return withheldWhole("zip entry unreadable", encZip)
			}
			left := min(limit, b.left)
			content, err = io.ReadAll(io.LimitReader(rc, int64(left)+1))
			rc.Close()
			if err != nil {
				return withheldWhole("zip entry unreadable", encZip)
			}
			if len(content) > left || !b.take(len(content)) {
				return withheldWhole("zip archive larger than the decoding limit", encZip)
			}
			content = part(content, FormatAuto, entry+" ("+string(name)+")")
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: string(name), Comment: string(comment), Method: f.Method, Modified: f.Modified})
		if err != nil {
			return withheldWhole("zip entry unwritable", encZip)
		}
		w.Write(content)
	}
	if zr.Comment != "" {
		zw.SetComment(string(part([]byte(zr.Comment), FormatText, "archive comment")))
	}
	if err := zw.Close(); err != nil {
		return withheldWhole("zip archive unwritable", encZip)
	}
	res.Body = out.Bytes()
	return res
}
