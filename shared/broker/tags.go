package broker

// TagValue is value as the broker writes it into a session tag (mandate:agent,
// mandate:session): what an IAM condition on aws:PrincipalTag must compare with.
func TagValue(value string) string { return tagValue(value) }

// SourceIdentity is the SourceIdentity the broker sets for an operator, verified or merely
// asserted: what an IAM condition on aws:SourceIdentity must compare with.
func SourceIdentity(operator string, verified bool) string {
	return sourceIdentity(Scope{Operator: operator, OperatorVerified: verified})
}
