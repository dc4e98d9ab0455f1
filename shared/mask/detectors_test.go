package mask_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/mask"
)

// Secret-shaped values are assembled at run time so the source holds no string a secret
// scanner would flag.
func shaped(prefix, body string) string { return prefix + body }

var (
	awsKeyID = shaped("AKI"+"A", "IOSFODNN7EXAMPL2")
	awsSK    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz8Q2xkKeY1"
	ghToken  = shaped("gh"+"p_", strings.Repeat("aB3dE6gH9j", 3)+"kLmN0p")
	jwtValue = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	pemBlock = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----"
)

func TestNetworkAndBank(t *testing.T) {
	t.Parallel()
	runText(t, mask.New(), []textCase{
		{"iban", "IBAN DE89370400440532013000.", "IBAN [IBAN].", one(mask.IBAN)},
		{"iban grouped", "GB82 WEST 1234 5698 7654 32", "[IBAN]", one(mask.IBAN)},
		{"iban bad check", "DE88370400440532013000", "DE88370400440532013000", nil},
		{"iban wrong length", "DE8937040044053201300", "DE8937040044053201300", nil},
		{"iban in a word", "XDE89370400440532013000", "XDE89370400440532013000", nil},
		{"ipv4", "from 192.168.1.20:443", "from [IP]:443", one(mask.IP)},
		{"ipv4 octet too big", "256.1.1.1", "256.1.1.1", nil},
		{"ipv4 leading zero", "10.01.1.1", "10.01.1.1", nil},
		{"version", "v1.2.3.4 and 1.2.3", "v1.2.3.4 and 1.2.3", nil},
		{"ipv6", "peer 2001:db8:85a3::8a2e:370:7334 ok", "peer [IP] ok", one(mask.IP)},
		{"ipv6 full", "fe80:0:0:0:202:b3ff:fe1e:8329", "[IP]", one(mask.IP)},
		{"ipv6 mapped v4 with port", "::ffff:10.0.0.1:80", "[IP]:80", one(mask.IP)},
		{"time", "at 10:30:00", "at 10:30:00", nil},
		{"mac", "00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D:5E", nil},
		{"scope operator", "std::string", "std::string", nil},
		{"dob labelled", "Date of birth: 04/12/1990", "Date of birth: [DOB]", one(mask.DOB)},
		{"dob iso with time", "dob 1990-04-12T00:00:00Z", "dob [DOB]T00:00:00Z", one(mask.DOB)},
		{"date unlabelled", "shipped 1990-04-12", "shipped 1990-04-12", nil},
		{"dob invalid", "DOB 1990-02-30", "DOB 1990-02-30", nil},
		{"phone unassigned country code", "+28 123 456 789", "+28 123 456 789", nil},
		{"phone wrong length for the country", "+33 1 23 45 67", "+33 1 23 45 67", nil},
	})
}

