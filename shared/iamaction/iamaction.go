package iamaction

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

var (
	// ErrUnsupported means the service or operation is not one Mandate performs (400).
	ErrUnsupported = errors.New("iamaction: unsupported operation")
	// ErrResource means the resource ARN is not valid for the operation (400).
	ErrResource = errors.New("iamaction: resource does not fit the operation")
)

// Kinds of resource an operation acts on.
const (
	// DynamoDBTable is arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME.
	DynamoDBTable = "dynamodb-table"
	// DynamoDBTableOrIndex also admits ...:table/NAME/index/INDEX.
	DynamoDBTableOrIndex = "dynamodb-table-or-index"
	// S3Object is arn:PARTITION:s3:::BUCKET/KEY.
	S3Object = "s3-object"
	// S3Bucket is arn:PARTITION:s3:::BUCKET.
	S3Bucket = "s3-bucket"
)

// Operation is one supported SDK operation.
type Operation struct {
	// Service and Name as the SDK spells them ("dynamodb", "GetItem").
	Service, Name string
	// Actions are the IAM actions it needs, exactly.
	Actions []string
	// ResourceKind is one of the kinds above.
	ResourceKind string
	// Generic says the operation is not in the explicit table: a JSON-protocol service's
	// operation reached through the generic path, its parameters passed through as given.
	Generic bool
}

// operations is the table. Each SDK operation needs the IAM action of the same name, except
// ListObjectsV2, which IAM authorises as s3:ListBucket on the bucket.
var operations = []Operation{
	{"dynamodb", "GetItem", []string{"dynamodb:GetItem"}, DynamoDBTable, false},
	{"dynamodb", "Query", []string{"dynamodb:Query"}, DynamoDBTableOrIndex, false},
	{"dynamodb", "PutItem", []string{"dynamodb:PutItem"}, DynamoDBTable, false},
	{"dynamodb", "UpdateItem", []string{"dynamodb:UpdateItem"}, DynamoDBTable, false},
	{"dynamodb", "DeleteItem", []string{"dynamodb:DeleteItem"}, DynamoDBTable, false},
	{"s3", "GetObject", []string{"s3:GetObject"}, S3Object, false},
	{"s3", "PutObject", []string{"s3:PutObject"}, S3Object, false},
	{"s3", "DeleteObject", []string{"s3:DeleteObject"}, S3Object, false},
	{"s3", "ListObjectsV2", []string{"s3:ListBucket"}, S3Bucket, false},
}

// Operations returns a copy of the table.
func Operations() []Operation {
	out := make([]Operation, len(operations))
	for i, o := range operations {
		o.Actions = append([]string(nil), o.Actions...)
		out[i] = o
	}
	return out
}

// Lookup returns the operation service:name: an entry of the explicit table, or else an
// operation of a JSON-protocol service (JSONServices) through the generic path.
func Lookup(service, name string) (Operation, error) {
	for _, o := range operations {
		if o.Service == service && o.Name == name {
			o.Actions = append([]string(nil), o.Actions...)
			return o, nil
		}
	}
	return generic(service, name)
}

var (
	tableRe  = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):dynamodb:([a-z]{2}(?:-[a-z]+)+-[0-9]):([0-9]{12}):table/([a-zA-Z0-9_.-]{3,255})$`)
	indexRe  = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):dynamodb:([a-z]{2}(?:-[a-z]+)+-[0-9]):([0-9]{12}):table/([a-zA-Z0-9_.-]{3,255})/index/([a-zA-Z0-9_.-]{3,255})$`)
	objectRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$`)
	bucketRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$`)
)

// Resource is a checked resource ARN, split into what the SDK call needs.
type Resource struct {
	ARN       string
	Partition string
	Region    string // DynamoDB only
	Account   string // DynamoDB only
	Table     string // DynamoDB
	Index     string // DynamoDB Query on an index
	Bucket    string // S3
	Key       string // S3 object
}

// Resource checks that arn is a resource of the operation's kind.
func (o Operation) Resource(arn string) (Resource, error) {
	if strings.ContainsAny(arn, "*?$") {
		return Resource{}, fmt.Errorf("%w: %s names a pattern or a policy variable, not one resource", ErrResource, o.Service+":"+o.Name)
	}
	for _, r := range arn {
		if r < 0x20 || r == 0x7f {
			return Resource{}, fmt.Errorf("%w: control character in ARN", ErrResource)
		}
	}
	switch o.ResourceKind {
	case DynamoDBTable, DynamoDBTableOrIndex:
		if m := tableRe.FindStringSubmatch(arn); m != nil {
			return Resource{ARN: arn, Partition: m[1], Region: m[2], Account: m[3], Table: m[4]}, nil
		}
		if m := indexRe.FindStringSubmatch(arn); m != nil && o.ResourceKind == DynamoDBTableOrIndex {
			return Resource{ARN: arn, Partition: m[1], Region: m[2], Account: m[3], Table: m[4], Index: m[5]}, nil
		}
		return Resource{}, fmt.Errorf("%w: %s needs a DynamoDB table ARN", ErrResource, o.Name)
	case S3Object:
		if m := objectRe.FindStringSubmatch(arn); m != nil && len(m[3]) <= 1024 {
			return Resource{ARN: arn, Partition: m[1], Bucket: m[2], Key: m[3]}, nil
		}
		return Resource{}, fmt.Errorf("%w: %s needs an S3 object ARN (arn:aws:s3:::bucket/key)", ErrResource, o.Name)
	case ServiceARN:
		return o.serviceResource(arn)
	case S3Bucket:
		if m := bucketRe.FindStringSubmatch(arn); m != nil {
			return Resource{ARN: arn, Partition: m[1], Bucket: m[2]}, nil
		}
		return Resource{}, fmt.Errorf("%w: %s needs an S3 bucket ARN (arn:aws:s3:::bucket)", ErrResource, o.Name)
	}
	return Resource{}, fmt.Errorf("%w: %s", ErrUnsupported, o.Name)
}
