package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/token"
)

// Limits that keep a run bounded whatever is asked.
const (
	MaxRequests = 200_000
	MaxDuration = 5 * time.Minute
	MaxWorkers  = 256
)

// Options configure a run.
type Options struct {
	Dir      string        // data folder for the local instance
	Workers  int           // concurrent workers
	Requests int           // total requests per phase
	Duration time.Duration // time limit per phase
	// Progress, when set, receives a line about the running phase about once a second.
	Progress io.Writer
}

// Stats summarise one phase.
type Stats struct {
	Name     string
	Requests int
	Errors   int
	Elapsed  time.Duration
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	Max      time.Duration
	// FirstError is the first failure's message, when there were failures.
	FirstError string
	// Writes, Commits and Fsyncs are the store's durable writes, its committed transactions
	// and the fsyncs they waited for during the phase, per request (zero for the baseline).
	// They include what the phase's session opens wrote.
	Writes, Commits, Fsyncs float64
	// CPU is the process's CPU time (user and system) per request during the phase: agents,
	// authority and target together, as they share the process. Zero where the platform
	// does not say.
	CPU time.Duration
}

// Cores is how many cores the phase kept busy on average: CPU per request times the rate.
func (s Stats) Cores() float64 { return s.CPU.Seconds() * s.RPS() }

// RPS is requests per second.
func (s Stats) RPS() float64 { return float64(s.Requests) / s.Elapsed.Seconds() }

func (s Stats) String() string {
	line := fmt.Sprintf("%-28s %7d req %5d err %9.0f req/s  p50 %8s  p90 %8s  p99 %8s  max %8s",
		s.Name, s.Requests, s.Errors, s.RPS(), s.P50.Round(time.Microsecond), s.P90.Round(time.Microsecond),
		s.P99.Round(time.Microsecond), s.Max.Round(time.Microsecond))
	if s.CPU > 0 {
		line += fmt.Sprintf("  cpu %s/req (%.1f cores)", s.CPU.Round(time.Microsecond), s.Cores())
	}
	if s.Writes > 0 {
		line += fmt.Sprintf("  %.2f writes, %.2f commits, %.2f fsyncs /req", s.Writes, s.Commits, s.Fsyncs)
	}
	return line
}

// Run starts a local instance in o.Dir and measures, in this order: the baseline (direct
// calls to the demo target with a token minted once), then allowed reads through the
// authority, then denied deletes through the authority.
func Run(ctx context.Context, o Options) ([]Stats, error) {
	if o.Workers <= 0 || o.Workers > MaxWorkers || o.Requests <= 0 || o.Requests > MaxRequests || o.Duration <= 0 || o.Duration > MaxDuration {
		return nil, fmt.Errorf("load: workers 1-%d, requests 1-%d and duration up to %s are required", MaxWorkers, MaxRequests, MaxDuration)
	}
	inst, err := local.Start(ctx, local.Options{Dir: o.Dir, Addr: "127.0.0.1:0"})
	if err != nil {
		return nil, err
	}
	defer inst.Close()
	a := inst.Config.Agents[0]
	c := client.New(inst.URL, inst.Config.Region, a.AccessKeyID, a.SecretAccessKey)
	// Each worker is an agent with its own sessions, as agents act sequentially in theirs.
	pools := make([]*sessionPool, o.Workers)
	for w := range pools {
		pools[w] = &sessionPool{c: c}
	}

	secret, err := local.DemoSecret(ctx, inst.Dir)
	if err != nil {
		return nil, err
	}
	tok, err := token.Mint(secret, token.Claims{Audience: crm.Audience, Method: "GET", Path: "/customers/42", ExpiresAt: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Workers}}
	direct := func(ctx context.Context, _ int) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+inst.CRMAddr+"/customers/42", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	read := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: crm.Audience, Method: "GET", Path: "/customers/42"}}
	allowed := func(ctx context.Context, w int) error {
		id, err := pools[w].next(ctx)
		if err != nil {
			return err
		}
		_, err = c.Act(ctx, id, read)
		return err
	}
	del := api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: crm.Audience, Method: "DELETE", Path: "/customers/42"}}
	denied := func(ctx context.Context, w int) error {
		id, err := pools[w].next(ctx)
		if err != nil {
			return err
		}
		_, err = c.Act(ctx, id, del)
		if _, ok := client.IsDenied(err); ok {
			return nil
		}
		if err == nil {
			return errors.New("delete was allowed")
		}
		return err
	}
	var out []Stats
	for _, p := range []struct {
		name string
		fn   func(context.Context, int) error
	}{
		{"baseline: direct to target", direct},
		{"allowed read via Mandate", allowed},
		{"denied delete via Mandate", denied},
	} {
		before, counted := inst.StoreStats()
		st, err := phase(ctx, p.name, o, p.fn)
		if err != nil {
			return out, err
		}
		if after, _ := inst.StoreStats(); counted && p.name != "baseline: direct to target" && st.Requests > 0 {
			st.Writes = float64(after.Writes-before.Writes) / float64(st.Requests+st.Errors)
			st.Commits = float64(after.Commits-before.Commits) / float64(st.Requests+st.Errors)
			st.Fsyncs = float64(after.Fsyncs-before.Fsyncs) / float64(st.Requests+st.Errors)
		}
		out = append(out, st)
	}
	return out, nil
}

