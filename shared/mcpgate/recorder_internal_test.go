package mcpgate

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// spy fails the test if the session id leaves in a header before the gate knows its owner.
type spy struct {
	*httptest.ResponseRecorder
	t     *testing.T
	owned func() bool
}

func (s spy) WriteHeader(code int) {
	if !s.owned() {
		s.t.Fatal("the session id was sent before the session had an owner")
	}
	s.ResponseRecorder.WriteHeader(code)
}

func (s spy) Write(b []byte) (int, error) {
	if !s.owned() {
		s.t.Fatal("the session id was sent before the session had an owner")
	}
	return s.ResponseRecorder.Write(b)
}

// TestSessionOwnedBeforeItsIDLeaves: a streamed initialize answer reaches the client before
// the SDK's handler returns, and the client's next request may come at once; the owner of
// the new session is recorded before its id is written, whichever write comes first.
func TestSessionOwnedBeforeItsIDLeaves(t *testing.T) {
	for _, first := range []string{"WriteHeader", "Write", "Flush"} {
		owners := map[string]string{}
		rec := &recorder{started: func(id string) { owners[id] = "agent" }}
		rec.ResponseWriter = spy{ResponseRecorder: httptest.NewRecorder(), t: t, owned: func() bool { return owners["S1"] == "agent" }}
		rec.Header().Set("Mcp-Session-Id", "S1")
		switch first {
		case "WriteHeader":
			rec.WriteHeader(http.StatusOK)
		case "Write":
			_, _ = rec.Write([]byte("event: message\n"))
		case "Flush":
			rec.Flush()
		}
		_, _ = rec.Write([]byte("data: {}\n\n"))
		if len(owners) != 1 {
			t.Fatalf("%s first: owners %v, want the one session once", first, owners)
		}
	}
}
