package policy

import (
	"slices"
	"strings"
)

// Action families. Every action Mandate performs belongs to at most one family; in Cedar the
// family is the action's parent, so a policy can say `action in Action::"read"`.
const (
	// FamilyRead covers actions that only observe state: http:GET|HEAD|OPTIONS,
	// sql:SELECT|SHOW|EXPLAIN|DESCRIBE and AWS operations named Get…, List…, Describe…, Query…
	FamilyRead = "read"
	// FamilyWrite covers actions that change state without destroying it, and every
	// operation Mandate cannot prove to be a read or a delete (see Family).
	FamilyWrite = "write"
	// FamilyDelete covers destructive actions: http:DELETE, sql:DELETE|TRUNCATE|DROP and AWS
	// operations named Delete…, Remove…, Terminate…, Purge…, Drop…, Destroy…
	FamilyDelete = "delete"
)

// families lists the action families in a stable order.
var families = [...]string{FamilyRead, FamilyWrite, FamilyDelete}

// Families returns the action families in a stable order.
func Families() []string { return slices.Clone(families[:]) }

// Services with a fixed operation vocabulary.
const (
	serviceHTTP = "http"
	serviceSQL  = "sql"
)

var (
	httpRead   = []string{"GET", "HEAD", "OPTIONS"}
	httpDelete = []string{"DELETE"}
	sqlRead    = []string{"SELECT", "SHOW", "EXPLAIN", "DESCRIBE"}
	sqlDelete  = []string{"DELETE", "TRUNCATE", "DROP"}
	// AWS operation names are CamelCase verbs followed by a noun (GetItem, ListTables).
	awsRead   = []string{"BatchGet", "Get", "List", "Describe", "Query", "Scan", "Head", "Select", "Search", "Lookup"}
	awsDelete = []string{"BatchDelete", "Delete", "Remove", "Terminate", "Purge", "Drop", "Destroy"}
)

// Family returns the action family of action, written "<service>:<operation>" as in
// "http:GET", "sql:SELECT" or "dynamodb:GetItem". It returns "" for a string that is not of
// that form (no colon, or an empty service or operation); such an action has no parent.
//
// HTTP methods and SQL statement types are matched without regard to case. AWS operations are
// matched on their leading CamelCase verb. An operation that is neither a known read nor a
// known delete is a write: a family says what an action may do, and an operation Mandate
// cannot prove read-only is treated as one that changes state. The mapping is part of the
// policy model and MUST stay stable: policies rely on it.
func Family(action string) string {
	service, op, ok := strings.Cut(action, ":")
	if !ok || service == "" || op == "" {
		return ""
	}
	switch service {
	case serviceHTTP:
		return fixedFamily(op, httpRead, httpDelete)
	case serviceSQL:
		return fixedFamily(op, sqlRead, sqlDelete)
	}
	switch {
	case hasVerb(op, awsRead):
		return FamilyRead
	case hasVerb(op, awsDelete):
		return FamilyDelete
	}
	return FamilyWrite
}

func fixedFamily(op string, read, del []string) string {
	for _, r := range read {
		if strings.EqualFold(op, r) {
			return FamilyRead
		}
	}
	for _, d := range del {
		if strings.EqualFold(op, d) {
			return FamilyDelete
		}
	}
	return FamilyWrite
}

// hasVerb reports whether op starts with one of verbs at a CamelCase word boundary, so
// "GetItem" and "Get" match "Get" but "Getaway" does not.
func hasVerb(op string, verbs []string) bool {
	for _, v := range verbs {
		if !strings.HasPrefix(op, v) {
			continue
		}
		if len(op) == len(v) {
			return true
		}
		if c := op[len(v)]; (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			return true
		}
	}
	return false
}
