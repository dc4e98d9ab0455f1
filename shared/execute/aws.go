package execute

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/iamaction"
	"github.com/mandate-dev/mandate/shared/target"
)

// MaxParamsBytes bounds the JSON parameters of an aws action.
const MaxParamsBytes = 256 << 10

// AWS performs aws actions with the temporary credential the broker minted: DynamoDB over
// its JSON protocol (SigV4-signed with the SDK's signer) and S3 through the SDK's client.
type AWS struct {
	client   *http.Client
	signer   *v4.Signer
	endpoint string // UseEndpoint
}

// NewAWS returns the AWS executor using transport rt (nil: a fresh Transport).
func NewAWS(rt http.RoundTripper) *AWS {
	if rt == nil {
		rt = Transport()
	}
	return &AWS{
		client: &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		signer: v4.NewSigner(),
	}
}

// UseEndpoint sends the actions of every aws target that names no endpoint of its own to u,
// the base URL of a local stand-in serving every AWS service on one port (moto), as
// `mandate local --aws-endpoint` asks. Call it before the first Do.
func (x *AWS) UseEndpoint(u string) { x.endpoint = u }

// endpointFor is the base URL t's actions go to: its own, the stand-in's, or "" for AWS.
func (x *AWS) endpointFor(t target.Target) string {
	if t.Endpoint != "" {
		return t.Endpoint
	}
	return x.endpoint
}

// Do performs a on t with c.
func (x *AWS) Do(ctx context.Context, t target.Target, c broker.Credential, a api.Action) (Result, error) {
	if c.AWS == nil {
		return Result{}, fmt.Errorf("%w: no AWS credential was minted", ErrBadAction)
	}
	op, err := iamaction.Lookup(a.Service, a.Operation)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrBadAction, err)
	}
	res, err := op.Resource(a.Resource)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrBadAction, err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(t.Timeout))
	defer cancel()
	creds := aws.Credentials{AccessKeyID: c.AWS.AccessKeyID, SecretAccessKey: c.AWS.SecretAccessKey, SessionToken: c.AWS.SessionToken, Source: "mandate-broker"}
	switch {
	case op.Generic:
		return x.jsonProtocol(ctx, t, creds, op, a.Params)
	case a.Service == "dynamodb":
		return x.dynamodb(ctx, t, creds, op, res, a.Params)
	case a.Service == "s3":
		return x.s3(ctx, t, creds, op, res, a.Params)
	}
	return Result{}, fmt.Errorf("%w: service %q", ErrBadAction, a.Service)
}

// dynamodb sends the operation over DynamoDB's JSON protocol. TableName (and IndexName) come
// from the resource ARN, never from the parameters.
func (x *AWS) dynamodb(ctx context.Context, t target.Target, creds aws.Credentials, op iamaction.Operation, res iamaction.Resource, params map[string]any) (Result, error) {
	body := make(map[string]any, len(params)+2)
	for k, v := range params {
		if k == "TableName" || k == "IndexName" {
			return Result{}, fmt.Errorf("%w: %s comes from the resource ARN, not the parameters", ErrBadAction, k)
		}
		body[k] = v
	}
	body["TableName"] = res.Table
	if res.Index != "" {
		body["IndexName"] = res.Index
	}
	raw, err := json.Marshal(body)
	if err != nil || len(raw) > MaxParamsBytes {
		return Result{}, fmt.Errorf("%w: parameters must be JSON of at most %d bytes", ErrBadAction, MaxParamsBytes)
	}
	endpoint := x.endpointFor(t)
	if endpoint == "" {
		endpoint = "https://dynamodb." + t.Region + ".amazonaws.com"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/", bytes.NewReader(raw))
	if err != nil {
		return Result{}, fmt.Errorf("%w: endpoint of %s: %v", ErrTarget, t.Name, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op.Name)
	sum := sha256.Sum256(raw)
	if err := x.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "dynamodb", t.Region, time.Now()); err != nil {
		return Result{}, fmt.Errorf("%w: sign request to %s: %v", ErrTarget, t.Name, err)
	}
	start := time.Now()
	resp, err := x.client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s %s: %v", ErrTarget, op.Name, t.Name, scrub(err))
	}
	defer resp.Body.Close()
	out, truncated, err := readCapped(resp.Body, t.MaxResponseBytes)
	if err != nil {
		return Result{}, fmt.Errorf("%w: read response of %s: %v", ErrTarget, t.Name, err)
	}
	return Result{Status: resp.StatusCode, ContentType: "application/json", Body: out, Truncated: truncated, Duration: time.Since(start)}, nil
}

