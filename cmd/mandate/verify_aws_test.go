package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// deployment is an audit table in dynalite and a locked archive bucket in versitygw, filled
// the way a deployment fills them: chains appended through audit.Chain to the DynamoDB store,
// shipped to S3 with Object Lock, and covered by a signed checkpoint.
type deployment struct {
	s3       *s3.Client
	ddb      *dynamodb.Client
	bucket   string // locked
	prefix   string // table prefix
	keyFile  string // trusted public key, PEM
	otherKey string // a public key that signed nothing here
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// newDeployment skips without both servers, unless CI=true. It sets the AWS environment the
// CLI reads (credentials, Region), so tests using it do not run in parallel.
func newDeployment(t *testing.T) *deployment {
	t.Helper()
	s3End, ddbEnd := os.Getenv("MANDATE_TEST_S3_ENDPOINT"), os.Getenv("MANDATE_TEST_DYNAMODB_ENDPOINT")
	if s3End == "" || ddbEnd == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MANDATE_TEST_S3_ENDPOINT and MANDATE_TEST_DYNAMODB_ENDPOINT must be set (run through .ci/with-services)")
		}
		t.Skip("MANDATE_TEST_S3_ENDPOINT or MANDATE_TEST_DYNAMODB_ENDPOINT not set")
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": os.Getenv("MANDATE_TEST_S3_ACCESS_KEY"), "AWS_SECRET_ACCESS_KEY": os.Getenv("MANDATE_TEST_S3_SECRET_KEY"),
		"AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		envS3Endpoint: s3End, envDynamoDB: ddbEnd,
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	d := &deployment{prefix: randomName("mv"), bucket: randomName("mandate-verify-")}
	d.s3 = s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3End), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("MANDATE_TEST_S3_ACCESS_KEY"), os.Getenv("MANDATE_TEST_S3_SECRET_KEY"), "")})
	var err error
	if d.ddb, err = dynamo.NewClient(ctx, ddbEnd); err != nil {
		t.Fatal(err)
	}
	tables := dynamo.NamedTables(d.prefix)
	if err := dynamo.CreateTables(ctx, d.ddb, tables); err != nil {
		t.Fatal(err)
	}
	if _, err := d.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(d.bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}

	st := dynamo.New(d.ddb, tables)
	c := audit.NewChain(st, time.Now)
	op := audit.Identity{Agent: "arn:aws:iam::111122223333:role/agent", AgentKind: "iam", Operator: "ada@example.com"}
	for _, r := range []audit.Record{
		{Session: "ses_a", Type: audit.TypeDecision, Identity: op, Verdict: &audit.Verdict{Decision: "deny", Reasons: []string{"forbid-delete"}}},
		{Session: "ses_a", Type: audit.TypeDecision, Identity: op, Verdict: &audit.Verdict{Decision: "allow", Reasons: []string{"permit-read"}}},
		{Session: "ses_a", Type: audit.TypeResult, Identity: op, Result: &audit.Result{DecisionSeq: 2, Status: 200, Outcome: "ok"}},
		{Session: "ses_b", Type: audit.TypeDecision, Identity: op, Verdict: &audit.Verdict{Decision: "allow", Reasons: []string{"permit-read"}}},
	} {
		if _, err := c.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	b := archive.NewS3(d.s3, d.bucket)
	sh := archive.NewShipper(b, time.Hour, time.Now)
	for _, session := range []string{"ses_a", "ses_b"} { // one object per session
		recs, err := st.Records(ctx, session, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		var lines []archive.Line
		for _, r := range recs {
			l, err := archive.LineOf(r)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, l)
		}
		if n, err := sh.Ship(ctx, lines); err != nil || n != len(lines) {
			t.Fatalf("ship %s: %d, %v", session, n, err)
		}
	}
	keyDir := t.TempDir()
	signer, err := checkpoint.LoadOrCreateEd25519(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	d.keyFile = filepath.Join(keyDir, checkpoint.PublicKeyFile)
	w := &checkpoint.Writer{Bucket: b, Signer: signer, Retention: time.Hour, Now: time.Now}
	if cp, err := w.Run(ctx); err != nil || cp == nil {
		t.Fatalf("checkpoint: %v, %v", cp, err)
	}
	otherDir := t.TempDir()
	if _, err := checkpoint.LoadOrCreateEd25519(otherDir); err != nil {
		t.Fatal(err)
	}
	d.otherKey = filepath.Join(otherDir, checkpoint.PublicKeyFile)
	return d
}

// copyBucket copies every object of the locked bucket into a new bucket without Object Lock:
// the copy an insider could alter.
func (d *deployment) copyBucket(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	to := randomName("mandate-copy-")
	if _, err := d.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(to)}); err != nil {
		t.Fatal(err)
	}
	list, err := d.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(d.bucket)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Contents {
		d.put(t, to, aws.ToString(o.Key), d.get(t, d.bucket, aws.ToString(o.Key)))
	}
	return to
}

