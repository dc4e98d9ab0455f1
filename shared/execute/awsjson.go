package execute

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mandate-dev/mandate/shared/iamaction"
	"github.com/mandate-dev/mandate/shared/target"
)

// jsonProtocol performs an operation of a JSON-protocol service (iamaction.JSONServices)
// through the generic path: the parameters are the JSON body as given, POSTed to the
// service's endpoint with the operation in X-Amz-Target, SigV4-signed with the brokered
// credential. What the call may touch is bounded by that credential's session policy, which
// allows only the operation's IAM action on the action's resource.
func (x *AWS) jsonProtocol(ctx context.Context, t target.Target, creds aws.Credentials, op iamaction.Operation, params map[string]any) (Result, error) {
	svc, ok := iamaction.LookupJSONService(op.Service)
	if !ok {
		return Result{}, fmt.Errorf("%w: %s is not a JSON-protocol service", ErrBadAction, op.Service)
	}
	if params == nil {
		params = map[string]any{}
	}
	raw, err := json.Marshal(params)
	if err != nil || len(raw) > MaxParamsBytes {
		return Result{}, fmt.Errorf("%w: parameters must be JSON of at most %d bytes", ErrBadAction, MaxParamsBytes)
	}
	endpoint := x.endpointFor(t)
	if endpoint == "" {
		endpoint = "https://" + svc.EndpointPrefix + "." + t.Region + ".amazonaws.com"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/", bytes.NewReader(raw))
	if err != nil {
		return Result{}, fmt.Errorf("%w: endpoint of %s: %v", ErrTarget, t.Name, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-"+svc.JSONVersion)
	req.Header.Set("X-Amz-Target", svc.TargetPrefix+"."+op.Name)
	sum := sha256.Sum256(raw)
	if err := x.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), svc.Name, t.Region, time.Now()); err != nil {
		return Result{}, fmt.Errorf("%w: sign request to %s: %v", ErrTarget, t.Name, err)
	}
	start := time.Now()
	resp, err := x.client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s:%s on %s: %v", ErrTarget, op.Service, op.Name, t.Name, scrub(err))
	}
	defer resp.Body.Close()
	out, truncated, err := readCapped(resp.Body, t.MaxResponseBytes)
	if err != nil {
		return Result{}, fmt.Errorf("%w: read response of %s: %v", ErrTarget, t.Name, err)
	}
	return Result{Status: resp.StatusCode, ContentType: "application/json", Body: out, Truncated: truncated, Duration: time.Since(start)}, nil
}
