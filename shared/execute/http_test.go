package execute

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/target"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tg := target.Target{Name: "c", BaseURL: "http://127.0.0.1:1/api"}
	cases := []struct {
		path, want string
		bad        bool
	}{
		{path: "/customers/42", want: "http://127.0.0.1:1/api/customers/42"},
		{path: "/customers?limit=2&q=a%20b", want: "http://127.0.0.1:1/api/customers?limit=2&q=a%20b"},
		{path: "/a%20b", want: "http://127.0.0.1:1/api/a%20b"},
		{path: "/../admin", bad: true},
		{path: "/x/%2e%2e/admin", bad: true},
		{path: "//evil.example/x", bad: true},
		{path: "customers", bad: true},
		{path: "/x\\..\\y", bad: true},
		{path: "/x#frag", bad: true},
		{path: "/x\r\nHost: evil", bad: true},
		{path: "/%zz", bad: true},
		{path: "/x?a=%zz", bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			u, err := URL(tg, api.Action{Path: tc.path})
			if tc.bad {
				if !errors.Is(err, ErrBadAction) {
					t.Fatalf("URL(%q) = %v, %v; want ErrBadAction", tc.path, u, err)
				}
				return
			}
			if err != nil || u.String() != tc.want {
				t.Fatalf("URL(%q) = %v, %v; want %s", tc.path, u, err, tc.want)
			}
			if u.Host != "127.0.0.1:1" {
				t.Fatalf("host changed to %q", u.Host)
			}
		})
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	var gotAuth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
		case "/big":
			io.WriteString(w, strings.Repeat("x", 100))
		case "/slow":
			time.Sleep(200 * time.Millisecond)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
		case "/gzip": // what the transport asked for: it decodes it
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, "plain")
			zw.Close()
		case "/br": // what it did not: the body comes as it was sent, and says so
			w.Header().Set("Content-Encoding", "br")
			w.Write([]byte{0x1b, 0x04, 0x00})
		}
	}))
	t.Cleanup(srv.Close)
	tg := target.Target{Name: "c", BaseURL: srv.URL, Timeout: target.Duration(time.Second), MaxResponseBytes: 10}
	cred := broker.Credential{Header: "Authorization", Value: "Bearer secret-value"}
	h := NewHTTP(nil)
	ctx := context.Background()

	res, err := h.Do(ctx, tg, cred, api.Action{Method: "POST", Path: "/echo", Body: map[string]any{"a": 1}})
	if err != nil || string(res.Body) != `{"a":1}` || res.Status != 200 {
		t.Fatalf("echo = %+v, %v", res, err)
	}
	if gotAuth.Load() != "Bearer secret-value" {
		t.Fatalf("credential not injected: %v", gotAuth.Load())
	}
	res, err = h.Do(ctx, tg, cred, api.Action{Method: "GET", Path: "/gzip"})
	if err != nil || string(res.Body) != "plain" || res.ContentEncoding != "" {
		t.Fatalf("gzip = %+v, %v", res, err)
	}
	res, err = h.Do(ctx, tg, cred, api.Action{Method: "GET", Path: "/br"})
	if err != nil || res.ContentEncoding != "br" || string(res.Body) != "\x1b\x04\x00" {
		t.Fatalf("br = %+v, %v", res, err)
	}
	res, err = h.Do(ctx, tg, cred, api.Action{Method: "GET", Path: "/redirect"})
	if err != nil || res.Status != http.StatusFound {
		t.Fatalf("redirect followed or failed: %+v, %v", res, err)
	}
	res, err = h.Do(ctx, tg, cred, api.Action{Method: "GET", Path: "/big"})
	if err != nil || !res.Truncated || len(res.Body) != 10 {
		t.Fatalf("cap not applied: %+v, %v", res, err)
	}
	slow := tg
	slow.Timeout = target.Duration(50 * time.Millisecond)
	if _, err := h.Do(ctx, slow, cred, api.Action{Method: "GET", Path: "/slow"}); !errors.Is(err, ErrTarget) {
		t.Fatalf("timeout not enforced: %v", err)
	} else if strings.Contains(err.Error(), "secret-value") || strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("error leaks credential or address: %v", err)
	}
	if _, err := h.Do(ctx, tg, cred, api.Action{Method: "TRACE", Path: "/"}); !errors.Is(err, ErrBadAction) {
		t.Fatalf("TRACE accepted: %v", err)
	}
}

func FuzzURL(f *testing.F) {
	f.Add("/customers/42?x=1")
	f.Add("/../x")
	tg := target.Target{Name: "c", BaseURL: "http://127.0.0.1:1/api"}
	f.Fuzz(func(t *testing.T, p string) {
		u, err := URL(tg, api.Action{Path: p})
		if err != nil {
			return
		}
		if u.Scheme != "http" || u.Host != "127.0.0.1:1" || !strings.HasPrefix(u.Path, "/api") {
			t.Fatalf("path %q escaped the base: %s", p, u)
		}
	})
}

// TestConcurrentActionsReuseConnections holds the executor to about one connection per
// action in flight: 16 actions at a time, 20 rounds. With net/http's default of 2 idle
// connections per host, each round closed 14 of them and the next dialled 14 anew (about 280
// dials). The bound is twice the actions in flight: the transport puts a connection back in
// its pool just after the caller has read the answer, so a request of the next round that
// starts in between dials once more (17 was seen under the race detector on a busy machine).
func TestConcurrentActionsReuseConnections(t *testing.T) {
	t.Parallel()
	var dialled atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "{}")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	tg := target.Target{Name: "c", BaseURL: srv.URL, Timeout: target.Duration(5 * time.Second), MaxResponseBytes: 1 << 10}
	cred := broker.Credential{Header: "Authorization", Value: "Bearer x"}
	h := NewHTTP(nil)
	const inFlight, rounds = 16, 20
	var failed atomic.Value
	for range rounds {
		var wg sync.WaitGroup
		for range inFlight {
			wg.Go(func() {
				if _, err := h.Do(context.Background(), tg, cred, api.Action{Method: "GET", Path: "/x"}); err != nil {
					failed.Store(err)
				}
			})
		}
		wg.Wait()
	}
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	if n := dialled.Load(); n > 2*inFlight {
		t.Fatalf("%d connections for %d actions at most %d at a time", n, inFlight*rounds, inFlight)
	}
}
