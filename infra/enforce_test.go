package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// This file is the enforcing DynamoDB stand-in of the deploy rehearsal (rehearse_test.go): an
// IAM identity-policy evaluator for the statements the stack grants, and a proxy in front of a
// DynamoDB-compatible server that refuses, as DynamoDB does, every call the caller's role
// policy does not allow.

// iamStatement is one identity-policy statement with its intrinsics already resolved.
type iamStatement struct {
	Sid       string
	Effect    string // Allow or Deny
	Actions   []string
	Resources []string
	// Conditions maps an operator ("StringEquals", "ForAllValues:StringLike", ...) to its
	// condition keys and their values.
	Conditions map[string]map[string][]string
}

// iamPolicy is every statement of one role's identity policies.
type iamPolicy []iamStatement

// iamRequest is one authorization question: an action on a resource, with the request's
// condition keys (dynamodb:LeadingKeys, dynamodb:Attributes); a key absent from Context was not
// present in the request.
type iamRequest struct {
	Action   string
	Resource string
	Context  map[string][]string
}

// evaluatedKeys are the condition keys the evaluator computes from a request. A condition on
// any other key never makes an Allow match (fail closed) and always makes a Deny match.
var evaluatedKeys = map[string]bool{"dynamodb:leadingkeys": true, "dynamodb:attributes": true}

// allows reports whether p allows r as IAM evaluates identity policies: default deny, an
// explicit Deny wins over any Allow. The reason names the deciding statement.
func (p iamPolicy) allows(r iamRequest) (bool, string) {
	allowed, by := false, ""
	for _, st := range p {
		if !st.covers(r) {
			continue
		}
		deny := strings.EqualFold(st.Effect, "Deny")
		if !st.conditionsHold(r, deny) {
			continue
		}
		if deny {
			return false, "explicit deny in statement " + st.name()
		}
		if !strings.EqualFold(st.Effect, "Allow") {
			continue
		}
		allowed, by = true, st.name()
	}
	if !allowed {
		return false, "no identity-based policy allows the " + r.Action + " action"
	}
	return true, "allowed by statement " + by
}

func (st iamStatement) name() string {
	if st.Sid != "" {
		return st.Sid
	}
	return fmt.Sprint(st.Actions)
}

// covers reports whether the statement's Action and Resource match the request: actions are
// compared case-insensitively, resources case-sensitively, both with * and ? wildcards.
func (st iamStatement) covers(r iamRequest) bool {
	action := slices.ContainsFunc(st.Actions, func(a string) bool { return wildcard(strings.ToLower(a), strings.ToLower(r.Action)) })
	resource := slices.ContainsFunc(st.Resources, func(p string) bool { return wildcard(p, r.Resource) })
	return action && resource
}

// wildcard matches s against an IAM pattern: * is any run of characters (across / and :), ?
// is one character.
func wildcard(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcard(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		default:
			if s == "" || pattern[0] != s[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		}
	}
	return s == ""
}

// conditionsHold reports whether every condition of the statement holds for r. An operator or
// key the evaluator does not implement holds for a Deny and fails for an Allow: whatever the
// unknown condition would have said, the answer is never more permissive than the truth.
func (st iamStatement) conditionsHold(r iamRequest, deny bool) bool {
	for op, keys := range st.Conditions {
		for key, want := range keys {
			v, ok := evalCondition(op, key, want, r.Context)
			if !ok {
				return deny
			}
			if !v {
				return false
			}
		}
	}
	return true
}