func (d *deployment) get(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := d.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *deployment) put(t *testing.T, bucket, key string, body []byte) {
	t.Helper()
	if _, err := d.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// objectOf returns the key of the audit object holding session's records and its lines.
func (d *deployment) objectOf(t *testing.T, bucket, session string) (string, [][]byte) {
	t.Helper()
	keys, err := archive.NewS3(d.s3, bucket).List(context.Background(), archive.AuditPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		_, lines, err := archive.Decode(d.get(t, bucket, k))
		if err != nil {
			t.Fatal(err)
		}
		if l, err := archive.ParseLine(lines[0]); err == nil && l.Session == session {
			return k, lines
		}
	}
	t.Fatalf("no object holds %s", session)
	return "", nil
}

func (d *deployment) rewrite(t *testing.T, bucket, key string, lines [][]byte) {
	t.Helper()
	var ls []archive.Line
	for _, l := range lines {
		ls = append(ls, archive.Line{Body: l})
	}
	body, err := archive.Encode(ls)
	if err != nil {
		t.Fatal(err)
	}
	d.put(t, bucket, key, body)
}

// copyTables copies the audit table into a new table set and returns its prefix.
func (d *deployment) copyTables(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	prefix := randomName("mv")
	if err := dynamo.CreateTables(ctx, d.ddb, dynamo.NamedTables(prefix)); err != nil {
		t.Fatal(err)
	}
	out, err := d.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(dynamo.NamedTables(d.prefix).Audit)})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range out.Items {
		d.putItem(t, prefix, item)
	}
	return prefix
}

func (d *deployment) putItem(t *testing.T, prefix string, item map[string]ddbtypes.AttributeValue) {
	t.Helper()
	if _, err := d.ddb.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(dynamo.NamedTables(prefix).Audit), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func (d *deployment) item(t *testing.T, prefix, session string, seq uint64) map[string]ddbtypes.AttributeValue {
	t.Helper()
	key, _ := attributevalue.MarshalMap(map[string]any{dynamo.AttrSessionID: session, dynamo.AttrSeq: seq})
	out, err := d.ddb.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(dynamo.NamedTables(prefix).Audit), Key: key})
	if err != nil || out.Item == nil {
		t.Fatalf("item %s#%d: %v", session, seq, err)
	}
	return out.Item
}

func (d *deployment) deleteItem(t *testing.T, prefix, session string, seq uint64) {
	t.Helper()
	key, _ := attributevalue.MarshalMap(map[string]any{dynamo.AttrSessionID: session, dynamo.AttrSeq: seq})
	if _, err := d.ddb.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(dynamo.NamedTables(prefix).Audit), Key: key}); err != nil {
		t.Fatal(err)
	}
}

func (d *deployment) verify(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"verify"}, args...)...)
	return code, out + errOut
}

