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
		`tool --client-secret "q8Vr2kLm9pW4xT7bN3cZ` + pw + `"`,
		"mysql \\\n  -u root \\\n  -p" + pw + " db",
		"$ mysql -h db -p" + pw,
		"command: [\"redis-cli\", \"-a\", \"" + pw + "\"]",
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
	}
	for _, in := range left {
		if got := e.Mask([]byte(in), mask.FormatText); string(got.Body) != in {
			t.Errorf("%q -> %q", in, got.Body)
		}
	}
}