// evalCondition evaluates one operator on one key; ok is false when the operator or key is
// one the evaluator does not implement.
func evalCondition(op, key string, want []string, ctx map[string][]string) (result, ok bool) {
	if !evaluatedKeys[strings.ToLower(key)] {
		return false, false
	}
	values, present := ctx[canonicalKey(key)]
	if op == "Null" { // "true": the request lacks the key; "false": it carries it
		present = present && len(values) > 0
		if len(want) != 1 || (want[0] != "true" && want[0] != "false") {
			return false, false
		}
		return present == (want[0] == "false"), true
	}
	set, base, _ := strings.Cut(op, ":")
	if base == "" {
		set, base = "", op
	}
	var match func(pattern, v string) bool
	negated := false
	switch base {
	case "StringEquals":
		match = func(p, v string) bool { return p == v }
	case "StringLike":
		match = wildcard
	case "StringNotLike":
		match, negated = wildcard, true
	default:
		return false, false
	}
	// matchesAny is the single-value test: does v match one of the condition's values (for the
	// negated operator: none of them)?
	matchesAny := func(v string) bool {
		hit := slices.ContainsFunc(want, func(p string) bool { return match(p, v) })
		return hit != negated
	}
	switch set {
	case "ForAllValues":
		for _, v := range values { // an absent or empty key holds vacuously, as in IAM
			if !matchesAny(v) {
				return false, true
			}
		}
		return true, true
	case "ForAnyValue":
		return slices.ContainsFunc(values, matchesAny), true
	case "":
		if !present || len(values) == 0 {
			return negated, true // IAM: a negated operator on a missing key holds
		}
		if len(values) != 1 {
			return false, true // a single-valued operator on a multivalued key: never a match
		}
		return matchesAny(values[0]), true
	}
	return false, false
}

func canonicalKey(k string) string { return strings.ToLower(k) }

// ddbCall is one authorization a DynamoDB request needs: the action IAM checks and the table
// (and index) it names, with the request's condition keys.
type ddbCall struct {
	action, table, index string
	leadingKeys          []string
	attributes           []string
}

// ddbKeySchema is each table's partition key attribute, for dynamodb:LeadingKeys.
type ddbKeySchema map[string]string

// ddbCalls returns the authorizations one DynamoDB JSON request needs, as DynamoDB checks them:
// one per table for single-table operations and the batch operations (each table of a batch
// under the batch's own action), one per item for the transactions, under the item's own
// operation (Put → PutItem, Update → UpdateItem, Delete → DeleteItem, ConditionCheck →
// ConditionCheckItem, Get → GetItem).
func ddbCalls(operation string, body []byte, keys ddbKeySchema) ([]ddbCall, error) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("request body: %w", err)
	}
	str := func(m map[string]json.RawMessage, k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	single := func(m map[string]json.RawMessage, action string) (ddbCall, error) {
		c := ddbCall{action: action, table: str(m, "TableName"), index: str(m, "IndexName")}
		if c.table == "" {
			return c, fmt.Errorf("%s without TableName", action)
		}
		c.leadingKeys, c.attributes = conditionKeys(m, keys[c.table])
		return c, nil
	}
	switch operation {
	case "BatchGetItem", "BatchWriteItem":
		var items map[string]json.RawMessage
		if err := json.Unmarshal(req["RequestItems"], &items); err != nil {
			return nil, fmt.Errorf("%s RequestItems: %w", operation, err)
		}
		var out []ddbCall
		for table, raw := range items {
			c := ddbCall{action: "dynamodb:" + operation, table: table}
			if operation == "BatchGetItem" {
				var ka struct {
					Keys                 []map[string]json.RawMessage
					ProjectionExpression string
				}
				_ = json.Unmarshal(raw, &ka)
				for _, k := range ka.Keys {
					c.leadingKeys = append(c.leadingKeys, scalar(k[keys[table]]))
				}
			} else {
				var reqs []map[string]map[string]map[string]json.RawMessage
				_ = json.Unmarshal(raw, &reqs)
				for _, r := range reqs {
					for _, body := range r { // PutRequest{Item} or DeleteRequest{Key}
						for _, item := range body {
							c.leadingKeys = append(c.leadingKeys, scalar(item[keys[table]]))
						}
					}
				}
			}
			out = append(out, c)
		}
		slices.SortFunc(out, func(a, b ddbCall) int { return strings.Compare(a.table, b.table) })
		return out, nil
	case "TransactWriteItems", "TransactGetItems":
		var items []map[string]map[string]json.RawMessage
		if err := json.Unmarshal(req["TransactItems"], &items); err != nil {
			return nil, fmt.Errorf("%s TransactItems: %w", operation, err)
		}
		ops := map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
		var out []ddbCall
		for _, item := range items {
			if len(item) != 1 {
				return nil, fmt.Errorf("%s: an item with %d operations", operation, len(item))
			}
			for kind, m := range item {
				op, ok := ops[kind]
				if !ok {
					return nil, fmt.Errorf("%s: unknown item operation %q", operation, kind)
				}
				c, err := single(m, "dynamodb:"+op)
				if err != nil {
					return nil, err
				}
				out = append(out, c)
			}
		}
		return out, nil
	case "ListTables":
		return []ddbCall{{action: "dynamodb:ListTables"}}, nil
	}
	c, err := single(req, "dynamodb:"+operation)
	if err != nil {
		return nil, err
	}
	return []ddbCall{c}, nil
}