// Fsync measures the disk under dir: n appends of 512 bytes to one file, each followed by
// fsync, as a store commit ends. It is the floor under any durable write there.
func Fsync(dir string, n int) (Stats, error) {
	f, err := os.CreateTemp(dir, "fsync-")
	if err != nil {
		return Stats{}, fmt.Errorf("load: fsync baseline: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 512)
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for range n {
		t := time.Now()
		if _, err := f.Write(buf); err != nil {
			return Stats{}, fmt.Errorf("load: fsync baseline: %w", err)
		}
		if err := f.Sync(); err != nil {
			return Stats{}, fmt.Errorf("load: fsync baseline: %w", err)
		}
		lat = append(lat, time.Since(t))
	}
	return summarise("fsync baseline: write+fsync", time.Since(start), lat), nil
}

func summarise(name string, elapsed time.Duration, all []time.Duration) Stats {
	slices.Sort(all)
	st := Stats{Name: name, Elapsed: elapsed, Requests: len(all)}
	if len(all) == 0 {
		return st
	}
	q := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	st.P50, st.P90, st.P99, st.Max = q(0.50), q(0.90), q(0.99), all[len(all)-1]
	return st
}

// sessionPool hands out sessions, opening a new one before a session's action budget runs
// out (authority.DefaultMaxActions), as a long-running agent would. Opening one is part of
// the measured time of the action that needed it.
type sessionPool struct {
	c    *client.Client
	mu   sync.Mutex
	id   string
	used int
}

// actionsPerSession stays under the demo policies' limit of 20 reads a session (and the
// default budget of 100 actions).
const actionsPerSession = 20

func (p *sessionPool) next(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id == "" || p.used >= actionsPerSession {
		s, err := p.c.OpenSession(ctx, api.OpenSessionRequest{
			Operator: local.DefaultOperator, Prompt: "look up the contact details of customer 42 to answer their ticket", TTL: "1h",
		})
		if err != nil {
			return "", fmt.Errorf("load: open session: %w", err)
		}
		p.id, p.used = s.SessionID, 0
	}
	p.used++
	return p.id, nil
}

// phase runs fn from o.Workers workers until o.Requests calls are made or o.Duration passes.
func phase(ctx context.Context, name string, o Options, fn func(context.Context, int) error) (Stats, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var next, errs atomic.Int64
	lat := make([][]time.Duration, o.Workers)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	cpu := cpuTime()
	start := time.Now()
	if o.Progress != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					n := min(next.Load(), int64(o.Requests))
					fmt.Fprintf(o.Progress, "  %s, %d workers: %d of %d requests, %d errors, %.0f req/s so far\n",
						name, o.Workers, n, o.Requests, errs.Load(), float64(n)/time.Since(start).Seconds())
				}
			}
		}()
	}
	for w := range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(o.Requests) && ctx.Err() == nil {
				t := time.Now()
				if err := fn(ctx, w); err != nil {
					if ctx.Err() != nil {
						return
					}
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	st := summarise(name, time.Since(start), slices.Concat(lat...))
	st.Errors = int(errs.Load())
	if n := st.Requests + st.Errors; n > 0 && cpu > 0 {
		st.CPU = (cpuTime() - cpu) / time.Duration(n)
	}
	st.FirstError, _ = firstErr.Load().(string)
	if st.Requests == 0 {
		return st, fmt.Errorf("load: %s: no request succeeded: %s", name, st.FirstError)
	}
	return st, nil
}

// Report formats the phases with the authority's overhead over the baseline.
func Report(stats []Stats) string {
	var b strings.Builder
	for _, s := range stats {
		b.WriteString(s.String() + "\n")
		if s.Errors > 0 {
			fmt.Fprintf(&b, "  first failure: %s\n", s.FirstError)
		}
	}
	if len(stats) > 1 {
		base := stats[0]
		for _, s := range stats[1:] {
			fmt.Fprintf(&b, "%s adds p50 %s, p99 %s over the baseline\n", s.Name,
				(s.P50 - base.P50).Round(time.Microsecond), (s.P99 - base.P99).Round(time.Microsecond))
		}
	}
	return b.String()
}