func TestVerifyAWSIntactAndUsage(t *testing.T) {
	d := newDeployment(t)
	code, out := d.verify(t, "--bucket", d.bucket, "--table-prefix", d.prefix, "--key", d.keyFile)
	if code != exitOK || !strings.Contains(out, "intact: 2 chains, 4 records in table "+d.prefix+"-audit") ||
		!strings.Contains(out, "archive intact: 4 records of 2 sessions in 2 objects, 1 checkpoints") {
		t.Fatalf("intact deployment: exit %d\n%s", code, out)
	}
	// --aws reads the functions' environment.
	t.Setenv(envBucket, d.bucket)
	t.Setenv(envTableAudit, d.prefix+"-audit")
	if code, out := d.verify(t, "--aws", "--key", d.keyFile); code != exitOK || !strings.Contains(out, "archive intact: 4 records") {
		t.Fatalf("--aws: exit %d\n%s", code, out)
	}
	// The table alone, the bucket alone.
	if code, out := d.verify(t, "--audit-table", d.prefix+"-audit"); code != exitOK || strings.Contains(out, "archive") {
		t.Fatalf("table only: exit %d\n%s", code, out)
	}
	if code, out := d.verify(t, "--bucket", d.bucket, "--key", d.keyFile); code != exitOK || strings.Contains(out, "chains") {
		t.Fatalf("bucket only: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"--bucket", d.bucket},                                       // no trusted key
		{"--audit-table", "x-audit", "--table-prefix", "x"},          // both
		{"--bucket", d.bucket, "--key", d.keyFile, "extra-argument"}, // stray argument
	} {
		if code, _ := d.verify(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	for _, args := range [][]string{
		{"--bucket", "mandate-no-such-bucket", "--key", d.keyFile},
		{"--table-prefix", "mandate-no-such"},
		{"--bucket", d.bucket, "--key", filepath.Join(t.TempDir(), "missing.pub")},
	} {
		if code, out := d.verify(t, args...); code != exitUnreadable {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUnreadable, out)
		}
	}
	// A key that signed nothing here: every checkpoint is forged.
	if code, out := d.verify(t, "--bucket", d.bucket, "--key", d.otherKey); code != exitFailed || !strings.Contains(out, "the first: forged checkpoint: checkpoint 1") {
		t.Fatalf("untrusted key: exit %d\n%s", code, out)
	}
}

// TestVerifyAWSNamesTamperingOfTheCopies alters copies of the bucket and of the audit table
// in each way an insider could and checks that verify fails naming the first broken record.
func TestVerifyAWSNamesTamperingOfTheCopies(t *testing.T) {
	d := newDeployment(t)
	cases := []struct {
		name   string
		tamper func(t *testing.T, bucket, prefix string)
		want   string
	}{
		{"archive: record modified", func(t *testing.T, bucket, _ string) {
			k, lines := d.objectOf(t, bucket, "ses_a")
			lines[0] = bytes.Replace(lines[0], []byte(`"deny"`), []byte(`"allow"`), 1)
			d.rewrite(t, bucket, k, lines)
		}, "BROKEN archive: 2 problems; the first: modified: record ses_a#1"},
		{"archive: record deleted", func(t *testing.T, bucket, _ string) {
			k, lines := d.objectOf(t, bucket, "ses_a")
			d.rewrite(t, bucket, k, append(lines[:1], lines[2:]...))
		}, "the first: deleted: record ses_a#2"},
		{"archive: records reordered", func(t *testing.T, bucket, _ string) {
			k, lines := d.objectOf(t, bucket, "ses_a")
			lines[0], lines[1] = lines[1], lines[0]
			d.rewrite(t, bucket, k, lines)
		}, "the first: reordered: record ses_a#1"},
		{"archive: object truncated", func(t *testing.T, bucket, _ string) {
			k, _ := d.objectOf(t, bucket, "ses_a")
			body := d.get(t, bucket, k)
			d.put(t, bucket, k, body[:len(body)/2])
		}, "the first: truncated: object audit/"},
		{"archive: object deleted", func(t *testing.T, bucket, _ string) {
			k, _ := d.objectOf(t, bucket, "ses_b")
			if _, err := d.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
				t.Fatal(err)
			}
		}, "the first: deleted: object audit/"},
		{"archive: checkpoint forged", func(t *testing.T, bucket, _ string) {
			k := checkpoint.Key(1)
			cp := d.get(t, bucket, k)
			forged := bytes.Replace(cp, []byte(`"size":4`), []byte(`"size":3`), 1)
			if bytes.Equal(forged, cp) {
				t.Fatalf("checkpoint without size 4: %s", cp)
			}
			d.put(t, bucket, k, forged)
		}, "the first: forged checkpoint: checkpoint 1: signature"},
		{"table: record modified", func(t *testing.T, _, prefix string) {
			it := d.item(t, prefix, "ses_a", 1)
			body := it["body"].(*ddbtypes.AttributeValueMemberB)
			body.Value = bytes.Replace(body.Value, []byte(`"deny"`), []byte(`"allow"`), 1)
			d.putItem(t, prefix, it)
		}, "-audit; the first: modified: record ses_a#1"},
		{"table: record deleted", func(t *testing.T, _, prefix string) {
			d.deleteItem(t, prefix, "ses_a", 2)
		}, "; the first: deleted: record ses_a#2"},
		{"table: records reordered", func(t *testing.T, _, prefix string) {
			one, two := d.item(t, prefix, "ses_a", 1), d.item(t, prefix, "ses_a", 2)
			for _, a := range []string{"body", "hash", "prev_hash"} {
				x, y := one[a], two[a]
				delete(one, a)
				delete(two, a)
				if y != nil {
					one[a] = y
				}
				if x != nil {
					two[a] = x
				}
			}
			d.putItem(t, prefix, one)
			d.putItem(t, prefix, two)
		}, "; the first: reordered: record ses_a#1"},
		{"table: chain truncated", func(t *testing.T, _, prefix string) {
			d.deleteItem(t, prefix, "ses_a", 3)
		}, "BROKEN archive: 1 problems; the first: truncated: record ses_a#3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bucket, prefix := d.copyBucket(t), d.copyTables(t)
			if code, out := d.verify(t, "--bucket", bucket, "--table-prefix", prefix, "--key", d.keyFile); code != exitOK {
				t.Fatalf("untouched copy: exit %d\n%s", code, out)
			}
			tc.tamper(t, bucket, prefix)
			code, out := d.verify(t, "--bucket", bucket, "--table-prefix", prefix, "--key", d.keyFile)
			if code != exitFailed || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d and %q in\n%s", code, exitFailed, tc.want, out)
			}
		})
	}
}

