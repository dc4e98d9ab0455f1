package identity_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mandate-dev/mandate/shared/identity"
)

// An agent signs its request with the AWS SDK v2 signer, as for any API Gateway API; the local
// authority verifies it and learns which agent is calling.
func ExampleSigV4Verifier_Verify() {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	key := identity.Key{Agent: "demo-agent", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	verifier, err := identity.NewSigV4Verifier("us-east-1", []identity.Key{key}, func() time.Time { return now })
	if err != nil {
		fmt.Println(err)
		return
	}

	// The agent's side.
	body := []byte(`{"operator":"alice","prompt":"look up customer 42"}`)
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/v1/sessions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), identity.Service, "us-east-1", now); err != nil {
		fmt.Println(err)
		return
	}

	// The authority's side (here the same *http.Request stands in for the received one).
	p, err := verifier.Verify(req, body)
	fmt.Println(p.ID, err)

	// A tampered body no longer verifies.
	_, err = verifier.Verify(req, []byte(`{"operator":"mallory"}`))
	fmt.Println(errors.Is(err, identity.ErrBadSignature), errors.Is(err, identity.ErrUnauthenticated))
	// Output:
	// arn:aws:iam::000000000000:user/demo-agent <nil>
	// true true
}

// In AWS, API Gateway verifies the signature; the handler reads the caller from the request
// context. Every session of one role is the same agent.
func ExampleFromIAM() {
	p, err := identity.FromIAM(identity.IAMContext{
		AccountID: "123456789012",
		UserARN:   "arn:aws:sts::123456789012:assumed-role/support-agent/run-42",
		UserID:    "AROAEXAMPLEID:run-42",
	})
	fmt.Println(p.ID, p.Session, err)
	// Output: arn:aws:iam::123456789012:role/support-agent run-42 <nil>
}
