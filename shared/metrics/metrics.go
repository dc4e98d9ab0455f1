package metrics

import (
	"encoding/json"
	"io"
	"sort"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "Mandate"

// Action is what one action measured.
type Action struct {
	Verdict string // allow, deny, approval
	Target  string
	Total   time.Duration
	// Stage durations; zero stages (not reached) are left out.
	Policy, Decision, Broker, Execute, Mask, Result time.Duration
	// Masked counts values masked per detector.
	Masked map[string]int
}

// Emitter writes EMF lines to w.
type Emitter struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// New returns an Emitter writing to w (os.Stdout in Lambda).
func New(w io.Writer, now func() time.Time) *Emitter { return &Emitter{w: w, now: now} }

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// Action writes one line for a. It is safe on a nil Emitter (metrics off).
func (e *Emitter) Action(a Action) {
	if e == nil {
		return
	}
	line := map[string]any{"Verdict": a.Verdict, "Target": a.Target}
	var defs []metricDef
	add := func(name, unit string, v float64) {
		defs = append(defs, metricDef{Name: name, Unit: unit})
		line[name] = v
	}
	add("Actions", "Count", 1)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	add("Latency", "Milliseconds", ms(a.Total))
	for _, st := range []struct {
		name string
		d    time.Duration
	}{{"PolicyLatency", a.Policy}, {"DecisionAppendLatency", a.Decision}, {"BrokerLatency", a.Broker},
		{"ExecuteLatency", a.Execute}, {"MaskLatency", a.Mask}, {"ResultAppendLatency", a.Result}} {
		if st.d > 0 {
			add(st.name, "Milliseconds", ms(st.d))
		}
	}
	detectors := make([]string, 0, len(a.Masked))
	for d := range a.Masked {
		detectors = append(detectors, d)
	}
	sort.Strings(detectors)
	for _, d := range detectors {
		add("Masked_"+d, "Count", float64(a.Masked[d]))
	}
	line["_aws"] = map[string]any{
		"Timestamp": e.now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  Namespace,
			"Dimensions": [][]string{{"Verdict"}, {"Target", "Verdict"}},
			"Metrics":    defs,
		}},
	}
	raw, err := json.Marshal(line)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(append(raw, '\n'))
}