// TestGitLabTokenLengths: each kind of GitLab token is masked at the lengths GitLab issues it
// in, whole (a routable token's ".01.<crc>" too), and a longer or shorter run under a prefix
// of a kind issued at one length is no token of that kind.
func TestGitLabTokenLengths(t *testing.T) {
	t.Parallel()
	run := func(n int) string { return strings.Repeat("aB3_-", 210)[:n] }
	hex := func(n int) string { return strings.Repeat("0f3a9c", 200)[:n] }
	cases := []textCase{
		{"routable personal", "t glpat-" + run(27) + ".01.0w1xyz2 end", "t [GITLAB_TOKEN] end", one(mask.GitLabToken)},
		{"routable, no second dot", "t glpat-" + run(27) + ".010w1xyz2 end", "t [GITLAB_TOKEN] end", one(mask.GitLabToken)},
		{"routable, crc too long", "t glpat-" + run(27) + ".01.0w1xyz2ab end", "t [GITLAB_TOKEN].01.0w1xyz2ab end", one(mask.GitLabToken)},
		{"runner token long", "glrt-" + run(120), "[GITLAB_TOKEN]", one(mask.GitLabToken)},
		{"personal too short", "glpat-" + run(19), "glpat-" + run(19), nil},
		{"dot but no crc", "glpat-" + run(20) + ".01.x", "[GITLAB_TOKEN].01.x", one(mask.GitLabToken)},
	}
	for _, k := range []struct {
		prefix   string
		min, max int
		alphabet func(int) string
	}{
		{"glimt-", 25, 25, run}, {"glptt-", 40, 40, hex}, {"gloas-", 64, 64, run},
		{"glsoat-", 20, 50, run}, {"GR1348941", 20, 50, run}, {"glagent-", 50, 1024, run},
	} {
		for _, n := range []int{k.min, k.max} {
			v := k.prefix + k.alphabet(n)
			cases = append(cases, textCase{fmt.Sprintf("%s%d", k.prefix, n), "x " + v + " y", "x [GITLAB_TOKEN] y", one(mask.GitLabToken)})
		}
		for _, n := range []int{k.min - 1, k.max + 1} {
			v := k.prefix + k.alphabet(n)
			cases = append(cases, textCase{fmt.Sprintf("%s%d", k.prefix, n), "x " + v + " y", "x " + v + " y", nil})
		}
	}
	runText(t, mask.New(), cases)
}

