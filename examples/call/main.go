// Command call is the README's Go example as a program: it opens a session for a human's
// prompt and asks for one action, signed with SigV4 by shared/client. Run it against
// `mandate local` with the agent's keys it printed:
//
//	AWS_ACCESS_KEY_ID=AKIA... AWS_SECRET_ACCESS_KEY=... go run ./examples/call http://127.0.0.1:8080
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: call URL   (the agent's keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
		os.Exit(2)
	}
	if err := call(context.Background(), os.Args[1], os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")); err != nil {
		fmt.Fprintln(os.Stderr, "call:", err)
		os.Exit(1)
	}
}

func call(ctx context.Context, url, ak, sk string) error {
	const prompt = "look up the contact details of customer 42 to answer their ticket"
	// README: from here
	c := client.New(url, "us-east-1", ak, sk)
	s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		return err
	}
	out, err := c.Submit(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: "http", Target: "customers", Method: "GET", Path: "/customers/42"},
		IdempotencyKey: client.NewIdempotencyKey()}) // a retry with the same key gets the same answer; the action runs once
	if err != nil {
		return err
	}
	switch {
	case out.Allowed != nil:
		masked, _ := json.Marshal(out.Allowed.Result) // PII and secrets already masked
		fmt.Println(string(masked))
	case out.Approval != nil:
		fmt.Println("approve", out.Approval.ID, "then retry with ApprovalID")
	case out.Denied != nil:
		fmt.Println(out.Denied.Reasons)
	}
	// README: to here
	return nil
}
