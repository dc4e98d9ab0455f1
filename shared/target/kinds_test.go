package target

import (
	"strings"
	"testing"
	"time"
)

const sqlOK = "{name: crm, kind: sql, endpoint: '127.0.0.1:5432', database: crm, user: mandate_admin, secret_ref: 'file:secrets/pg.key', allowed_tables: [public.customers]}"
const rdsOK = "{name: ledger, kind: sql, endpoint: 'ledger.abc.us-east-1.rds.amazonaws.com:5432', database: ledger, user: mandate_agent, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/mandate-ledger', region: us-east-1, db_resource_id: db-ABCDEFGHIJKLMNOPQRSTUVWXY1, allowed_tables: [public.entries]}"
const awsOK = "{name: orders, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/mandate-orders', region: us-east-1, allowed_resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders', 'arn:aws:s3:::reports/*']}"

func TestParseKinds(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{"sql", "targets:\n- " + sqlOK + "\n", nil},
		{"aws", "targets:\n- " + awsOK + "\n", nil},
		{"rds iam auth", "targets:\n- " + rdsOK + "\n", nil},
		{"rds iam auth missing everything", "targets:\n- {name: d, kind: sql, endpoint: 'db.example.com:5432', database: d, user: u, allowed_tables: [a.b], role_arn: 'arn:aws:iam::123456789012:role/r', secret_ref: 'file:x'}\n", []string{"account", "region", "db_resource_id", "secret_ref must be empty"}},
		{"sql missing everything", "targets:\n- {name: d, kind: sql}\n", []string{"endpoint", "database", "user", "secret_ref", "allowed_tables"}},
		{"sql bad table", "targets:\n- {name: d, kind: sql, endpoint: 'h:1', database: d, user: u, secret_ref: x, allowed_tables: [customers, 'a.b;drop']}\n", []string{"allowed_tables[0]", "allowed_tables[1]"}},
		{"sql classified columns", "targets:\n- {name: d, kind: sql, endpoint: 'h:1', database: d, user: u, secret_ref: x, allowed_tables: [a.b], classified_columns: {a.b.email: email, a.b.card: payment_card}}\n", nil},
		{"sql bad classified columns", "targets:\n- {name: d, kind: sql, endpoint: 'h:1', database: d, user: u, secret_ref: x, allowed_tables: [a.b], classified_columns: {b.email: email, a.b.c: 'Bad Class'}}\n", []string{"\"b.email\" must be schema.table.column", "\"a.b.c\": the class"}},
		{"sql tls", "targets:\n- {name: d, kind: sql, endpoint: 'db.example.com:5432', database: d, user: u, secret_ref: x, allowed_tables: [a.b], sslmode: verify-full, ca_bundle: /etc/ssl/rds/global-bundle.pem}\n", nil},
		{"sql bad tls", "targets:\n- {name: d, kind: sql, endpoint: 'db.example.com:5432', database: d, user: u, secret_ref: x, allowed_tables: [a.b], sslmode: prefer, ca_bundle: 'bundle.pem'}\n", []string{"sslmode", "ca_bundle"}},
		{"sql bad pem", "targets:\n- {name: d, kind: sql, endpoint: 'db.example.com:5432', database: d, user: u, secret_ref: x, allowed_tables: [a.b], ca_bundle: \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\"}\n", []string{"ca_bundle"}},
		{"sql plain text off loopback", "targets:\n- {name: d, kind: sql, endpoint: 'db.example.com:5432', database: d, user: u, secret_ref: x, allowed_tables: [a.b], sslmode: disable}\n", []string{"sslmode disable"}},
		{"tls on an http target", "targets:\n- {name: c, kind: http, base_url: 'http://h/', sslmode: require}\n", []string{"sslmode and ca_bundle are only for sql targets"}},
		{"sql bad port", "targets:\n- {name: d, kind: sql, endpoint: 'h:99999', database: d, user: u, secret_ref: x, allowed_tables: [a.b]}\n", []string{"endpoint"}},
		{"aws account mismatch", "targets:\n- {name: d, kind: aws, account: '000000000000', role_arn: 'arn:aws:iam::123456789012:role/r', region: us-east-1, allowed_resources: ['arn:aws:s3:::b/*']}\n", []string{"role_arn must be in account"}},
		{"aws kms keys", "targets:\n- {name: o, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/r', region: us-east-1, allowed_resources: ['arn:aws:s3:::b/*'], kms_keys: ['arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:us-east-1:210987654321:key/mrk-1234abcd12ab34cd56ef1234567890ab']}\n", nil},
		{"aws bad kms keys", "targets:\n- {name: o, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/r', region: us-east-1, allowed_resources: ['arn:aws:s3:::b/*'], kms_keys: ['alias/mine', 'arn:aws:kms:us-east-1:123456789012:alias/mine', 'arn:aws:kms:us-east-1:123456789012:key/*', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab']}\n",
			[]string{"kms_keys[0]", "kms_keys[1]", "kms_keys[2]", "kms_keys[3] \"arn:aws:kms:eu-west-1", "region", "kms_keys[5]", "twice"}},
		{"kms keys on an http target", "targets:\n- {name: c, kind: http, base_url: 'http://h/', kms_keys: ['arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab']}\n", []string{"kms_keys is only for aws targets"}},
		{"aws bad everything", "targets:\n- {name: d, kind: aws, role_arn: 'arn:aws:iam::1:user/x', region: mars, allowed_resources: ['*'], endpoint: 'ftp://x', policy_window: 1h}\n", []string{"role_arn", "region", "allowed_resources[0]", "endpoint", "policy_window"}},
	})
}