// TestSecretCarriers: a labelled secret is read in each way languages and formats write an
// assignment, and a shaped token of filler or of documentation is none.
func TestSecretCarriers(t *testing.T) {
	t.Parallel()
	const v = "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB"
	ant := "sk-ant-api03-" + strings.Repeat("aB3_-", 19)[:93] + "AA"
	oai := "sk-" + strings.Repeat("aB3dE6", 2) + "T3BlbkFJ" + strings.Repeat("gH9jK2", 5)[:28]
	runText(t, mask.New(), []textCase{
		{"php concatenation", `$apiToken .= "` + v + `"`, `$apiToken .= "[SECRET]"`, one(mask.Secret)},
		{"make conditional", `API_TOKEN ?= "` + v + `"`, `API_TOKEN ?= "[SECRET]"`, one(mask.Secret)},
		{"make shell", `API_TOKEN ::= "` + v + `"`, `API_TOKEN ::= "[SECRET]"`, one(mask.Secret)},
		{"make evaluated", `API_TOKEN :::= "` + v + `"`, `API_TOKEN :::= "[SECRET]"`, one(mask.Secret)},
		{"append", `API_TOKEN += "` + v + `"`, `API_TOKEN += "[SECRET]"`, one(mask.Secret)},
		{"go typed var", `var apiToken string = "` + v + `"`, `var apiToken string = "[SECRET]"`, one(mask.Secret)},
		{"kotlin typed var", `var apiToken: String = "` + v + `"`, `var apiToken: String = "[SECRET]"`, one(mask.Secret)},
		{"quoted pair", `System.setProperty("API_TOKEN", "` + v + `")`, `System.setProperty("API_TOKEN", "[SECRET]")`, one(mask.Secret)},
		{"xml element in text", "<apiToken>\n    " + v + "\n</apiToken>", "<apiToken>\n    [SECRET]\n</apiToken>", one(mask.Secret)},
		{"escaped newline after", `{"config.ini": "API_TOKEN=` + v + `\nNEXT=1"}`, `{"config.ini": "API_TOKEN=[SECRET]\nNEXT=1"}`, one(mask.Secret)},
		{"label ending in digits", `api_token_123 = "` + v + `"`, `api_token_123 = "[SECRET]"`, one(mask.Secret)},
		{"camel-case qualifier", `mySecretString=` + v, `mySecretString=[SECRET]`, one(mask.Secret)},
		{"creds", `creds = ` + v, `creds = [SECRET]`, one(mask.Secret)},
		{"auth as a word", `"user_auth": "` + v + `"`, `"user_auth": "[SECRET]"`, one(mask.Secret)},
		{"slack workflow webhook", "https://hooks.slack.com/workflows/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", "https://[SLACK_TOKEN]", one(mask.SlackToken)},
		{"slack refresh token", "xoxe-1-" + strings.Repeat("My0xLTMxNzcw", 6), "[SLACK_TOKEN]", one(mask.SlackToken)},
		{"anthropic key", "key " + ant + " end", "key [SECRET] end", one(mask.Secret)},
		{"openai legacy key", "key " + oai + " end", "key [SECRET] end", one(mask.Secret)},
		{"openai project key", "key sk-proj-" + strings.Repeat("aB3_-9", 10) + " end", "key [SECRET] end", one(mask.Secret)},
		{"age identity", "key " + shaped("AGE-SECRET-"+"KEY-1", strings.Repeat("QPZRY9X8GF2TVDW0S3", 4)[:58]) + " end", "key [SECRET] end", one(mask.Secret)},
		{"perplexity key", shaped("pp"+"lx-", strings.Repeat("d7m9i004uJ7RXsix", 3)), "[SECRET]", one(mask.Secret)},
		{"notion token", shaped("nt"+"n_", "45647615172"+strings.Repeat("vWBETTAc421EJdk", 3)[:35]), "[SECRET]", one(mask.Secret)},
		{"sourcegraph token", shaped("sg"+"p_", "d7dfFD43cF2503B1_"+"da673EB560aAa3e80f16FA42d7dfFD43cF2503B1"), "[SECRET]", one(mask.Secret)},
		{"facebook page token", shaped("EA"+"AM", strings.Repeat("9GOnCB9kBO2frzOAWGN2", 5)), "[SECRET]", one(mask.Secret)},
		{"x bearer token", shaped(strings.Repeat("A", 21), "MLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"), "[SECRET]", one(mask.Secret)},
		// A YAML block scalar holds its value on the lines under its label.
		{"yaml literal block", "db:\n  password: |\n    " + v + "\n  user: app\n", "db:\n  password: |\n    [SECRET]\n  user: app\n", one(mask.Secret)},
		{"yaml folded block", "db:\n  password: >-\n    correct horse\n    battery staple\n\n  user: app", "db:\n  password: >-\n    [SECRET]\n\n  user: app", one(mask.Secret)},
		{"yaml block under a key label", "api_key: |+ # rotated\n  " + v + "\nnext: 1", "api_key: |+ # rotated\n  [SECRET]\nnext: 1", one(mask.Secret)},
		// Session cookies are bearer credentials: each generated value of a Cookie or
		// Set-Cookie header, its attributes and words left.
		{"cookie header", "Cookie: session=" + v + "; theme=dark", "Cookie: session=[SECRET]; theme=dark", one(mask.Secret)},
		{"set-cookie header", "Set-Cookie: sid=" + v + "; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly", "Set-Cookie: sid=[SECRET]; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly", one(mask.Secret)},
		{"cookie header in JSON", `{"headers":{"Cookie":"a=1; connect.sid=s%3AaBcDeFgHiJkLmNoP.qRsTuVwXyZ0123"}}`, `{"headers":{"Cookie":"a=1; connect.sid=[SECRET]"}}`, one(mask.Secret)},
		// Left alone.
		{"yaml block of a word under a key label", "api_key: |\n  production\n", "api_key: |\n  production\n", nil},
		{"yaml block under a neutral label", "notes: |\n  " + v + "\n", "notes: |\n  " + v + "\n", nil},
		{"cookie pairs with no header", "theme=dark; session=" + v, "theme=dark; session=" + v, nil},
		{"cookie header on the line before", "Cookie: a=b\nsession=" + v, "Cookie: a=b\nsession=" + v, nil},
		{"cookie policy", `{"cookie_policy": "x=` + v + `"}`, `{"cookie_policy": "x=` + v + `"}`, nil},
		{"notion token with ten digits", shaped("nt"+"n_", "1234567890aBcDeFgHiJkLmNoPqRsT1234567890abcdef"), shaped("nt"+"n_", "1234567890aBcDeFgHiJkLmNoPqRsT1234567890abcdef"), nil},
		{"sourcegraph token of a non-hex", shaped("sg"+"p_", "local_d45b6G86aBb0F2Cee943902dbaDBCFCFDD1dA089"), shaped("sg"+"p_", "local_d45b6G86aBb0F2Cee943902dbaDBCFCFDD1dA089"), nil},
		{"facebook prefix in base64", shaped("EA"+"AM", strings.Repeat("9GOnCB9kBO2frzOAWGN2", 5)) + "+/w==", shaped("EA"+"AM", strings.Repeat("9GOnCB9kBO2frzOAWGN2", 5)) + "+/w==", nil},
		{"stripe key one short", shaped("sk_"+"live_", strings.Repeat("aB3", 8)[:23]), shaped("sk_"+"live_", strings.Repeat("aB3", 8)[:23]), nil},
		{"stripe key", shaped("sk_"+"live_", strings.Repeat("aB3", 8)), "[STRIPE_KEY]", one(mask.StripeKey)},
		{"pem of words", "-----BEGIN RSA " + "PRIVATE KEY-----\nsuper secret key here\n-----END RSA PRIVATE KEY-----", "-----BEGIN RSA " + "PRIVATE KEY-----\nsuper secret key here\n-----END RSA PRIVATE KEY-----", nil},
		{"pem of dots", "-----BEGIN " + "PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", "-----BEGIN " + "PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", nil},
		{"anthropic near miss", "key " + ant[:len(ant)-2] + "BB end", "key " + ant[:len(ant)-2] + "BB end", nil},
		{"github filler", shaped("gh"+"p_", strings.Repeat("x", 36)), shaped("gh"+"p_", strings.Repeat("x", 36)), nil},
		{"aws filler", shaped("AKI"+"A", strings.Repeat("X", 16)), shaped("AKI"+"A", strings.Repeat("X", 16)), nil},
		{"aws documentation key", shaped("AKI"+"A", "IOSFODNN7EXAMPLE"), shaped("AKI"+"A", "IOSFODNN7EXAMPLE"), nil},
		{"slack too short", "xoxb-12345-abcd234", "xoxb-12345-abcd234", nil},
		{"slack one segment", "xoxp-1234567890", "xoxp-1234567890", nil},
		{"slack short numbers", "xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d", "xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d", nil},
		{"code after a label", "  credentials: new AWS.SharedIniFileCredentials({ profile: 'x' })", "  credentials: new AWS.SharedIniFileCredentials({ profile: 'x' })", nil},
		{"shell command", "SUMO_ACCESS_KEY=`etcdctl get /sumologic_secret`", "SUMO_ACCESS_KEY=`etcdctl get /sumologic_secret`", nil},
		{"placeholder fill", `token="sha256~XXXXXXXXXX_PUT_YOUR_TOKEN_HERE"`, `token="sha256~XXXXXXXXXX_PUT_YOUR_TOKEN_HERE"`, nil},
		{"key and qualifiers", "key_down_event=4bOgD0sHeKAsd_psrrNhEWGBJ4wbyS", "key_down_event=4bOgD0sHeKAsd_psrrNhEWGBJ4wbyS", nil},
		{"oauth is no auth", `oauth: "` + v + `"`, `oauth: "` + v + `"`, nil},
		{"xml element of a neutral label", "<title>" + v + "</title>", "<title>" + v + "</title>", nil},
		{"quoted pair, neutral label", `put("color", "` + v + `")`, `put("color", "` + v + `")`, nil},
		{"documentation key under a label", "aws_access_key: " + shaped("AKI"+"A", "IOSFODNN7EXAMPLE"), "aws_access_key: " + shaped("AKI"+"A", "IOSFODNN7EXAMPLE"), nil},
		{"empty key block", "-----BEGIN OPENSSH " + "PRIVATE KEY----------END OPENSSH PRIVATE KEY-----", "-----BEGIN OPENSSH " + "PRIVATE KEY----------END OPENSSH PRIVATE KEY-----", nil},
		{"variable name", "passwordVariable: 'PASSWORD'", "passwordVariable: 'PASSWORD'", nil},
		{"dotted name under key", `<entry key="jetbrains.mps.v8_elimination" value="executed" />`, `<entry key="jetbrains.mps.v8_elimination" value="executed" />`, nil},
		{"artifact and version", `token: "jjwt-jackson-0.11.2"`, `token: "jjwt-jackson-0.11.2"`, nil},
		{"public token", `publicToken = "` + v + `"`, `publicToken = "` + v + `"`, nil},
		{"dotted token", `token = "pat.g1z7xr9n553dpm9c71fj2h.r9ct04wg9k9v7xsuimdr0l5y"`, `token = "[SECRET]"`, one(mask.Secret)},
	})
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	runText(t, mask.New(), []textCase{
		{"aws key id", "key " + awsKeyID + " used", "key [AWS_ACCESS_KEY_ID] used", one(mask.AWSAccessKeyID)},
		{"aws key id too short", awsKeyID[:19], awsKeyID[:19], nil},
		{"aws key id in a credential scope", "key " + awsKeyID + "/20260101/us-east-1/s3/aws4_request used", "key [AWS_ACCESS_KEY_ID]/20260101/us-east-1/s3/aws4_request used", one(mask.AWSAccessKeyID)},
		{"aws key id shape in base64", "blob " + awsKeyID + "/abc+def==", "blob " + awsKeyID + "/abc+def==", nil},
		{"sigv4 authorization", "Authorization: AWS4-HMAC-SHA256 Credential=" + awsKeyID + "/20260101/us-east-1/s3/aws4_request, SignedHeaders=host",
			"Authorization: AWS4-HMAC-SHA256 [SECRET], SignedHeaders=host", one(mask.Secret)},
		// A signed URL's signature is its credential; elsewhere a signature is no secret.
		{"azure sas signature", "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB%2Fabc%3D",
			"https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=[SECRET]", one(mask.Secret)},
		{"cloudfront signature", "https://d1.cloudfront.net/v.mp4?Expires=1767225600&Signature=Zf3D0LXCM3EIMbgJpUNn~kRtOfOueHznB__&Key-Pair-Id=K2JCJMDEHXQW5F",
			"https://d1.cloudfront.net/v.mp4?Expires=1767225600&Signature=[SECRET]&Key-Pair-Id=K2JCJMDEHXQW5F", one(mask.Secret)},
		{"signature as a name", `{"signature": "John Smith"}`, `{"signature": "John Smith"}`, nil},
		{"webhook signature header", "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", nil},
		{"aws secret labelled", "aws_secret_access_key = " + awsSK, "aws_secret_access_key = [AWS_SECRET_KEY]", one(mask.AWSSecretKey)},
		{"aws secret unlabelled", "blob " + awsSK, "blob " + awsSK, nil},
		{"jwt", "Authorization: Bearer " + jwtValue, "Authorization: Bearer [JWT]", one(mask.JWT)},
		{"jwt header only", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9", nil},
		{"pem", "key:\n" + pemBlock + "\nend", "key:\n[PRIVATE_KEY]\nend", one(mask.PrivateKey)},
		{"certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", nil},
		{"github", "GITHUB_TOKEN=" + ghToken, "GITHUB_TOKEN=[GITHUB_TOKEN]", one(mask.GitHubToken)},
		{"github too short", ghToken[:30], ghToken[:30], nil},
		{"password", "login with password=hunter2!x please", "login with password=[SECRET] please", one(mask.Secret)},
		{"password placeholder", "password=${DB_PASSWORD}", "password=${DB_PASSWORD}", nil},
		// A password's length is in characters, one outside ASCII counting as two.
		{"short password in another script", "password=日本", "password=[SECRET]", one(mask.Secret)},
		{"two characters are too short", "password=0€", "password=0€", nil},
		// A symbol between digits folds to one byte: the value is judged alike either way
		// (found by FuzzDecoders).
		{"a symbol before a number", "pAss=0\uFFFD 0100000 000", "pAss=0\uFFFD [PHONE]", one(mask.Phone)},
		{"and before its redaction", "pAss=0\uFFFD [PHONE]", "pAss=0\uFFFD [PHONE]", nil},
		{"three and a symbol before its redaction", "pAss=00\uFFFD [PHONE]", "pAss=00\uFFFD [PHONE]", nil},
		{"four and a symbol", "pAss=000\uFFFD [PHONE]", "pAss=[SECRET] [PHONE]", one(mask.Secret)},
		{"api key", `"api_key": "7f3a9c2e1b8d4f6a0c5e9b3d7a1f4c8e"`, `"api_key": "[SECRET]"`, one(mask.Secret)},
		{"api key low entropy", "api_key: none", "api_key: none", nil},
		// Providers issue short ones too: a Dropbox app secret is 15 letters and digits, a
		// Discord client secret 32 digits (gitleaks' rules).
		{"short key under a label", `"dropboxToken" => "sefbr4dvayinv0a"`, `"dropboxToken" => "[SECRET]"`, one(mask.Secret)},
		{"twelve bytes under a label", `api_key = "q7Rz2mK9pX4w"`, `api_key = "[SECRET]"`, one(mask.Secret)},
		{"digits under a label", `String discordToken = "97150606672894472111401705090913";`, `String discordToken = "[SECRET]";`, one(mask.Secret)},
		// curl's -u and --user, each way a shell writes them.
		{"curl -u", "curl --cacert ca.crt -u elastic:P@ssw0rd$1 https://localhost:9200", "curl --cacert ca.crt -u elastic:[SECRET] https://localhost:9200", one(mask.Secret)},
		{"curl --user quoted", `curl -s -v --user "j.smith:dB2yF6@qL9vZm1P#4J" "https://api.contoso.org/user/me"`, `curl -s -v --user "j.smith:[SECRET]" "https://api.contoso.org/user/me"`, one(mask.Secret)},
		{"curl --user=", "curl --user=api:d2LkV78zLx!t https://api.mailgun.net", "curl --user=api:[SECRET] https://api.mailgun.net", one(mask.Secret)},
		{"curl password quoted alone", "curl --user kevin:'pRf7vG2h1L8nQkW9' -iX PATCH", "curl --user kevin:'[SECRET]' -iX PATCH", one(mask.Secret)},
		{"curl key as the user", `curl -u "d2LkV78zLx!t:" https://localhost:9200`, `curl -u "[SECRET]:" https://localhost:9200`, one(mask.Secret)},
		{"curl on continued lines", "curl -k -X POST https://10.0.0.1:11222/hello \\\n  -d 'world' \\\n  -u developer:yqDVtkqPECriaLRi", "curl -k -X POST https://[IP]:11222/hello \\\n  -d 'world' \\\n  -u developer:[SECRET]", map[string]int{mask.IP: 1, mask.Secret: 1}},
		{"curl usage line", "curl -u username:password https://api.example.com", "curl -u username:password https://api.example.com", nil},
		{"curl same user and password", "curl -i -u 'test:test'", "curl -i -u 'test:test'", nil},
		{"curl variables", `curl -sL --user "$GITHUB_USERNAME:$GITHUB_PASSWORD" "$URL"`, `curl -sL --user "$GITHUB_USERNAME:$GITHUB_PASSWORD" "$URL"`, nil},
		{"curl angle brackets", "curl -u <user:password> https://test.com/endpoint", "curl -u <user:password> https://test.com/endpoint", nil},
		{"-u of another command", "docker run -u 1000:1000 alpine", "docker run -u 1000:1000 alpine", nil},
		{"-u on a line after curl's", "curl https://example.com\nsudo -u deploy:x7Hq9LmT2p", "curl https://example.com\nsudo -u deploy:x7Hq9LmT2p", nil},
		{"eleven bytes under a label", `api_key = "q7Rz2mK9pX4"`, `api_key = "q7Rz2mK9pX4"`, nil},
		{"a number under a label", `token_number = "2024061512345678"`, `token_number = "2024061512345678"`, nil},
		{"a counter under a label", `secret: 100000000000000000000000001`, `secret: 100000000000000000000000001`, nil},
		{"pagination token", "NextToken=AbC123xyz987QrS456tuv", "NextToken=AbC123xyz987QrS456tuv", nil},
		{"basic auth", "Authorization: Basic c3ZjOlpxOG1LMnZMOXhXNHBSN3Q=", "Authorization: Basic [SECRET]", one(mask.Secret)},
		{"url password", "postgres://app:s3cr3t@db.internal:5432/app", "postgres://app:[PASSWORD]@db.internal:5432/app", one(mask.ConnectionString)},
		{"url without password", "postgres://app@db.internal/app", "postgres://app@db.internal/app", nil},
		{"call argument", `std::string secret("a8F3kq9ZpL2mN7vR");`, `std::string secret("[SECRET]");`, one(mask.Secret)},
		{"call argument then more", `setPassword("hunter2!x", 17)`, `setPassword("[SECRET]", 17)`, one(mask.Secret)},
		{"statement with no operator", `password "hunter2!x";`, `password "[SECRET]";`, one(mask.Secret)},
		{"call of a word that is no label", `print("a8F3kq9ZpL2mN7vR");`, `print("a8F3kq9ZpL2mN7vR");`, nil},
		{"label and quote in prose", `the password "reset" link`, `the password "reset" link`, nil},
		{"key label, a word as argument", `apiKey("default");`, `apiKey("default");`, nil},
		{"call left open", `secret("a8F3kq9ZpL2mN7vR`, `secret("a8F3kq9ZpL2mN7vR`, nil},
		{"quoted words under a key label", `api_key: 'correct horse battery staple'`, `api_key: '[SECRET]'`, one(mask.Secret)},
		{"quoted one word under a key label", `api_key: 'production'`, `api_key: 'production'`, nil},
		// A label starting its line owns the rest of the line (YAML, INI, properties): its
		// words are the value, masked whole, not cut at the first space.
		{"unquoted words under a key label", `api_key: left blank for now`, `api_key: [SECRET]`, one(mask.Secret)},
		{"unquoted passphrase starting a line", "host: db\n  password: correct horse battery staple\nport: 5432", "host: db\n  password: [SECRET]\nport: 5432", one(mask.Secret)},
		{"unquoted passphrase in a YAML list", "- aws_secret_access_key: value with quotes and spaces \r\n", "- aws_secret_access_key: [SECRET] \r\n", one(mask.Secret)},
		{"unquoted words after a label inside a line", `login failed: password: hunter2x was wrong`, `login failed: password: [SECRET] was wrong`, one(mask.Secret)},
		{"unquoted one word under a key label", `api_key: production`, `api_key: production`, nil},
		{"punctuation only", `password = ,.:-¨@*¿?!`, `password = ,.:-¨@*¿?!`, nil},
		{"punctuation quoted", `password: ',.:-¨@*¿?!'`, `password: ',.:-¨@*¿?!'`, nil},
		{"a letter of another script", `secrete = Ж,.:-¨@*¿?!`, `secrete = [SECRET]`, one(mask.Secret)},
		{"secrete label", `secrete = A,.:-¨@*¿?!`, `secrete = [SECRET]`, one(mask.Secret)},
		{"secrete in prose", `glands secrete hormones: a7Fk29xQ`, `glands secrete hormones: a7Fk29xQ`, nil},
		{"quoted words under a neutral label", `title: 'correct horse battery staple'`, `title: 'correct horse battery staple'`, nil},
	})
}
