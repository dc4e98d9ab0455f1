package identity

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testSig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	valid := authorization{
		AccessKeyID: "AKIDEXAMPLE", Date: "20150830", Region: "us-east-1", Service: "execute-api",
		SignedHeaders: []string{"host", "x-amz-date"}, Signature: testSig,
	}
	cred := "Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request"
	tests := []struct {
		name    string
		in      string
		want    authorization
		wantErr bool
	}{
		{name: "SDK form", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=" + testSig, want: valid},
		{name: "no spaces after commas", in: "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host;x-amz-date,Signature=" + testSig, want: valid},
		{name: "components in another order", in: "AWS4-HMAC-SHA256 Signature=" + testSig + ", " + cred + ", SignedHeaders=host;x-amz-date", want: valid},
		{name: "empty", in: "", wantErr: true},
		{name: "other algorithm", in: "AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "SigV4a", in: "AWS4-ECDSA-P256-SHA256 " + cred + ", SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "Bearer", in: "Bearer eyJhbGciOi", wantErr: true},
		{name: "lower-case algorithm", in: "aws4-hmac-sha256 " + cred + ", SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "missing signature", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host", wantErr: true},
		{name: "missing credential", in: "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "missing signed headers", in: "AWS4-HMAC-SHA256 " + cred + ", Signature=" + testSig, wantErr: true},
		{name: "duplicate credential", in: "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "unknown component", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + testSig + ", Extra=1", wantErr: true},
		{name: "trailing comma", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + testSig + ",", wantErr: true},
		{name: "short signature", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=abc", wantErr: true},
		{name: "upper-case signature", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + strings.ToUpper(testSig), wantErr: true},
		{name: "scope too short", in: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/aws4_request, SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "bad terminator", in: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws5_request, SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "bad date", in: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20151330/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "empty key id", in: "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "key id with symbols", in: "AWS4-HMAC-SHA256 Credential=AK+ID/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "empty region", in: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830//execute-api/aws4_request, SignedHeaders=host, Signature=" + testSig, wantErr: true},
		{name: "host not signed", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, Signature=" + testSig, wantErr: true},
		{name: "unsorted signed headers", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date;host, Signature=" + testSig, wantErr: true},
		{name: "duplicate signed header", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host, Signature=" + testSig, wantErr: true},
		{name: "upper-case signed header", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host, Signature=" + testSig, wantErr: true},
		{name: "empty signed header name", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, Signature=" + testSig, wantErr: true},
		{name: "authorization signed", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=authorization;host, Signature=" + testSig, wantErr: true},
		{name: "too long", in: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;" + strings.Repeat("x", maxAuthorizationLength) + ", Signature=" + testSig, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseAuthorization(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("parseAuthorization = %+v, %v; want ErrMalformed", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAuthorization: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseAuthorization (-want +got):\n%s", diff)
			}
		})
	}
}
