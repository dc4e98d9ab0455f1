// Command mcp is the README's MCP example as a program: an agent that speaks the Model
// Context Protocol to Mandate's /mcp endpoint, every HTTP request SigV4-signed with the
// agent's keys. Run it against `mandate local` with the agent's keys it printed:
//
//	AWS_ACCESS_KEY_ID=AKIA... AWS_SECRET_ACCESS_KEY=... go run ./examples/mcp http://127.0.0.1:8080
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mandate-dev/mandate/shared/client"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mcp URL   (the agent's keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Args[1], os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")); err != nil {
		fmt.Fprintln(os.Stderr, "mcp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, ak, sk string) error {
	const prompt = "look up the contact details of customer 42 to answer their ticket"
	// README: from here
	mc := mcp.NewClient(&mcp.Implementation{Name: "my-agent", Version: "1"}, nil)
	cs, err := mc.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url + "/mcp",
		HTTPClient: client.New(url, "us-east-1", ak, sk).HTTPClient()}, nil) // signs every request
	if err != nil {
		return err
	}
	defer cs.Close()
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "open_session", Arguments: map[string]any{"operator": "ada@example.com", "prompt": prompt}}); err != nil {
		return err
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "customers.get", Arguments: map[string]any{"path": "/customers/42"}})
	// README: to here
	if err != nil {
		return err
	}
	if res.IsError {
		return errors.New("customers.get was refused")
	}
	out, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}