// conditionKeys computes dynamodb:LeadingKeys (the partition key values the request names) and
// dynamodb:Attributes (the top-level attribute names it names: item, key, projection,
// expression attribute names and AttributesToGet).
func conditionKeys(m map[string]json.RawMessage, partition string) (leading, attrs []string) {
	seen := map[string]bool{}
	add := func(a string) {
		if a != "" && !seen[a] {
			seen[a] = true
			attrs = append(attrs, a)
		}
	}
	for _, field := range []string{"Item", "Key"} {
		var item map[string]json.RawMessage
		if json.Unmarshal(m[field], &item) != nil {
			continue
		}
		for a := range item {
			add(a)
		}
		if v, ok := item[partition]; ok {
			leading = append(leading, scalar(v))
		}
	}
	var names map[string]string
	_ = json.Unmarshal(m["ExpressionAttributeNames"], &names)
	for _, a := range names {
		add(a)
	}
	var toGet []string
	_ = json.Unmarshal(m["AttributesToGet"], &toGet)
	for _, a := range toGet {
		add(a)
	}
	var projection string
	_ = json.Unmarshal(m["ProjectionExpression"], &projection)
	for _, p := range strings.Split(projection, ",") {
		p = strings.TrimSpace(p)
		if p != "" && !strings.HasPrefix(p, "#") {
			add(strings.FieldsFunc(p, func(r rune) bool { return r == '.' || r == '[' })[0])
		}
	}
	slices.Sort(attrs)
	return leading, attrs
}

// scalar returns the value of a string or number attribute value ({"S": "x"}, {"N": "1"}).
func scalar(raw json.RawMessage) string {
	var av map[string]json.RawMessage
	if json.Unmarshal(raw, &av) != nil {
		return ""
	}
	for _, t := range []string{"S", "N", "B"} {
		var s string
		if json.Unmarshal(av[t], &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

// ddbPrincipal is one function's identity at the proxy: its access key and the identity
// policy of its role.
type ddbPrincipal struct {
	Function, RoleARN, Secret string
	Policy                    iamPolicy
}

// ddbDenial is one call the proxy refused.
type ddbDenial struct {
	Function, Action, Resource string
}

// ddbProxy is a DynamoDB endpoint that authenticates each request's SigV4 signature against
// the signing function's own key, authorizes every table the request touches against that
// function's role policy, and forwards what is allowed to the backend unchanged.
type ddbProxy struct {
	backend         string
	region, account string
	keys            ddbKeySchema

	mu      sync.Mutex
	callers map[string]ddbPrincipal // by access key id
	denied  []ddbDenial
	allowed map[string]int // "function action table" -> count
}

func newDDBProxy(backend, region, account string, keys ddbKeySchema) *ddbProxy {
	return &ddbProxy{backend: strings.TrimRight(backend, "/"), region: region, account: account, keys: keys,
		callers: map[string]ddbPrincipal{}, allowed: map[string]int{}}
}

// enroll gives a function an access key whose calls are judged by policy.
func (p *ddbProxy) enroll(accessKey string, who ddbPrincipal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.callers[accessKey] = who
}

// served returns the functions whose calls the proxy has allowed so far.
func (p *ddbProxy) served() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]bool{}
	for k := range p.allowed {
		fn, _, _ := strings.Cut(k, " ")
		out[fn] = true
	}
	return out
}

// denials returns the refused calls so far.
func (p *ddbProxy) denials() []ddbDenial {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.denied)
}

