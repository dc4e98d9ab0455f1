package mask_test

import (
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/mask"
)

// TestCommandLineCredentials: a password given to a command as an option came back in clear
// from process listings, shell history and CI logs: "mysql -pTr0ub4dor3", "sshpass -p …",
// "docker login -p …", "--password …" written with a space. A long option named as a
// credential takes its value after a space as after '='; a short one does for the commands
// whose password option it is (on the line, or lines joined by '\'), and means what it means
// elsewhere ("docker run -p 8080:80", "ssh -p 2222", "mysql -p mydb").
func TestCommandLineCredentials(t *testing.T) {
	t.Parallel()
	const pw = "Tr0ub4dor3"
	masked := []string{
		"mysql -u root -p" + pw + " -h db",
		"mysqldump -uroot -p'" + pw + "' app",
		`mysqldump -uroot -p"` + pw + `" app`,
		"root  1234  0.0  /usr/bin/mysql -h db -u app -p" + pw + " app",
		"mariadb -p" + pw,
		"sshpass -p '" + pw + "' ssh ada@host",
		"sshpass -p" + pw + " ssh host",
		"docker login -u ada -p " + pw + " registry.io",
		"docker login --password " + pw + " registry.io",
		"podman login -p " + pw + " quay.io",
		"az login -u ada -p " + pw,
		"mongo -u ada -p " + pw + " db",
		`mongosh "mongodb://h" --username ada --password ` + pw,
		"sqlcmd -S db -U sa -P " + pw,
		"redis-cli -h r -a " + pw + " ping",
		"ldapsearch -x -D cn=admin -w " + pw,
		"openssl enc -aes-256-cbc -k " + pw + " -in x",
		"smbclient //h/s -U ada%" + pw,
		"7z x -p" + pw + " a.7z",
		"unzip -P " + pw + " a.zip",
		"mysql -u root --password " + pw + " -h db",
		"kubectl --token " + pw + "xyz get pods",
		"tool --token " + pw + "/q8Vr2kLm9+pW4xT7bN3cZ= -v",
		`tool --client-secret "q8Vr2kLm9pW4xT7bN3cZ` + pw + `"`,
		"mysql \\\n  -u root \\\n  -p" + pw + " db",
		"$ mysql -h db -p" + pw,
		"command: [\"redis-cli\", \"-a\", \"" + pw + "\"]",
		"New-LocalUser -Name ada -Password " + pw,
		`Connect-Thing -ApiKey "` + pw + `xyzq8Vr2kLm9"`,
		"keytool -importkeystore -srcstorepass " + pw + " -deststorepass " + pw + " -keypass " + pw,
		`$p = ConvertTo-SecureString "` + pw + `" -AsPlainText -Force`,
		`ConvertTo-SecureString -String '` + pw + `' -AsPlainText -Force`,
	}
	e := mask.New()
	for _, in := range masked {
		if got := e.Mask([]byte(in), mask.FormatAuto); strings.Contains(string(got.Body), pw) {
			t.Errorf("%q -> %q", in, got.Body)
		}
	}
	left := []string{
		"docker run -p 8080:80 nginx",
		"mysql -p -h db",
		"mysql -u root -p mydb",
		"ssh -p 2222 host",
		"docker login --password-stdin registry.io",
		"ansible-playbook --ask-vault-pass site.yml",
		"ansible-playbook --ask-pass -i hosts site.yml",
		"psql --no-password -h db mydb",
		"tool --password-file /run/secrets/pw",
		"tool --token-ttl 5m",
		"git commit -a -m fix",
		"redis-cli -a",
		"kubectl --token $TOKEN get pods",
		"tool --password <password>",
		"tool --password PASSWORD",
		"a - b, well-known, e-mail, -p is the flag",
		"mysql -p, then type it",
		"python -p 8000",
		"tool --password ./pw.txt",
		"tool --token ~/.config/token",
		"tool --password /run/secrets/db",
		"a multi-token -password reset flow",
		"keytool -list -storepass:env STOREPASS",
		`ConvertTo-SecureString $plain -AsPlainText -Force`,
	}
	for _, in := range left {
		if got := e.Mask([]byte(in), mask.FormatText); string(got.Body) != in {
			t.Errorf("%q -> %q", in, got.Body)
		}
	}
}

// passwordHashes are a password's hash as the crypt formats, Django and LDAP store it.
var passwordHashes = []string{
	"$2b$12$KIXQJ9Hk8vQ3Yx1Lh5OeUeWq8Z5r3tN1m0pQ2sVb4cD6eF7gH8iJ0",
	"$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
	"$2a$08$9GhKfNtNWlFYnqYyqUTc5ObSOSlKFZVWP7hNhs/lZ36VVeTTBjmRq",
	"$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
	"$6$rounds=5000$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
	"$5$rounds=80000$wnsT7Yr92oJoP28r$cKhJImk5mfuSKV9b3mumNzlbstFUplKtQXXMo4G6Ep5",
	"$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0",
	"$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/",
	"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
	"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
	"$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$nSY+6jBh7LEwHL7C4oNdXg",
	"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
	"$pbkdf2-sha256$29000$N2GMUUoJ4RwDIERI6.xbgw$7k3MR5nGBzPPvyjCy5BnGmv8VH/rNNr4x4eSgIm39Fg",
	"pbkdf2_sha256$260000$abcdefghijkl$Z9k3bT1xQ2e3R4t5Y6u7I8o9P0aAbBcCdDeEfFgGhHi=",
	"argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
	"bcrypt_sha256$$2b$12$KIXQJ9Hk8vQ3Yx1Lh5OeUeWq8Z5r3tN1m0pQ2sVb4cD6eF7gH8iJ0",
	"{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g5XE5t",
	"{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
	"{SSHA512}MQvUe2mh1FTHh9oIwr0FMEg1u5mEdyeKkzMkdsuWMvw9R3Kz3aU2y6bxsmZ3hRBjAXyMW44tdK6WoE9KZbBdNFzRzA4hXWtq",
	"{CRYPT}$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
	"{PBKDF2-SHA256}10000$N2GMUUoJ4RwDIERI6.xbgw$7k3MR5nGBzPPvyjCy5BnGmv8VH/rNNr4x4eSgIm39Fg",
}