// TestVerifyAWSReportsUncoveredRecords: records shipped after the last checkpoint verify, and
// exit 4 says a checkpoint has yet to cover them.
func TestVerifyAWSReportsUncoveredRecords(t *testing.T) {
	d := newDeployment(t)
	bucket := d.copyBucket(t)
	if _, err := d.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(checkpoint.Key(1))}); err != nil {
		t.Fatal(err)
	}
	if code, out := d.verify(t, "--bucket", bucket, "--table-prefix", d.prefix, "--key", d.keyFile); code != exitUncovered || !strings.Contains(out, "not yet covered by a checkpoint: 4 records") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestVerifyAWSReportsDeleteMarkers: on the versioned, locked archive a plain DeleteObject of
// the newest checkpoint or object succeeds (it only adds a delete marker), and hides them from
// a listing of current objects; verify reads versions and reports each marker as a deletion.
func TestVerifyAWSReportsDeleteMarkers(t *testing.T) {
	for _, victim := range []string{"checkpoint", "object"} {
		t.Run(victim, func(t *testing.T) {
			d := newDeployment(t)
			key := checkpoint.Key(1)
			if victim == "object" {
				key, _ = d.objectOf(t, d.bucket, "ses_b")
			}
			if _, err := d.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(key)}); err != nil {
				t.Fatal(err)
			}
			code, out := d.verify(t, "--bucket", d.bucket, "--table-prefix", d.prefix, "--key", d.keyFile)
			if code != exitFailed || !strings.Contains(out, "deleted: object "+key) || !strings.Contains(out, "a delete marker") {
				t.Fatalf("exit %d, want %d naming the delete marker of %s\n%s", code, exitFailed, key, out)
			}
		})
	}
}