func (p *ddbProxy) tableARN(table, index string) string {
	arn := "arn:aws:dynamodb:" + p.region + ":" + p.account + ":table/" + table
	if index != "" {
		arn += "/index/" + index
	}
	return arn
}

// ServeHTTP implements http.Handler.
func (p *ddbProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		ddbError(w, http.StatusBadRequest, "SerializationException", "the body could not be read")
		return
	}
	who, ok := p.authenticate(r, body)
	if !ok {
		ddbError(w, http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	service, operation, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if !strings.HasPrefix(service, "DynamoDB_") || operation == "" {
		ddbError(w, http.StatusBadRequest, "UnknownOperationException", "no operation")
		return
	}
	calls, err := ddbCalls(operation, body, p.keys)
	if err != nil {
		ddbError(w, http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	for _, c := range calls {
		resource := "*"
		if c.table != "" {
			resource = p.tableARN(c.table, c.index)
		}
		ctx := map[string][]string{}
		if c.leadingKeys != nil {
			ctx["dynamodb:leadingkeys"] = c.leadingKeys
		}
		if c.attributes != nil {
			ctx["dynamodb:attributes"] = c.attributes
		}
		if ok, why := who.Policy.allows(iamRequest{Action: c.action, Resource: resource, Context: ctx}); !ok {
			p.mu.Lock()
			p.denied = append(p.denied, ddbDenial{who.Function, c.action, resource})
			p.mu.Unlock()
			ddbError(w, http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because %s",
				who.RoleARN, c.action, resource, why))
			return
		}
		p.mu.Lock()
		p.allowed[who.Function+" "+c.action+" "+c.table]++
		p.mu.Unlock()
	}
	p.forward(w, r, body)
}

// authenticate finds the request's access key and checks its signature by signing the same
// request again with the enrolled secret, as AWS does.
func (p *ddbProxy) authenticate(r *http.Request, body []byte) (ddbPrincipal, bool) {
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ddbPrincipal{}, false
	}
	key, _, _ := strings.Cut(cred, "/")
	_, sig, ok := strings.Cut(auth, "Signature=")
	if !ok {
		return ddbPrincipal{}, false
	}
	_, signed, _ := strings.Cut(auth, "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	p.mu.Lock()
	who, known := p.callers[key]
	p.mu.Unlock()
	if !known {
		return ddbPrincipal{}, false
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return ddbPrincipal{}, false
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return ddbPrincipal{}, false
	}
	for _, h := range strings.Split(signed, ";") {
		if h != "host" {
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	again.Header.Del("Authorization")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: who.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "dynamodb", p.region, at); err != nil {
		return ddbPrincipal{}, false
	}
	_, want, _ := strings.Cut(again.Header.Get("Authorization"), "Signature=")
	return who, subtle.ConstantTimeCompare([]byte(strings.TrimSpace(sig)), []byte(want)) == 1
}

// forward sends an allowed request to the backend as it came and copies the answer back.
func (p *ddbProxy) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.backend+path.Clean("/"+r.URL.Path), bytes.NewReader(body))
	if err != nil {
		ddbError(w, http.StatusInternalServerError, "InternalServerError", "proxy")
		return
	}
	out.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		ddbError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "backend unreachable")
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// ddbError answers as DynamoDB's JSON protocol does.
func ddbError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.dynamodb.v20120810#" + typ, "message": msg})
}