// TestPasswordHashes: a password's hash came back in clear wherever no label named it: a
// shadow or htpasswd line, a users table's "hash" column, an LDAP entry. A hash is cracked
// offline, so it is a credential: the crypt formats ("$id$…$…"), Django's ("pbkdf2_sha256$…")
// and LDAP's ("{SSHA}…") are read by their shape. Prices, shell variables and regular
// expressions' groups, and the formats' names alone, are left.
func TestPasswordHashes(t *testing.T) {
	t.Parallel()
	e := mask.New()
	for _, h := range passwordHashes {
		for _, in := range []string{
			h,
			"ada:" + h + ":19000:0:99999:7:::",
			"ada:" + h,
			`{"user":"ada","hash":"` + strings.ReplaceAll(h, "/", `\/`) + `"}`,
			"id,hash\n1," + h + "\n",
			"userPassword:: " + h,
			"hash=" + h + "&next=1",
		} {
			got := e.Mask([]byte(in), mask.FormatAuto)
			if strings.Contains(string(got.Body), h[len(h)-12:]) {
				t.Errorf("%q -> %q", in, got.Body)
			}
		}
	}
	for _, in := range []string{
		"$1$2", "echo $1$2$3", "s/(a)(b)/$2$1/", "costs $12.50, or $6 each", "$HOME/$USER", "${var}",
		"{SHA} is an algorithm, {MD5} another", "$2b$ is bcrypt's prefix", "the $argon2id$ parameters",
		"price: $5$ or $6$", "pbkdf2_sha256 is Django's default", "{SSHA}", "$6$salt$", "a$b$c$d",
	} {
		if got := e.Mask([]byte(in), mask.FormatText); string(got.Body) != in {
			t.Errorf("%q -> %q", in, got.Body)
		}
	}
}

// TestPasswordsInProse: a password written in a sentence came back in clear from a support
// ticket or a chat: "my password is Summer2024!", "the PIN is 4821", "the password for the
// admin account was Tr0ub4dor&3". A credential's name, a copula and a value that no word
// of prose is (it holds a digit, a symbol or a capital inside it) are read; a sentence
// about the password ("password is incorrect", "was reset on Monday", "is at least 8
// characters") is left. netrc's lines name the password with no copula.
func TestPasswordsInProse(t *testing.T) {
	t.Parallel()
	e := mask.New()
	for _, c := range []struct{ in, value string }{
		{"Hi, my password is Summer2024! and I can't log in", "Summer2024!"},
		{"my password is hunter22.", "hunter22"},
		{"The password is 'Tr0ub4dor&3'", "Tr0ub4dor&3"},
		{`Password is "correct horse 9"`, "correct horse 9"},
		{"the password for the admin account was Tr0ub4dor&3", "Tr0ub4dor&3"},
		{"the password to the wifi is: Xk9#mPq2", "Xk9#mPq2"},
		{"PASSWORD IS HUNTER22", "HUNTER22"},
		{"my PIN is 4821", "4821"},
		{"pin is 482193, thanks", "482193"},
		{"my passcode is now 482193", "482193"},
		{"the pw is s3cretPW", "s3cretPW"},
		{"Passwort ist Geheim123", "Geheim123"},
		{"I changed the password to N3wPassw0rd", "N3wPassw0rd"},
		{"password has been reset to Temp1234!", "Temp1234!"},
		{"machine api.example.com login ada password Tr0ub4dor3", "Tr0ub4dor3"},
		{"machine api.example.com\n  login ada\n  password Tr0ub4dor3\n", "Tr0ub4dor3"},
		{"default login anonymous password guest123", "guest123"},
		{`{"body":"my password is Summer2024! please help"}`, "Summer2024!"},
	} {
		got := e.Mask([]byte(c.in), mask.FormatAuto)
		if strings.Contains(string(got.Body), c.value) {
			t.Errorf("%q -> %q", c.in, got.Body)
		}
	}
	for _, in := range []string{
		"password is incorrect", "Password is required", "your password was reset on Monday",
		"the password is at least 8 characters long", "password is case-sensitive", "PIN is 4 digits",
		"the password is the same as before", "password is N/A", "password is ********", "password is <hidden>",
		"password reset link sent", "password 1 of 3 rejected", "the password for the account is incorrect",
		"enter your password and PIN", "a passing grade is 60", "spin is 4821",
	} {
		if got := e.Mask([]byte(in), mask.FormatText); string(got.Body) != in {
			t.Errorf("%q -> %q", in, got.Body)
		}
	}
}
