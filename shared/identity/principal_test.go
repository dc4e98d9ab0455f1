package identity

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFromIAM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      IAMContext
		want    Principal
		wantErr error
	}{
		{
			name: "IAM user",
			in: IAMContext{AccessKey: "AKIAIOSFODNN7EXAMPLE", AccountID: "123456789012", CallerID: "AIDAJQABLZS4A3QDU576Q",
				UserARN: "arn:aws:iam::123456789012:user/ci-agent", UserID: "AIDAJQABLZS4A3QDU576Q", PrincipalOrgID: "o-abc123"},
			want: Principal{Kind: KindIAM, ID: "arn:aws:iam::123456789012:user/ci-agent", Name: "ci-agent",
				AccessKeyID: "AKIAIOSFODNN7EXAMPLE", AccountID: "123456789012", UserID: "AIDAJQABLZS4A3QDU576Q", PrincipalOrgID: "o-abc123"},
		},
		{
			name: "IAM user with a path",
			in:   IAMContext{AccountID: "123456789012", UserARN: "arn:aws:iam::123456789012:user/agents/prod/ci-agent", UserID: "AIDA1"},
			want: Principal{Kind: KindIAM, ID: "arn:aws:iam::123456789012:user/agents/prod/ci-agent", Name: "ci-agent",
				AccountID: "123456789012", UserID: "AIDA1"},
		},
		{
			name: "assumed role is normalised to the role",
			in: IAMContext{AccessKey: "ASIAEXAMPLE", AccountID: "123456789012", CallerID: "AROAEXAMPLE:run-42",
				UserARN: "arn:aws:sts::123456789012:assumed-role/support-agent/run-42", UserID: "AROAEXAMPLE:run-42"},
			want: Principal{Kind: KindIAM, ID: "arn:aws:iam::123456789012:role/support-agent", Name: "support-agent", Session: "run-42",
				AccessKeyID: "ASIAEXAMPLE", AccountID: "123456789012", UserID: "AROAEXAMPLE:run-42"},
		},
		{
			name: "assumed role in another partition, session name with symbols",
			in:   IAMContext{UserARN: "arn:aws-cn:sts::123456789012:assumed-role/agent/alice@example.com"},
			want: Principal{Kind: KindIAM, ID: "arn:aws-cn:iam::123456789012:role/agent", Name: "agent", Session: "alice@example.com",
				AccountID: "123456789012"},
		},
		{
			name: "federated user",
			in:   IAMContext{UserARN: "arn:aws:sts::123456789012:federated-user/bob"},
			want: Principal{Kind: KindIAM, ID: "arn:aws:sts::123456789012:federated-user/bob", Name: "bob", AccountID: "123456789012"},
		},
		{
			name: "account root",
			in:   IAMContext{UserARN: "arn:aws:iam::123456789012:root", AccountID: "123456789012"},
			want: Principal{Kind: KindIAM, ID: "arn:aws:iam::123456789012:root", Name: "root", AccountID: "123456789012"},
		},
		{
			name: "local agent",
			in:   localPrincipal("demo-agent", "AKIAIOSFODNN7EXAMPLE").IAMContext(),
			want: demoPrincipal,
		},
		{name: "missing", in: IAMContext{}, wantErr: ErrUnsigned},
		{name: "missing ARN, other fields set", in: IAMContext{AccountID: "123456789012", AccessKey: "AKIA"}, wantErr: ErrUnsigned},
		{name: "not an ARN", in: IAMContext{UserARN: "alice"}, wantErr: ErrMalformed},
		{name: "too few fields", in: IAMContext{UserARN: "arn:aws:iam::123456789012"}, wantErr: ErrMalformed},
		{name: "bad partition", in: IAMContext{UserARN: "arn:gcp:iam::123456789012:user/a"}, wantErr: ErrMalformed},
		{name: "not IAM or STS", in: IAMContext{UserARN: "arn:aws:s3:::bucket"}, wantErr: ErrMalformed},
		{name: "region set", in: IAMContext{UserARN: "arn:aws:iam:us-east-1:123456789012:user/a"}, wantErr: ErrMalformed},
		{name: "short account", in: IAMContext{UserARN: "arn:aws:iam::12345:user/a"}, wantErr: ErrMalformed},
		{name: "account mismatch", in: IAMContext{AccountID: "210987654321", UserARN: "arn:aws:iam::123456789012:user/a"}, wantErr: ErrMalformed},
		{name: "role ARN is not a caller", in: IAMContext{UserARN: "arn:aws:iam::123456789012:role/agent"}, wantErr: ErrMalformed},
		{name: "assumed role without session", in: IAMContext{UserARN: "arn:aws:sts::123456789012:assumed-role/agent"}, wantErr: ErrMalformed},
		{name: "assumed role with extra element", in: IAMContext{UserARN: "arn:aws:sts::123456789012:assumed-role/agent/s/x"}, wantErr: ErrMalformed},
		{name: "user name with a space", in: IAMContext{UserARN: "arn:aws:iam::123456789012:user/a b"}, wantErr: ErrMalformed},
		{name: "empty user name", in: IAMContext{UserARN: "arn:aws:iam::123456789012:user/"}, wantErr: ErrMalformed},
		{name: "federated user with bad name", in: IAMContext{UserARN: "arn:aws:sts::123456789012:federated-user/"}, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FromIAM(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("FromIAM = %+v, %v; want %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromIAM: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FromIAM (-want +got):\n%s", diff)
			}
			// The request context a principal produces reads back as the same principal.
			back, err := FromIAM(got.IAMContext())
			if err != nil {
				t.Fatalf("FromIAM(IAMContext()): %v", err)
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("round trip through IAMContext (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrincipalIAMContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Principal
		want IAMContext
	}{
		{
			name: "local agent, as API Gateway fills it",
			in:   demoPrincipal,
			want: IAMContext{AccessKey: demoKey.AccessKeyID, AccountID: "000000000000", CallerID: "demo-agent",
				UserARN: "arn:aws:iam::000000000000:user/demo-agent", UserID: "demo-agent"},
		},
		{
			name: "assumed role gets its STS ARN back",
			in: Principal{Kind: KindIAM, ID: "arn:aws:iam::123456789012:role/support-agent", Name: "support-agent", Session: "run-42",
				AccountID: "123456789012", UserID: "AROAEXAMPLE:run-42", PrincipalOrgID: "o-abc123"},
			want: IAMContext{AccountID: "123456789012", CallerID: "AROAEXAMPLE:run-42", PrincipalOrgID: "o-abc123",
				UserARN: "arn:aws:sts::123456789012:assumed-role/support-agent/run-42", UserID: "AROAEXAMPLE:run-42"},
		},
		{name: "not an IAM principal", in: Principal{Kind: "oidc", ID: "https://issuer#sub"}, want: IAMContext{}},
		{name: "zero principal", in: Principal{}, want: IAMContext{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.in.IAMContext()); diff != "" {
				t.Errorf("IAMContext (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLocalARN(t *testing.T) {
	t.Parallel()
	if got, want := LocalARN("demo-agent"), "arn:aws:iam::000000000000:user/demo-agent"; got != want {
		t.Errorf("LocalARN = %q; want %q", got, want)
	}
}

func TestSentinels(t *testing.T) {
	t.Parallel()
	all := []error{ErrUnsigned, ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrExpired}
	for i, err := range all {
		if !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%v does not wrap ErrUnauthenticated", err)
		}
		for j, other := range all {
			if i != j && errors.Is(err, other) {
				t.Errorf("%v is also %v", err, other)
			}
		}
	}
}
