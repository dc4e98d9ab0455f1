package broker

// SessionTagKeys are the session tags the broker sets on every AssumeRole, in the order it
// sends them. A target role's trust policy allows these and no other (TrustPolicy).
var SessionTagKeys = []string{"mandate:agent", "mandate:session", "mandate:intent", "mandate:record"}

// TrustPolicy is the trust policy of a target role that the brokers, calling STS as
// principals (IAM role or user ARNs: the action function's and the mcp function's), can assume with its session tags and a source identity, and
// that nobody can assume without them. One statement per STS action: IAM authorizes
// sts:TagSession and sts:SetSourceIdentity as actions of their own, and a statement joining
// them under every condition refuses sts:TagSession. infra.NewTargetRole writes the same
// document (a test there holds them equal); `mandate demo --aws-endpoint` creates its demo
// target role with it.
func TrustPolicy(principals ...string) map[string]any {
	var principal any = principals // IAM's form: one principal is a string, several a list
	if len(principals) == 1 {
		principal = principals[0]
	}
	tags := map[string]any{}
	for _, k := range SessionTagKeys {
		tags["aws:RequestTag/"+k] = "?*"
	}
	both := map[string]any{"sts:SourceIdentity": "?*"}
	for k, v := range tags {
		both[k] = v
	}
	onlyTheseKeys := map[string]any{"aws:TagKeys": SessionTagKeys}
	stmt := func(sid, action string, cond map[string]any) map[string]any {
		return map[string]any{"Sid": sid, "Effect": "Allow", "Principal": map[string]any{"AWS": principal}, "Action": action, "Condition": cond}
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{
		stmt("OnlyMandateBrokerWithSessionTagsAndSourceIdentity", "sts:AssumeRole",
			map[string]any{"StringLike": both, "ForAllValues:StringEquals": onlyTheseKeys}),
		stmt("OnlyMandateSessionTags", "sts:TagSession",
			map[string]any{"StringLike": tags, "ForAllValues:StringEquals": onlyTheseKeys}),
		stmt("OnlyWithSourceIdentity", "sts:SetSourceIdentity",
			map[string]any{"StringLike": map[string]any{"sts:SourceIdentity": "?*"}}),
	}}
}
