package archive_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
)

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// parseLineReference is ParseLine as encoding/json alone reads a line: what the fast reading
// of a line must agree with, errors included.
func parseLineReference(body []byte) (archive.Line, error) {
	type lineHead struct { // named as ParseLine's, which encoding/json's errors name
		Session string    `json:"session"`
		Seq     uint64    `json:"seq"`
		Hash    string    `json:"hash"`
		Prev    string    `json:"prev_hash"`
		Time    time.Time `json:"time"`
	}
	var head lineHead
	if len(body) == 0 || len(body) > archive.MaxLineBytes || strings.ContainsAny(string(body), "\r\n") {
		return archive.Line{}, fmt.Errorf("%w: record line of %d bytes", archive.ErrMalformed, len(body))
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return archive.Line{}, fmt.Errorf("%w: record line: %v", archive.ErrMalformed, err)
	}
	if head.Session == "" || head.Seq == 0 || !hexHash.MatchString(head.Hash) || head.Time.IsZero() {
		return archive.Line{}, fmt.Errorf("%w: record line lacks session, seq, hash or time", archive.ErrMalformed)
	}
	return archive.Line{Session: head.Session, Seq: head.Seq, Hash: head.Hash, Prev: head.Prev, Time: head.Time.UTC(), Body: body}, nil
}

func agree(t *testing.T, body []byte) {
	t.Helper()
	got, gotErr := archive.ParseLine(body)
	want, wantErr := parseLineReference(body)
	// The reference's type is this package's: its name is the only difference allowed.
	wantMsg := strings.ReplaceAll(fmt.Sprint(wantErr), "archive_test.lineHead", "archive.lineHead")
	if fmt.Sprint(gotErr) != wantMsg || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseLine(%q)\n = %+v, %v\nencoding/json reads %+v, %v", body, got, gotErr, want, wantErr)
	}
}

