package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoTellsTheWholeStory(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	dir := t.TempDir()
	if err := Run(context.Background(), &out, Options{Dir: dir}); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"intent customer_support.lookup",
		`"email":"[EMAIL]"`,
		"denied (403) by [forbid-delete-customers]",
		"401 from the target",
		"every hash, link and sequence checks out",
		"State kept in " + dir,
		"verify --data " + dir + " --key-id SHA256:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(text, "NOT AS EXPECTED") || strings.Contains(text, "grace.hopper@example.org") {
		t.Errorf("output:\n%s", text)
	}
}
