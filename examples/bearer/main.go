// Command bearer is the README's OIDC example as a program: an agent that authenticates with
// its projected Kubernetes service account token instead of SigV4, and names the human with
// an RFC 8693 delegation token. It needs an OIDC issuer the deployment trusts, so the tests
// only build it.
//
//	DELEGATION_TOKEN=eyJ... go run ./examples/bearer https://mandate.example.com
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bearer URL   (the delegation token in DELEGATION_TOKEN)")
		os.Exit(2)
	}
	url, delegationToken := os.Args[1], os.Getenv("DELEGATION_TOKEN")
	// README: from here
	bot := client.NewBearer(url, func(ctx context.Context) (string, error) {
		b, err := os.ReadFile("/var/run/secrets/tokens/mandate") // projected service account token
		return string(b), err
	}).WithOperatorToken(delegationToken)
	// README: to here
	s, err := bot.OpenSession(context.Background(), api.OpenSessionRequest{Prompt: "look up customer 42"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bearer:", err)
		os.Exit(1)
	}
	fmt.Println(s.SessionID, s.Operator.ID, s.Operator.Verified)
}
