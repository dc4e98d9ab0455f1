package demo

import (
	"bytes"
	"context"
	"net"
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
		"Reading one order is allowed, but no AWS endpoint (mandate demo --aws-endpoint http://127.0.0.1:5000 with moto_server running): it is explained, not performed.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(text, "NOT AS EXPECTED") || strings.Contains(text, "grace.hopper@example.org") {
		t.Errorf("output:\n%s", text)
	}
}

// TestDemoCarriesOnWhenTheAWSEndpointIsDown: an endpoint that does not answer costs the AWS
// read one line; every other scene still runs and the demo passes.
func TestDemoCarriesOnWhenTheAWSEndpointIsDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	var out bytes.Buffer
	if err := Run(context.Background(), &out, Options{Dir: t.TempDir(), AWSEndpoint: down}); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	lines := 0
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "the AWS endpoint "+down+" does not answer") {
			lines++
			if !strings.HasSuffix(line, "it is explained, not performed.") {
				t.Errorf("line %q", line)
			}
		}
	}
	if lines != 1 || strings.Contains(out.String(), "4d.") {
		t.Fatalf("%d lines about the endpoint; output:\n%s", lines, out.String())
	}
}
