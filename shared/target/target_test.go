package target

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{"valid with defaults", "targets:\n- {name: customers, kind: http, base_url: 'http://127.0.0.1:9/'}\n", nil},
		{"unknown field", "targets:\n- {name: c, kind: http, base_url: 'http://h/', passwd: x}\n", []string{"passwd"}},
		{"duplicate", "targets:\n- {name: c, kind: http, base_url: 'http://h/'}\n- {name: c, kind: http, base_url: 'http://h/'}\n", []string{"duplicate"}},
		{"every problem reported", "targets:\n- {kind: ftp}\n- {name: d, kind: http, base_url: 'http://u:p@h/'}\n", []string{"name is required", "unknown kind", "credentials"}},
		{"relative url", "targets:\n- {name: c, kind: http, base_url: '/x'}\n", []string{"absolute"}},
		{"negative limit", "targets:\n- {name: c, kind: http, base_url: 'http://h/', timeout: -1s}\n", []string{"negative"}},
		{"bad duration", "targets:\n- {name: c, kind: http, base_url: 'http://h/', timeout: soon}\n", []string{"duration"}},
	})
}

func TestLookupFillsDefaults(t *testing.T) {
	t.Parallel()
	r, err := Parse([]byte("targets:\n- {name: customers, kind: http, base_url: 'http://127.0.0.1:9/'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Lookup("customers")
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Timeout) != DefaultTimeout || c.MaxResponseBytes != DefaultMaxResponseBytes || c.AuthHeader != "Authorization" {
		t.Fatalf("defaults not filled: %+v", c)
	}
	if _, err := r.Lookup("orders"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Lookup(orders) = %v, want ErrUnknown", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("targets:\n- {name: customers, kind: http, base_url: 'http://127.0.0.1:9/'}\n"))
	f.Add([]byte("targets:\n- {name: o, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/r', region: us-east-1, allowed_resources: ['arn:aws:s3:::b/*'], kms_keys: ['arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab']}\n"))
	f.Add([]byte("targets:\n- {name: d, kind: sql, endpoint: 'db.example.com:5432', database: d, user: u, secret_ref: x, allowed_tables: [a.b], sslmode: require, ca_bundle: \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\"}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := Parse(src)
		if err != nil {
			return
		}
		for name, tg := range r.byName {
			if name == "" || tg.Timeout <= 0 || tg.MaxResponseBytes <= 0 {
				t.Fatalf("accepted target violates invariants: %+v", tg)
			}
			if IsPEM(tg.CABundle) {
				if _, err := ParseCABundle([]byte(tg.CABundle)); err != nil {
					t.Fatalf("accepted a CA bundle that does not parse: %v", err)
				}
			}
			if m := tg.TLSMode(); tg.Kind == "sql" && m != SSLVerifyFull && m != SSLRequire && m != SSLDisable {
				t.Fatalf("accepted TLS mode %q", m)
			}
			for _, k := range tg.KMSKeys { // a session policy names these keys as given
				if !kmsKeyRe.MatchString(k) || tg.Kind != "aws" {
					t.Fatalf("accepted KMS key %q of %s target %q", k, tg.Kind, name)
				}
			}
		}
	})
}

// parseCase is a registry document and the words its error must hold (none: it parses).
type parseCase struct {
	name, src string
	wantErr   []string
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Parse accepted an invalid registry")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