var _ http.Handler = (*ddbProxy)(nil)

const testTableARN = "arn:aws:dynamodb:us-east-1:123456789012:table/"

func TestIAMEvaluator(t *testing.T) {
	t.Parallel()
	allowApprovals := iamStatement{Effect: "Allow", Actions: []string{"dynamodb:Get*", "dynamodb:Query", "dynamodb:PutItem"},
		Resources: []string{testTableARN + "approvals", testTableARN + "approvals/index/*"}}
	cases := []struct {
		name   string
		policy iamPolicy
		req    iamRequest
		want   bool
	}{
		{"action wildcard", iamPolicy{allowApprovals}, iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "approvals"}, true},
		{"action case", iamPolicy{allowApprovals}, iamRequest{Action: "DynamoDB:getitem", Resource: testTableARN + "approvals"}, true},
		{"action not granted", iamPolicy{allowApprovals}, iamRequest{Action: "dynamodb:DeleteItem", Resource: testTableARN + "approvals"}, false},
		{"other table", iamPolicy{allowApprovals}, iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "approvals2"}, false},
		{"resource case matters", iamPolicy{allowApprovals}, iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "Approvals"}, false},
		{"index ARN by wildcard", iamPolicy{allowApprovals}, iamRequest{Action: "dynamodb:Query", Resource: testTableARN + "approvals/index/by-status"}, true},
		{"index ARN not covered by the table ARN", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:Query"}, Resources: []string{testTableARN + "approvals"}}},
			iamRequest{Action: "dynamodb:Query", Resource: testTableARN + "approvals/index/by-status"}, false},
		{"question mark", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:?etItem"}, Resources: []string{"*"}}}, iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "x"}, true},
		{"deny wins", iamPolicy{allowApprovals, {Effect: "Deny", Actions: []string{"dynamodb:*"}, Resources: []string{testTableARN + "approvals"}}},
			iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "approvals"}, false},
		{"deny elsewhere", iamPolicy{allowApprovals, {Effect: "Deny", Actions: []string{"dynamodb:*"}, Resources: []string{testTableARN + "claims"}}},
			iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "approvals"}, true},
		{"unknown condition key never allows", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"StringEquals": {"aws:PrincipalTag/team": {"support"}}}}},
			iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "approvals"}, false},
		{"unknown operator never allows", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"StringEqualsIgnoreCase": {"dynamodb:LeadingKeys": {"a"}}}}},
			iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "approvals", Context: map[string][]string{"dynamodb:leadingkeys": {"a"}}}, false},
		{"unknown condition key always denies", iamPolicy{allowApprovals, {Effect: "Deny", Actions: []string{"dynamodb:*"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}}}},
			iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "approvals"}, false},
		{"ForAllValues leading keys hold", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": {"kill#*", "round#*"}}}}},
			iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "claims", Context: map[string][]string{"dynamodb:leadingkeys": {"kill#1", "round#2"}}}, true},
		{"ForAllValues leading keys one outside", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": {"kill#*"}}}}},
			iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "claims", Context: map[string][]string{"dynamodb:leadingkeys": {"kill#1", "sig#2"}}}, false},
		{"ForAnyValue attributes", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:UpdateItem"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"ForAnyValue:StringEquals": {"dynamodb:Attributes": {"actions"}}}}},
			iamRequest{Action: "dynamodb:UpdateItem", Resource: testTableARN + "sessions", Context: map[string][]string{"dynamodb:attributes": {"actions", "id"}}}, true},
		{"ForAllValues StringNotLike attributes", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:UpdateItem"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"ForAllValues:StringNotLike": {"dynamodb:Attributes": {"status", "decided_*"}}}}},
			iamRequest{Action: "dynamodb:UpdateItem", Resource: testTableARN + "approvals", Context: map[string][]string{"dynamodb:attributes": {"id", "decided_by"}}}, false},
		{"StringEquals on a missing key", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:Scan"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"StringEquals": {"dynamodb:LeadingKeys": {"a"}}}}},
			iamRequest{Action: "dynamodb:Scan", Resource: testTableARN + "claims"}, false},
		{"Null false with the key", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:PutItem"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"Null": {"dynamodb:LeadingKeys": {"false"}}}}},
			iamRequest{Action: "dynamodb:PutItem", Resource: "x", Context: map[string][]string{"dynamodb:leadingkeys": {"a"}}}, true},
		{"Null false without the key", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:Scan"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"Null": {"dynamodb:LeadingKeys": {"false"}}}}},
			iamRequest{Action: "dynamodb:Scan", Resource: "x"}, false},
		{"StringNotLike on a missing key", iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:Scan"}, Resources: []string{"*"},
			Conditions: map[string]map[string][]string{"StringNotLike": {"dynamodb:LeadingKeys": {"a*"}}}}},
			iamRequest{Action: "dynamodb:Scan", Resource: testTableARN + "claims"}, true},
		{"no statement", nil, iamRequest{Action: "dynamodb:GetItem", Resource: testTableARN + "approvals"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got, why := c.policy.allows(c.req); got != c.want {
				t.Fatalf("allows(%+v) = %v (%s), want %v", c.req, got, why, c.want)
			}
		})
	}
}

