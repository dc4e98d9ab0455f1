package local

import "testing"

func TestValidAWSEndpoint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, u string
		ok      bool
	}{
		{"none", "", true},
		{"moto on loopback", "http://127.0.0.1:5000", true},
		{"trailing slash", "http://localhost:5000/", true},
		{"https", "https://aws.internal", true},
		{"no scheme", "127.0.0.1:5000", false},
		{"other scheme", "ftp://127.0.0.1:5000", false},
		{"credentials", "http://ak:sk@127.0.0.1:5000", false},
		{"path", "http://127.0.0.1:5000/dynamodb", false},
		{"query", "http://127.0.0.1:5000?x=1", false},
		{"no host", "http://", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := ValidAWSEndpoint(tc.u); (err == nil) != tc.ok {
				t.Fatalf("ValidAWSEndpoint(%q) = %v", tc.u, err)
			}
		})
	}
}
