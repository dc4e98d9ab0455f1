package mask_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/action"
	"github.com/mandate-dev/mandate/shared/mask"
)

// Keys that held values masked to the same text stay distinct names: a repeated name is
// refused by strict readers (Mandate's own among them) and silently drops a member in lax
// ones. A replacement's text given in the input counts too.
func TestMaskedKeysStayUnique(t *testing.T) {
	e := mask.New()
	for _, in := range []string{
		`{"ada@example.com":1,"bob@example.com":2,"carol@example.com":3}`,
		`{"[EMAIL]":0,"ada@example.com":1}`,
		`{"a":{"ada@example.com":1,"bob@example.com":{"x@example.com":1,"y@example.com":2}},"b":[{"ada@example.com":1,"bob@example.com":2}]}`,
		`{"contact ada@example.com":1,"contact bob@example.com":2}`,
		// Keys given as what masking writes, before and after the masked ones, short and long.
		`{"[EMAIL]#2":0,"ada@example.com":1,"bob@example.com":2}`,
		`{"ada@example.com":1,"bob@example.com":2,"[EMAIL]#2":0,"[EMAIL]":3}`,
		`{"[IP]":0,"10.1.2.3":1,"[IP]#2":2,"10.1.2.4":3}`,
		`{"contact [EMAIL]#2":0,"contact ada@example.com":1,"contact bob@example.com":2}`,
	} {
		out, _ := e.Apply([]byte(in))
		if err := action.CheckJSON(out); err != nil {
			t.Errorf("Apply(%s) = %s: %v", in, out, err)
		}
		var streamed bytes.Buffer
		if _, err := e.Stream(strings.NewReader(in), &streamed, mask.FormatJSON); err != nil || action.CheckJSON(streamed.Bytes()) != nil ||
			strings.Contains(streamed.String(), "@example.com") {
			t.Errorf("Stream(%s) = %s (%v, %v)", in, streamed.String(), err, action.CheckJSON(streamed.Bytes()))
		}
		var v any
		if err := json.Unmarshal(out, &v); err != nil || strings.Contains(string(out), "@example.com") {
			t.Errorf("Apply(%s) = %s (%v)", in, out, err)
		}
	}
}
