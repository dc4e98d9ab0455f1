package bolt

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mandate-dev/mandate/shared/store"
)

// recordV1 starts a stored audit record in the binary layout. Records stored before it are
// JSON objects (they start with '{') and are still read.
//
// The layout is the tag, then the session id, the sequence number, the hash and the previous
// hash, each string as a uvarint length and its bytes, the number as a uvarint, then the body
// to the end. The body is the record's canonical JSON as it was hashed, byte for byte;
// in JSON it was stored in base64, a third larger, and every read and write of the chain
// encoded or decoded it.
const recordV1 = 0x01

// errRecord means stored bytes are not a record in either layout.
var errRecord = errors.New("not a stored record")

// EncodeRecord returns r in the layout the store writes (also for tools that write the store
// file directly, such as the CLI's tamper tests).
func EncodeRecord(r store.Record) []byte {
	n := 1 + 4*binary.MaxVarintLen64 + len(r.SessionID) + len(r.Hash) + len(r.PrevHash) + len(r.Body)
	b := make([]byte, 0, n)
	b = append(b, recordV1)
	b = appendString(b, r.SessionID)
	b = binary.AppendUvarint(b, r.Seq)
	b = appendString(b, r.Hash)
	b = appendString(b, r.PrevHash)
	return append(b, r.Body...)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// recordHead is a stored record's fields before its body; body is the rest of the data, not
// copied (inside a transaction it is bbolt's memory).
func recordHead(data []byte) (r store.Record, body []byte, err error) {
	if len(data) == 0 {
		return store.Record{}, nil, errRecord
	}
	if data[0] == '{' {
		if err := json.Unmarshal(data, &r); err != nil {
			return store.Record{}, nil, fmt.Errorf("%w: %v", errRecord, err)
		}
		body, r.Body = r.Body, nil
		return r, body, nil
	}
	if data[0] != recordV1 {
		return store.Record{}, nil, fmt.Errorf("%w: layout %#x", errRecord, data[0])
	}
	rest := data[1:]
	var ok bool
	if r.SessionID, rest, ok = readString(rest); !ok {
		return store.Record{}, nil, errRecord
	}
	seq, n := binary.Uvarint(rest)
	if n <= 0 {
		return store.Record{}, nil, errRecord
	}
	r.Seq, rest = seq, rest[n:]
	if r.Hash, rest, ok = readString(rest); !ok {
		return store.Record{}, nil, errRecord
	}
	if r.PrevHash, rest, ok = readString(rest); !ok {
		return store.Record{}, nil, errRecord
	}
	return r, rest, nil
}

func readString(b []byte) (string, []byte, bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return "", nil, false
	}
	return string(b[n : n+int(l)]), b[n+int(l):], true
}

// DecodeRecord returns the audit record stored as data in either layout, its body copied out
// of data (also for tools that read the store file directly).
func DecodeRecord(data []byte) (store.Record, error) {
	r, body, err := recordHead(data)
	if err != nil {
		return store.Record{}, err
	}
	r.Body = append([]byte(nil), body...)
	return r, nil
}
