package archive_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mandate-dev/mandate/shared/archive"
)

// lockedBucket returns a client for the S3 server in MANDATE_TEST_S3_ENDPOINT (versitygw in
// CI) and a new bucket created with Object Lock. It skips without a server, unless CI=true.
func lockedBucket(t *testing.T) (*s3.Client, string) {
	t.Helper()
	endpoint := os.Getenv("MANDATE_TEST_S3_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MANDATE_TEST_S3_ENDPOINT is not set (run through .ci/with-services)")
		}
		t.Skip("MANDATE_TEST_S3_ENDPOINT not set")
	}
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(os.Getenv("MANDATE_TEST_S3_ACCESS_KEY"), os.Getenv("MANDATE_TEST_S3_SECRET_KEY"), ""),
	})
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	bucket := "mandate-test-" + hex.EncodeToString(rnd[:])
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return client, bucket
}

func TestS3ShipIsWriteOnceAndLocked(t *testing.T) {
	t.Parallel()
	client, bucket := lockedBucket(t)
	ctx := context.Background()
	b := archive.NewS3(client, bucket)
	sh := archive.NewShipper(b, time.Hour, time.Now)
	lines := chain(t, "ses_s3", 4, time.Now().UTC().Add(-time.Minute))
	if n, err := sh.Ship(ctx, lines[:2]); n != 2 || err != nil {
		t.Fatalf("ship: %d, %v", n, err)
	}
	// A redelivered, longer batch: the first object is found with the same records, the rest
	// goes into a new object.
	if n, err := sh.Ship(ctx, lines); n != 4 || err != nil {
		t.Fatalf("reship: %d, %v", n, err)
	}
	keys, bodies := archived(t, b)
	if len(keys) != 2 || strings.Join(bodies, "\n") != strings.Join(bodiesOf(lines), "\n") {
		t.Fatalf("keys %v, %d records", keys, len(bodies))
	}
	key := keys[0]
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if head.ObjectLockMode != types.ObjectLockModeCompliance || head.ObjectLockRetainUntilDate == nil || !head.ObjectLockRetainUntilDate.After(time.Now().Add(50*time.Minute)) {
		t.Fatalf("lock: mode %q until %v", head.ObjectLockMode, head.ObjectLockRetainUntilDate)
	}
	original, _ := b.Get(ctx, key)

	// Creating the name again is refused.
	if err := b.Create(ctx, key, []byte("forged"), time.Now().Add(time.Hour)); !errors.Is(err, archive.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	// Deleting the locked version is refused, with or without governance bypass.
	for _, bypass := range []bool{false, true} {
		_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: head.VersionId, BypassGovernanceRetention: aws.Bool(bypass)})
		if err == nil {
			t.Fatalf("deleted a locked version (bypass %v)", bypass)
		}
	}
	// Shortening the retention is refused.
	_, err = client.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: head.VersionId,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(time.Now().Add(time.Minute))}})
	if err == nil {
		t.Fatal("shortened the retention of a locked version")
	}
	// A plain overwrite only stacks a new version on top; the locked version is unchanged.
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("forged")}); err == nil {
		got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: head.VersionId})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if !bytes.Equal(body, original) {
			t.Fatal("the locked version changed")
		}
	}
}

func TestS3CrashMidBatchThenRetry(t *testing.T) {
	t.Parallel()
	client, bucket := lockedBucket(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var lines []archive.Line
	lines = append(lines, chain(t, "ses_x", 3, now.Add(-50*time.Hour))...)
	lines = append(lines, chain(t, "ses_y", 3, now.Add(-26*time.Hour))...)
	lines = append(lines, chain(t, "ses_z", 3, now.Add(-time.Hour))...)
	f := &flaky{Bucket: archive.NewS3(client, bucket)}
	f.ok.Store(1)
	sh := archive.NewShipper(f, time.Hour, time.Now)
	n, err := sh.Ship(ctx, lines)
	if err == nil || n != 3 {
		t.Fatalf("crash after one object: %d, %v", n, err)
	}
	f.ok.Store(1 << 30)
	if m, err := sh.Ship(ctx, lines[n:]); m != 6 || err != nil {
		t.Fatalf("retry: %d, %v", m, err)
	}
	if _, err := sh.Ship(ctx, lines); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if _, bodies := archived(t, f.Bucket); strings.Join(bodies, "\n") != strings.Join(bodiesOf(lines), "\n") {
		t.Fatalf("archive holds %d records, want exactly the %d shipped", len(bodies), len(lines))
	}
}