func TestDDBCalls(t *testing.T) {
	t.Parallel()
	keys := ddbKeySchema{"sessions": "id", "claims": "key", "approvals": "id"}
	cases := []struct {
		name, op, body string
		want           []ddbCall
	}{
		{"get", "GetItem", `{"TableName":"sessions","Key":{"id":{"S":"s1"}},"ProjectionExpression":"#a, budget.x","ExpressionAttributeNames":{"#a":"actions"}}`,
			[]ddbCall{{action: "dynamodb:GetItem", table: "sessions", leadingKeys: []string{"s1"}, attributes: []string{"actions", "budget", "id"}}}},
		{"query on an index", "Query", `{"TableName":"approvals","IndexName":"by-status"}`,
			[]ddbCall{{action: "dynamodb:Query", table: "approvals", index: "by-status"}}},
		{"batch get: each table", "BatchGetItem", `{"RequestItems":{"sessions":{"Keys":[{"id":{"S":"a"}}]},"claims":{"Keys":[{"key":{"S":"k"}}]}}}`,
			[]ddbCall{{action: "dynamodb:BatchGetItem", table: "claims", leadingKeys: []string{"k"}}, {action: "dynamodb:BatchGetItem", table: "sessions", leadingKeys: []string{"a"}}}},
		{"batch write: each table", "BatchWriteItem", `{"RequestItems":{"claims":[{"DeleteRequest":{"Key":{"key":{"S":"k"}}}}]}}`,
			[]ddbCall{{action: "dynamodb:BatchWriteItem", table: "claims", leadingKeys: []string{"k"}}}},
		{"transaction: each item under its own operation", "TransactWriteItems",
			`{"TransactItems":[{"Put":{"TableName":"claims","Item":{"key":{"S":"k"}}}},{"Update":{"TableName":"sessions","Key":{"id":{"S":"s"}}}},{"ConditionCheck":{"TableName":"approvals","Key":{"id":{"S":"p"}}}}]}`,
			[]ddbCall{{action: "dynamodb:PutItem", table: "claims", leadingKeys: []string{"k"}, attributes: []string{"key"}},
				{action: "dynamodb:UpdateItem", table: "sessions", leadingKeys: []string{"s"}, attributes: []string{"id"}},
				{action: "dynamodb:ConditionCheckItem", table: "approvals", leadingKeys: []string{"p"}, attributes: []string{"id"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := ddbCalls(c.op, []byte(c.body), keys)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(ddbCall{})); diff != "" {
				t.Fatalf("ddbCalls (-want +got):\n%s", diff)
			}
		})
	}
	for op, bad := range map[string]string{"GetItem": `nope`, "PutItem": `{"Item":{}}`, "TransactWriteItems": `{"TransactItems":[{"Put":{}}]}`,
		"TransactGetItems": `{"TransactItems":[{"Bogus":{"TableName":"x"}}]}`, "BatchGetItem": `{"RequestItems":3}`} {
		if calls, err := ddbCalls(op, []byte(bad), keys); err == nil {
			t.Errorf("ddbCalls(%s, %s) = %+v, want an error", op, bad, calls)
		}
	}
}

// TestDDBProxyEnforces runs the real DynamoDB client through the proxy in front of a backend
// that answers every call: the proxy forwards what the policy allows, refuses the rest as
// DynamoDB does (a batch with one ungranted table is refused whole), and refuses a request
// signed with the wrong secret.
func TestDDBProxyEnforces(t *testing.T) {
	t.Parallel()
	var forwarded []string
	var mu sync.Mutex
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		forwarded = append(forwarded, r.Header.Get("X-Amz-Target"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(backend.Close)
	proxy := newDDBProxy(backend.URL, "us-east-1", "123456789012", ddbKeySchema{"sessions": "id", "claims": "key"})
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	proxy.enroll("AKIDSESSION", ddbPrincipal{Function: "session", RoleARN: "arn:aws:iam::123456789012:role/session", Secret: "s3cret",
		Policy: iamPolicy{{Effect: "Allow", Actions: []string{"dynamodb:GetItem", "dynamodb:BatchGetItem"}, Resources: []string{testTableARN + "sessions"}}}})
	client := func(secret string) *dynamodb.Client {
		return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDSESSION", secret, "")})
	}
	ctx := context.Background()
	key := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "s1"}}
	if _, err := client("s3cret").GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: key}); err != nil {
		t.Fatalf("granted GetItem: %v", err)
	}
	var ae smithy.APIError
	_, err := client("s3cret").DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("sessions"), Key: key})
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("ungranted DeleteItem: %v, want AccessDeniedException", err)
	}
	_, err = client("s3cret").BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{
		"sessions": {Keys: []map[string]ddbtypes.AttributeValue{key}},
		"claims":   {Keys: []map[string]ddbtypes.AttributeValue{{"key": &ddbtypes.AttributeValueMemberS{Value: "k"}}}},
	}})
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "table/claims") {
		t.Fatalf("BatchGetItem with one ungranted table: %v, want AccessDeniedException on claims", err)
	}
	_, err = client("wrong").GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: key})
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("wrong secret: %v, want UnrecognizedClientException", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"DynamoDB_20120810.GetItem"}, forwarded); diff != "" {
		t.Fatalf("forwarded (-want +got):\n%s", diff)
	}
	want := []ddbDenial{{"session", "dynamodb:DeleteItem", testTableARN + "sessions"}, {"session", "dynamodb:BatchGetItem", testTableARN + "claims"}}
	if diff := cmp.Diff(want, proxy.denials()); diff != "" {
		t.Fatalf("denials (-want +got):\n%s", diff)
	}
}

// FuzzDDBCalls: no request body makes the request parser panic, and every call it returns
// names an action.
func FuzzDDBCalls(f *testing.F) {
	f.Add("TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"claims","Item":{"key":{"S":"k"}}}}]}`)
	f.Add("BatchGetItem", `{"RequestItems":{"sessions":{"Keys":[{"id":{"S":"a"}}]}}}`)
	f.Add("GetItem", `{"TableName":"t","ProjectionExpression":"a.b[1], #c"}`)
	f.Fuzz(func(t *testing.T, op, body string) {
		calls, err := ddbCalls(op, []byte(body), ddbKeySchema{"sessions": "id"})
		for _, c := range calls {
			if err == nil && !strings.HasPrefix(c.action, "dynamodb:") {
				t.Fatalf("call without an action: %+v", c)
			}
		}
	})
}
