package checkpoint_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/checkpoint"
)

// kmsKey returns a client for the KMS server in MANDATE_TEST_KMS_ENDPOINT (local-kms in CI)
// and a new ECC_NIST_P256 signing key. It skips without a server, unless CI=true.
func kmsKey(t *testing.T) (*kms.Client, string) {
	t.Helper()
	endpoint := os.Getenv("MANDATE_TEST_KMS_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MANDATE_TEST_KMS_ENDPOINT is not set (run through .ci/with-services)")
		}
		t.Skip("MANDATE_TEST_KMS_ENDPOINT not set")
	}
	client := kms.New(kms.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test", ""),
	})
	out, err := client.CreateKey(context.Background(), &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecEccNistP256, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return client, aws.ToString(out.KeyMetadata.KeyId)
}

func TestKMSCheckpointVerifiesOffline(t *testing.T) {
	t.Parallel()
	client, key := kmsKey(t)
	ctx := context.Background()
	signer, err := checkpoint.NewKMS(ctx, client, key)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	// A third checkpoint signed by KMS over new records; the verifier trusts only the KMS key.
	f.writer.Signer = signer
	for _, k := range f.keys(t, archive.CheckpointPrefix) {
		os.Remove(f.path(k))
	}
	cp, err := f.writer.Run(ctx)
	if err != nil || cp == nil || cp.Algorithm != checkpoint.AlgECDSASHA256 {
		t.Fatalf("checkpoint: %+v, %v", cp, err)
	}
	v, err := checkpoint.ParsePublicKey(signer.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := checkpoint.VerifyArchive(ctx, f.bucket, checkpoint.Options{Verifier: v, Store: f.store})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Intact() || rep.Uncovered != 0 || rep.Checkpoints != 1 {
		t.Fatalf("report %+v", rep)
	}
	// KMS agrees with the offline verification.
	st, _ := cp.Statement()
	sig, _ := base64.StdEncoding.DecodeString(cp.Signature)
	sum := sha256Sum(st)
	out, err := client.Verify(ctx, &kms.VerifyInput{KeyId: aws.String(key), Message: sum, MessageType: kmstypes.MessageTypeDigest, Signature: sig, SigningAlgorithm: kmstypes.SigningAlgorithmSpecEcdsaSha256})
	if err != nil || !out.SignatureValid {
		t.Fatalf("KMS Verify: %v", err)
	}
	// The local key does not verify a KMS checkpoint.
	pub, _ := os.ReadFile(filepath.Join(f.dir, checkpoint.PublicKeyFile))
	local, _ := checkpoint.ParsePublicKey(pub)
	if rep, _ := checkpoint.VerifyArchive(ctx, f.bucket, checkpoint.Options{Verifier: local}); rep.Intact() {
		t.Fatal("a KMS checkpoint verified with another key")
	}
}