func TestKindDefaultsAndChecks(t *testing.T) {
	t.Parallel()
	r, err := Parse([]byte("targets:\n- " + sqlOK + "\n- " + awsOK + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := r.Lookup("crm")
	if s.Schema != "public" || s.MaxRows != DefaultMaxRows || !s.AllowsTable("public.customers") || s.AllowsTable("public.Customers") || s.AllowsTable("public.orders") {
		t.Fatalf("sql target: %+v", s)
	}
	if rds, err := Parse([]byte("targets:\n- " + rdsOK + "\n")); err != nil {
		t.Fatal(err)
	} else if l, _ := rds.Lookup("ledger"); !l.IAMAuth() || s.IAMAuth() || time.Duration(l.PolicyWindow) != DefaultPolicyWindow ||
		l.DBUserARN() != "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY1/mandate_agent" {
		t.Fatalf("rds target: %+v (%s)", l, l.DBUserARN())
	}
	a, _ := r.Lookup("orders")
	if time.Duration(a.PolicyWindow) != DefaultPolicyWindow {
		t.Fatalf("policy window %v", a.PolicyWindow)
	}
	for arn, want := range map[string]bool{
		"arn:aws:dynamodb:us-east-1:123456789012:table/orders":       true,
		"arn:aws:dynamodb:us-east-1:123456789012:table/orders-admin": false,
		"arn:aws:dynamodb:us-east-1:123456789012:table/order":        false,
		"arn:aws:s3:::reports/2024/q1.csv":                           true,
		"arn:aws:s3:::reports-private/x":                             false,
		"arn:aws:s3:::reports":                                       false,
	} {
		if got := a.AllowsResource(arn); got != want {
			t.Errorf("AllowsResource(%q) = %v, want %v", arn, got, want)
		}
	}
}

// A target that asks for encryption without verifying the server is accepted with a warning.
func TestRequireWarns(t *testing.T) {
	t.Parallel()
	r, err := Parse([]byte("targets:\n- {name: d, kind: sql, endpoint: 'db.example.com:5432', database: d, user: u, secret_ref: x, allowed_tables: [a.b], sslmode: require}\n- " + sqlOK + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := r.Warnings(); len(w) != 1 || !strings.Contains(w[0], `"d"`) || !strings.Contains(w[0], "not verified") {
		t.Fatalf("warnings = %q", w)
	}
	// An RDS endpoint is verified against a CA that is not among the system roots.
	if r, err = Parse([]byte("targets:\n- " + rdsOK + "\n")); err != nil {
		t.Fatal(err)
	}
	if w := r.Warnings(); len(w) != 1 || !strings.Contains(w[0], `"ledger"`) || !strings.Contains(w[0], "ca_bundle") {
		t.Fatalf("warnings of an RDS target without a bundle = %q", w)
	}
}

func TestMatchARN(t *testing.T) {
	t.Parallel()
	cases := []struct {
		p, s string
		want bool
	}{
		{"a*c", "abc", true}, {"a*c", "ac", true}, {"a*c", "abcd", false}, {"a?c", "abc", true},
		{"a?c", "ac", false}, {"*", "", true}, {"", "", true}, {"", "a", false}, {"a**b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
	}
	for _, tc := range cases {
		if got := MatchARN(tc.p, tc.s); got != tc.want {
			t.Errorf("MatchARN(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}