// sealedLine is an allowed action's decision record as the authority writes it.
func sealedLine(t testing.TB) []byte {
	t.Helper()
	r := audit.Record{
		Version: audit.Version, Session: "ses_01JEXAMPLE", Seq: 7, PrevHash: strings.Repeat("ab", 32), Type: audit.TypeDecision,
		Time: time.Date(2026, 12, 7, 15, 4, 5, 123456789, time.UTC), RequestID: "req-7",
		Identity: audit.Identity{Agent: "arn:aws:sts::123456789012:assumed-role/agent/s", Operator: "alice@example.com"},
		Intents:  []api.Intent{{Name: "read-orders", Score: 0.91, Evidence: []string{"orders", "\"seq\":9"}}},
		Action:   &audit.Action{Kind: "http", Name: "GET https://orders.internal/v1/orders?id=42", Digest: strings.Repeat("cd", 32)},
	}
	body, err := audit.Seal(&r)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestParseLineAgreesWithEncodingJSON: every spelling of a record line's placing fields reads
// as encoding/json reads it, or is refused with its words: member names in another case or
// escaped, a field twice, numbers that are no uint64, values of other types, the fields
// inside nested values or strings, white space, invalid JSON.
func TestParseLineAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	line := string(sealedLine(t))
	if _, err := archive.ParseLine([]byte(line)); err != nil {
		t.Fatal(err)
	}
	h := strings.Repeat("0", 64)
	base := `{"hash":"` + h + `","prev_hash":"","seq":1,"session":"s","time":"2026-12-07T10:00:00Z","type":"decision"}`
	cases := []string{
		line,
		base,
		strings.Replace(base, `"session"`, `"Session"`, 1),
		strings.Replace(base, `"session"`, `"SESSION"`, 1),
		strings.Replace(base, `"session"`, `"sess\u0069on"`, 1),
		strings.Replace(base, `"session"`, `"ſession"`, 1), // folds to "session" in encoding/json
		strings.Replace(base, `"seq":1`, `"seq":1,"seq":2`, 1),
		strings.Replace(base, `"seq":1`, `"seq":2,"Seq":3`, 1),
		strings.Replace(base, `"session":"s"`, `"session":"s","session":"t"`, 1),
		strings.Replace(base, `"seq":1`, `"seq":1.0`, 1),
		strings.Replace(base, `"seq":1`, `"seq":1e0`, 1),
		strings.Replace(base, `"seq":1`, `"seq":-1`, 1),
		strings.Replace(base, `"seq":1`, `"seq":0`, 1),
		strings.Replace(base, `"seq":1`, `"seq":"1"`, 1),
		strings.Replace(base, `"seq":1`, `"seq":null`, 1),
		strings.Replace(base, `"seq":1`, `"seq":18446744073709551615`, 1),
		strings.Replace(base, `"seq":1`, `"seq":18446744073709551616`, 1),
		strings.Replace(base, `"session":"s"`, `"session":null`, 1),
		strings.Replace(base, `"session":"s"`, `"session":7`, 1),
		strings.Replace(base, `"session":"s"`, `"session":"s\u00e9"`, 1),
		strings.Replace(base, `"session":"s"`, `"session":"sé"`, 1),
		strings.Replace(base, `"session":"s"`, "\"session\":\"s\xff\"", 1),
		strings.Replace(base, `"session":"s"`, `"session":"s\"t"`, 1),
		strings.Replace(base, `"prev_hash":""`, `"prev_hash":"`+h+`"`, 1),
		strings.Replace(base, `"prev_hash":"",`, ``, 1),
		strings.Replace(base, `"hash":"`+h+`"`, `"hash":"`+strings.ToUpper(strings.Repeat("a", 64))+`"`, 1),
		strings.Replace(base, `"time":"2026-12-07T10:00:00Z"`, `"time":"2026-12-07T11:00:00+01:00"`, 1),
		strings.Replace(base, `"time":"2026-12-07T10:00:00Z"`, `"time":"2026-12-07 10:00:00Z"`, 1),
		strings.Replace(base, `"time":"2026-12-07T10:00:00Z"`, `"time":"2026-12-07T10:00:00\u005a"`, 1),
		strings.Replace(base, `"time":"2026-12-07T10:00:00Z"`, `"time":"0001-01-01T00:00:00Z"`, 1),
		strings.Replace(base, `"time":"2026-12-07T10:00:00Z"`, `"time":null`, 1),
		strings.Replace(base, `"type":"decision"`, `"type":{"seq":9,"session":"x","a":[1,"}",{"b":null}]}`, 1),
		strings.Replace(base, `"type":"decision"`, `"type":"\"seq\":9,\"session\":\"x\""`, 1),
		strings.Replace(base, `"type":"decision"`, `"type":[true,false,null,-1.5e3]`, 1),
		strings.ReplaceAll(base, `,`, " ,\t"),
		strings.ReplaceAll(base, `:`, " : "),
		" " + base + " ",
		base + "x",
		base[:len(base)-1],
		"[" + base + "]",
		`{}`,
		`null`,
		``,
	}
	for _, c := range cases {
		agree(t, []byte(c))
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add(sealedLine(f))
	f.Add([]byte(`{"hash":"` + strings.Repeat("0", 64) + `","seq":1,"session":"s","time":"2026-12-07T10:00:00Z"}`))
	f.Add([]byte(`{"Seq":1,"seq":2,"x":{"seq":3}}`))
	f.Fuzz(func(t *testing.T, b []byte) { agree(t, b) })
}

// BenchmarkParseLine reads a decision record's line, beside encoding/json reading it alone.
func BenchmarkParseLine(b *testing.B) {
	line := sealedLine(b)
	b.Run("parse-line", func(b *testing.B) {
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			if _, err := archive.ParseLine(line); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			if _, err := parseLineReference(line); err != nil {
				b.Fatal(err)
			}
		}
	})
}
