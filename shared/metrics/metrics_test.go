package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestActionLineIsEMF(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	at := time.UnixMilli(1_795_608_000_000)
	New(&buf, func() time.Time { return at }).Action(Action{
		Verdict: "allow", Target: "customers", Total: 1500 * time.Microsecond, Policy: 3 * time.Microsecond,
		Decision: 400 * time.Microsecond, Masked: map[string]int{"email": 1, "card": 2},
	})
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("not one JSON line: %q (%v)", buf.String(), err)
	}
	aws := line["_aws"].(map[string]any)
	if aws["Timestamp"] != float64(at.UnixMilli()) {
		t.Fatalf("timestamp %v", aws["Timestamp"])
	}
	cwm := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if cwm["Namespace"] != Namespace {
		t.Fatalf("namespace %v", cwm["Namespace"])
	}
	var names []string
	for _, m := range cwm["Metrics"].([]any) {
		name := m.(map[string]any)["Name"].(string)
		names = append(names, name)
		if _, ok := line[name]; !ok {
			t.Errorf("metric %s declared but has no value", name)
		}
	}
	want := []string{"Actions", "Latency", "PolicyLatency", "DecisionAppendLatency", "Masked_card", "Masked_email"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("metrics (-want +got):\n%s", diff)
	}
	// Every dimension named in a dimension set is a top-level member.
	for _, set := range cwm["Dimensions"].([]any) {
		for _, d := range set.([]any) {
			if _, ok := line[d.(string)]; !ok {
				t.Errorf("dimension %s has no value", d)
			}
		}
	}
	if line["Latency"] != 1.5 || line["Masked_card"] != float64(2) {
		t.Fatalf("values: %v %v", line["Latency"], line["Masked_card"])
	}
}

func TestNilEmitterIsOff(t *testing.T) {
	t.Parallel()
	var e *Emitter
	e.Action(Action{Verdict: "deny"}) // must not panic
}
