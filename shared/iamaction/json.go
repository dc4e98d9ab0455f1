package iamaction

import (
	"fmt"
	"regexp"
)

// ServiceARN is the resource kind of an operation on a JSON-protocol service reached through
// the generic path: any single resource ARN of that service (no pattern, no variable).
const ServiceARN = "service-arn"

// JSONService describes an AWS service that speaks the JSON protocol (a POST of a JSON body
// to "/" with the operation in the X-Amz-Target header), so one code path can call any of its
// operations.
type JSONService struct {
	// Name is the service as actions name it ("sqs"): also its IAM prefix, its ARN service
	// and its SigV4 signing name for every service of the table.
	Name string
	// EndpointPrefix is the host label of its regional endpoint (https://PREFIX.REGION.amazonaws.com).
	EndpointPrefix string
	// TargetPrefix goes before ".Operation" in the X-Amz-Target header.
	TargetPrefix string
	// JSONVersion is "1.0" or "1.1": the Content-Type is application/x-amz-json-VERSION.
	JSONVersion string
}

// jsonServices is the table of services the generic path reaches. Each target prefix and
// JSON version is the one the service's API model declares.
var jsonServices = []JSONService{
	{Name: "dynamodb", EndpointPrefix: "dynamodb", TargetPrefix: "DynamoDB_20120810", JSONVersion: "1.0"},
	{Name: "sqs", EndpointPrefix: "sqs", TargetPrefix: "AmazonSQS", JSONVersion: "1.0"},
	{Name: "kinesis", EndpointPrefix: "kinesis", TargetPrefix: "Kinesis_20131202", JSONVersion: "1.1"},
	{Name: "logs", EndpointPrefix: "logs", TargetPrefix: "Logs_20140328", JSONVersion: "1.1"},
}

// batchActions are the generic operations IAM authorises under another action's name (the
// batch forms of SQS operations). Every other generic operation needs the IAM action of its
// own name. A wrong entry can only make AWS refuse the call, never allow more: the session
// policy names this action alone.
var batchActions = map[string]string{
	"sqs:SendMessageBatch":             "sqs:SendMessage",
	"sqs:DeleteMessageBatch":           "sqs:DeleteMessage",
	"sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}

// operationRe is an API operation name: CamelCase, as the SDKs spell it.
var operationRe = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{1,63}$`)

// JSONServices returns a copy of the table of JSON-protocol services.
func JSONServices() []JSONService { return append([]JSONService(nil), jsonServices...) }

// LookupJSONService returns the JSON-protocol service name, if the generic path reaches it.
func LookupJSONService(name string) (JSONService, bool) {
	for _, s := range jsonServices {
		if s.Name == name {
			return s, true
		}
	}
	return JSONService{}, false
}

// generic returns the operation of a JSON-protocol service that the explicit table does not
// list: the IAM action of its own name (or of batchActions) on one ARN of the service.
func generic(service, name string) (Operation, error) {
	if _, ok := LookupJSONService(service); !ok || !operationRe.MatchString(name) {
		return Operation{}, fmt.Errorf("%w: %s:%s", ErrUnsupported, service, name)
	}
	action := service + ":" + name
	if a, ok := batchActions[action]; ok {
		action = a
	}
	return Operation{Service: service, Name: name, Actions: []string{action}, ResourceKind: ServiceARN, Generic: true}, nil
}

// serviceARNRe is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE with a regional, account
// scoped resource, as every service of the JSON table names its resources.
var serviceARNRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z]{2}(?:-[a-z]+)+-[0-9]):([0-9]{12}):([\x21-\x7e]+)$`)

func (o Operation) serviceResource(arn string) (Resource, error) {
	m := serviceARNRe.FindStringSubmatch(arn)
	if m == nil || m[2] != o.Service || len(m[5]) > 1024 {
		return Resource{}, fmt.Errorf("%w: %s:%s needs one %s resource ARN (arn:aws:%s:REGION:ACCOUNT:...)", ErrResource, o.Service, o.Name, o.Service, o.Service)
	}
	return Resource{ARN: arn, Partition: m[1], Region: m[3], Account: m[4]}, nil
}
