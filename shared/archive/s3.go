package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// s3API is the part of the S3 API the archive uses; *s3.Client fits it.
type s3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// S3 is a Bucket over an S3 bucket created with Object Lock. Every object is created with
// If-None-Match: * and ObjectLockMode COMPLIANCE until the given date, so not even the
// account root can delete or replace it before then.
type S3 struct {
	client s3API
	bucket string
}

var _ Bucket = (*S3)(nil)

// NewS3 returns the Bucket for the named S3 bucket.
func NewS3(client s3API, bucket string) *S3 { return &S3{client: client, bucket: bucket} }

// Create puts the object once, locked in COMPLIANCE mode until retainUntil.
func (b *S3) Create(ctx context.Context, key string, body []byte, retainUntil time.Time) error {
	if !cleanKey(key) {
		return fmt.Errorf("archive: bad object name %q", key)
	}
	if !retainUntil.After(time.Now()) {
		return fmt.Errorf("archive: create %s: retention must end in the future", key)
	}
	contentType := "application/gzip"
	if !IsObjectKey(key) {
		contentType = "application/json"
	}
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:                    aws.String(b.bucket),
		Key:                       aws.String(key),
		Body:                      bytes.NewReader(body),
		ContentLength:             aws.Int64(int64(len(body))),
		ContentType:               aws.String(contentType),
		IfNoneMatch:               aws.String("*"),
		ObjectLockMode:            types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(retainUntil.UTC()),
		ChecksumAlgorithm:         types.ChecksumAlgorithmSha256,
	})
	if err == nil {
		return nil
	}
	if httpStatus(err) == http.StatusPreconditionFailed {
		return fmt.Errorf("archive: s3://%s/%s: %w", b.bucket, key, ErrExists)
	}
	return fmt.Errorf("archive: put s3://%s/%s: %w", b.bucket, key, err)
}

// Get reads the current version of an object.
func (b *S3) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) || httpStatus(err) == http.StatusNotFound {
			return nil, fmt.Errorf("archive: s3://%s/%s: %w", b.bucket, key, ErrNotFound)
		}
		return nil, fmt.Errorf("archive: get s3://%s/%s: %w", b.bucket, key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, MaxObjectBytes+1))
	if err != nil {
		return nil, fmt.Errorf("archive: read s3://%s/%s: %w", b.bucket, key, err)
	}
	return body, nil
}

// List pages through the keys under prefix.
func (b *S3) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: aws.String(b.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("archive: list s3://%s/%s: %w", b.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	return out, nil
}

// Version is one version of an object in a versioned bucket, or a delete marker.
type Version struct {
	Key, VersionID string
	Latest         bool
	DeleteMarker   bool
}

// Versions lists every version and delete marker under prefix, by key. A listing of current
// objects does not show a deleted object at all: its versions and the marker that hides them
// are how a verifier sees the deletion.
func (b *S3) Versions(ctx context.Context, prefix string) ([]Version, error) {
	var out []Version
	p := s3.NewListObjectVersionsPaginator(b.client, &s3.ListObjectVersionsInput{Bucket: aws.String(b.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("archive: list versions s3://%s/%s: %w", b.bucket, prefix, err)
		}
		for _, v := range page.Versions {
			out = append(out, Version{Key: aws.ToString(v.Key), VersionID: aws.ToString(v.VersionId), Latest: aws.ToBool(v.IsLatest)})
		}
		for _, m := range page.DeleteMarkers {
			out = append(out, Version{Key: aws.ToString(m.Key), VersionID: aws.ToString(m.VersionId), Latest: aws.ToBool(m.IsLatest), DeleteMarker: true})
		}
	}
	slices.SortStableFunc(out, func(a, b Version) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" {
		return http.StatusPreconditionFailed
	}
	return 0
}