// s3 performs the object operation through the SDK's S3 client.
func (x *AWS) s3(ctx context.Context, t target.Target, creds aws.Credentials, op iamaction.Operation, res iamaction.Resource, params map[string]any) (Result, error) {
	client := s3.New(s3.Options{
		Region: t.Region, Credentials: credentials.StaticCredentialsProvider{Value: creds}, HTTPClient: x.client,
		BaseEndpoint: endpointOrNil(x.endpointFor(t)), UsePathStyle: x.endpointFor(t) != "", RetryMaxAttempts: 1,
	})
	str := func(k string) (*string, error) {
		v, ok := params[k]
		if !ok {
			return nil, nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%w: parameter %s must be a string", ErrBadAction, k)
		}
		return &s, nil
	}
	allowed := map[string][]string{
		"GetObject": {}, "DeleteObject": {}, "PutObject": {"Body", "ContentType"},
		"ListObjectsV2": {"Prefix", "ContinuationToken", "MaxKeys", "StartAfter"},
	}[op.Name]
	for k := range params {
		if !contains(allowed, k) {
			return Result{}, fmt.Errorf("%w: parameter %q is not accepted for s3:%s", ErrBadAction, k, op.Name)
		}
	}
	start := time.Now()
	var body any
	switch op.Name {
	case "GetObject":
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &res.Bucket, Key: &res.Key})
		if err != nil {
			return awsFailure(err, t, start)
		}
		defer out.Body.Close()
		raw, truncated, err := readCapped(out.Body, t.MaxResponseBytes)
		if err != nil {
			return Result{}, fmt.Errorf("%w: read object from %s: %v", ErrTarget, t.Name, err)
		}
		return Result{Status: 200, ContentType: aws.ToString(out.ContentType), ContentEncoding: aws.ToString(out.ContentEncoding),
			Body: raw, Truncated: truncated, Duration: time.Since(start)}, nil
	case "PutObject":
		content, err := str("Body")
		if err != nil {
			return Result{}, err
		}
		ct, err := str("ContentType")
		if err != nil {
			return Result{}, err
		}
		data := []byte(aws.ToString(content))
		out, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &res.Bucket, Key: &res.Key, Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))), ContentType: ct})
		if err != nil {
			return awsFailure(err, t, start)
		}
		body = map[string]any{"etag": aws.ToString(out.ETag), "version_id": aws.ToString(out.VersionId), "bytes": len(data)}
	case "DeleteObject":
		out, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &res.Bucket, Key: &res.Key})
		if err != nil {
			return awsFailure(err, t, start)
		}
		body = map[string]any{"deleted": true, "version_id": aws.ToString(out.VersionId)}
	case "ListObjectsV2":
		in := &s3.ListObjectsV2Input{Bucket: &res.Bucket}
		var err error
		if in.Prefix, err = str("Prefix"); err != nil {
			return Result{}, err
		}
		if in.ContinuationToken, err = str("ContinuationToken"); err != nil {
			return Result{}, err
		}
		if in.StartAfter, err = str("StartAfter"); err != nil {
			return Result{}, err
		}
		if v, ok := params["MaxKeys"]; ok {
			n, ok := wholeNumber(v)
			if !ok || n < 1 || n > 1000 {
				return Result{}, fmt.Errorf("%w: MaxKeys must be a whole number from 1 to 1000", ErrBadAction)
			}
			in.MaxKeys = aws.Int32(int32(n))
		}
		out, err := client.ListObjectsV2(ctx, in)
		if err != nil {
			return awsFailure(err, t, start)
		}
		keys := make([]map[string]any, 0, len(out.Contents))
		for _, o := range out.Contents {
			keys = append(keys, map[string]any{"key": aws.ToString(o.Key), "size": aws.ToInt64(o.Size), "last_modified": aws.ToTime(o.LastModified)})
		}
		body = map[string]any{"keys": keys, "is_truncated": aws.ToBool(out.IsTruncated), "next_continuation_token": aws.ToString(out.NextContinuationToken)}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return Result{}, fmt.Errorf("%w: encode result of %s: %v", ErrTarget, t.Name, err)
	}
	return Result{Status: 200, ContentType: "application/json", Body: raw, Duration: time.Since(start)}, nil
}

// awsFailure turns a service's refusal (AccessDenied, NoSuchKey ...) into a result with the
// service's status, code and message, and a failure to reach it into ErrTarget.
func awsFailure(err error, t target.Target, start time.Time) (Result, error) {
	var re *smithyhttp.ResponseError
	var ae smithy.APIError
	if !errors.As(err, &re) || !errors.As(err, &ae) {
		return Result{}, fmt.Errorf("%w: %s: %v", ErrTarget, t.Name, scrub(err))
	}
	raw, _ := json.Marshal(map[string]any{"error": map[string]string{"code": ae.ErrorCode(), "message": ae.ErrorMessage()}})
	return Result{Status: re.HTTPStatusCode(), ContentType: "application/json", Body: raw, Duration: time.Since(start)}, nil
}

func endpointOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readCapped reads at most limit bytes of r and says whether there was more.
func readCapped(r io.Reader, limit int64) ([]byte, bool, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(raw)) > limit {
		return raw[:limit], true, nil
	}
	return raw, false, nil
}

// wholeNumber reads a JSON number as written (json.Number, from the canonical action) or as
// a Go caller built it: only an exact integer is one.
func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	case float64:
		return int64(n), n == float64(int64(n))
	case int:
		return int64(n), true
	}
	return 0, false
}
