package broker

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/target"
	"github.com/mandate-dev/mandate/shared/token"
)

const secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mandate/customers-AbCdEf"

// secretsServer answers GetSecretValue as Secrets Manager does (JSON 1.1 protocol).
func secretsServer(t *testing.T, value string) (*secretsmanager.Client, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var in struct{ SecretId string }
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || json.Unmarshal(raw, &in) != nil || in.SecretId != secretARN {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`))
			return
		}
		calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": secretARN, "Name": "mandate/customers", "SecretString": value,
			"VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1", "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.523477145713e9})
	}))
	t.Cleanup(srv.Close)
	return secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}), &calls
}

func TestHTTPSecretFromSecretsManager(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("z", 40)
	client, calls := secretsServer(t, secret+"\n")
	now := time.Unix(1_700_000_000, 0)
	clock := now
	sm := NewSecretsManager(client, func() time.Time { return clock })
	b := New(RefSecrets{SecretsManager: sm}, func() time.Time { return clock })
	tg := target.Target{Name: "customers", Kind: api.KindHTTP, SecretRef: secretARN, AuthHeader: "Authorization", CredentialTTL: target.Duration(30 * time.Second)}
	a := api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}
	for range 3 {
		c, err := b.Mint(context.Background(), tg, a, Scope{Session: "s", Record: "r"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := token.Verify([]byte(secret), strings.TrimPrefix(c.Value, "Bearer "), "customers", "GET", "/customers/42", clock); err != nil {
			t.Fatalf("token minted from the Secrets Manager secret does not verify: %v", err)
		}
		if strings.Contains(c.Describe(), secret) {
			t.Fatal("Describe leaks the secret")
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("Secrets Manager called %d times within the cache TTL", calls.Load())
	}
	clock = now.Add(SecretCacheTTL + time.Second)
	if _, err := b.Mint(context.Background(), tg, a, Scope{}); err != nil || calls.Load() != 2 {
		t.Fatalf("after the TTL: %v, %d calls", err, calls.Load())
	}
	for _, ref := range []string{"file:x", "arn:aws:secretsmanager:us-east-1:123456789012:secret:other", "arn:aws:s3:::b/k"} {
		_, err := RefSecrets{SecretsManager: sm}.Secret(context.Background(), ref)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("Secret(%q) = %v", ref, err)
		}
	}
}
