package mask_test

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"regexp"
	"sync"
	"testing"

	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/racebuild"
)

// customers returns a JSON response of customer records of about size bytes, as a CRM target
// returns it: ids, names, emails, phones in several formats, card numbers, addresses,
// timestamps, order ids and free-text notes. It is deterministic.
func customers(size int) []byte {
	r := rand.New(rand.NewPCG(42, 42))
	firsts := []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy"}
	lasts := []string{"Smith", "Jones", "Garcia", "Nguyen", "Okafor", "Müller", "Rossi", "Tanaka"}
	phones := []string{"(415) 555-%04d", "415-555-%04d", "+1 415 555 %04d", "+44 20 7946 %04d"}
	cards := []string{"4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "6011111111111117"}
	streets := []string{"Market St", "Mission St", "Valencia St", "Castro St"}
	type order struct {
		ID     string  `json:"id"`
		Placed string  `json:"placed_at"`
		Total  float64 `json:"total"`
		Status string  `json:"status"`
	}
	type customer struct {
		ID      string  `json:"id"`
		Number  int     `json:"number"`
		Name    string  `json:"name"`
		Email   string  `json:"email"`
		Phone   string  `json:"phone"`
		Card    string  `json:"card"`
		Address string  `json:"address"`
		City    string  `json:"city"`
		Zip     string  `json:"zip"`
		Created string  `json:"created_at"`
		Balance float64 `json:"balance"`
		Tags    []string
		Orders  []order `json:"orders"`
		Notes   string  `json:"notes"`
		LastIP  string  `json:"last_login_ip"`
		DOB     string  `json:"dob"`
		IBAN    string  `json:"iban,omitempty"`
		Hook    string  `json:"integration,omitempty"`
	}
	var list []customer
	for n := 0; ; n++ {
		f, l := firsts[r.IntN(len(firsts))], lasts[r.IntN(len(lasts))]
		c := customer{
			ID:      fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Int64N(1<<48)),
			Number:  100000 + n,
			Name:    f + " " + l,
			Email:   fmt.Sprintf("%s.%s%d@example.com", f, l, r.IntN(100)),
			Phone:   fmt.Sprintf(phones[r.IntN(len(phones))], r.IntN(10000)),
			Card:    cards[r.IntN(len(cards))],
			Address: fmt.Sprintf("%d %s, Apt %d", 1+r.IntN(3000), streets[r.IntN(len(streets))], 1+r.IntN(40)),
			City:    "San Francisco",
			Zip:     fmt.Sprintf("941%02d-%04d", r.IntN(100), r.IntN(10000)),
			Created: fmt.Sprintf("2024-%02d-%02dT%02d:%02d:%02dZ", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60)),
			Balance: float64(r.IntN(1000000)) / 100,
			Tags:    []string{"vip", "newsletter", "v2.3.1"},
			Notes:   fmt.Sprintf("Called on 2024-03-%02d about order ORD-2024-%06d; prefers email, backup number 415.555.%04d.", 1+r.IntN(28), r.IntN(1000000), r.IntN(10000)),
			LastIP:  fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), r.IntN(256)),
			DOB:     fmt.Sprintf("19%02d-%02d-%02d", 40+r.IntN(60), 1+r.IntN(12), 1+r.IntN(28)),
		}
		if n%4 == 0 {
			c.IBAN = "DE89 3704 0044 0532 0130 00"
		}
		if n%8 == 0 {
			c.Hook = fmt.Sprintf("sync via postgres://crm:Pw%06d@db.internal:5432/crm with api_key=%016x%016x", r.IntN(1000000), r.Uint64(), r.Uint64())
		}
		for range 1 + r.IntN(2) {
			c.Orders = append(c.Orders, order{
				ID: fmt.Sprintf("ORD-2024-%06d", r.IntN(1000000)), Placed: c.Created, Total: float64(r.IntN(100000)) / 100, Status: "shipped",
			})
		}
		list = append(list, c)
		out, err := json.Marshal(map[string]any{"customers": list, "next": nil})
		if err != nil {
			panic(err)
		}
		if len(out) >= size {
			return out
		}
		if len(out) < size/2 && n > 4 { // grow fast towards large sizes
			for len(list) < cap(list) {
				list = append(list, list[len(list)%(n+1)])
			}
		}
	}
}

// benchInputs is built on first use, not at package init: built at init, every run of the
// package's tests paid for it (about 25 s under the race detector).
var benchInputs = sync.OnceValue(func() []benchInput {
	return []benchInput{{"4KB", customers(4 << 10)}, {"1MB", customers(1 << 20)}}
})

type benchInput struct {
	name string
	doc  []byte
}

// BenchmarkApply measures the engine on realistic JSON responses.
func BenchmarkApply(b *testing.B) {
	e := mask.New()
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.doc)))
			b.ReportAllocs()
			for b.Loop() {
				e.Apply(in.doc)
			}
		})
	}
}

// BenchmarkApplyDefaultProfile measures the engine of the built-in default profile, the one
// targets use unless they name another: its named fields are compared with every key.
func BenchmarkApplyDefaultProfile(b *testing.B) {
	c, err := mask.NewCatalog(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	e, err := c.Engine("default")
	if err != nil {
		b.Fatal(err)
	}
	in := benchInputs()[1]
	b.SetBytes(int64(len(in.doc)))
	b.ReportAllocs()
	for b.Loop() {
		e.Apply(in.doc)
	}
}

// BenchmarkMaskKnown measures the authority's response path: the same JSON masked with the
// values Mandate put into the request (an injected credential, here in two forms, as
// broker.Credential.Secrets gives them), looked for in every shape a target may hand them back.
func BenchmarkMaskKnown(b *testing.B) {
	e := mask.New()
	known := []string{"Bearer mdt-Zq84kPx2Lw9sVt7Rb3Nc", "mdt-Zq84kPx2Lw9sVt7Rb3Nc"}
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.doc)))
			b.ReportAllocs()
			for b.Loop() {
				e.MaskKnown(in.doc, mask.FormatJSON, known)
			}
		})
	}
}

// customersHTML returns the customer records of customers(size) as an HTML table of about
// size bytes, as a web page of a CRM shows them: a row per record, a cell per field, some
// values in inline tags.
func customersHTML(size int) []byte {
	var doc struct{ Customers []map[string]any }
	if err := json.Unmarshal(customers(size), &doc); err != nil {
		panic(err)
	}
	list := doc.Customers
	var b bytes.Buffer
	b.WriteString("<html><body><table>\n")
	for i, c := range list {
		fmt.Fprintf(&b, "<tr><td>%v</td><td><b>%v</b></td><td><a href=\"mailto:%v\">%v</a></td><td>%v</td><td><span class=\"card\">%v</span></td><td>%v, %v</td><td><i>%v</i></td></tr>\n",
			c["id"], c["name"], c["email"], c["email"], c["phone"], c["card"], c["address"], c["city"], c["notes"])
		if b.Len() >= size && i > 0 {
			break
		}
	}
	b.WriteString("</table></body></html>\n")
	return b.Bytes()
}

// BenchmarkXML measures a 1 MB XHTML table read as XML: every text node masked under its
// element's name, and the document read once more as text since values may be split by
// its inline elements (acrossMarkup).
func BenchmarkXML(b *testing.B) {
	e := mask.New()
	doc := customersHTML(1 << 20)
	if m := e.Mask(doc, mask.FormatXML); m.Format != mask.FormatXML {
		b.Fatalf("read as %v", m.Format)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		e.Mask(doc, mask.FormatXML)
	}
}

// accessLog returns about size bytes of a web server's access log, every line with
// percent-escapes in its query and one in four with a value in it, the text the escaped
// reading (unescape.go) reads whole.
func accessLog(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "10.0.%d.%d - - [07/Dec/2026:02:%02d:%02d +0000] \"GET /search?q=red%%20shoes%%20size%%20%d&page=%d HTTP/1.1\" 200 %d\n", i%250, i%200, i%60, i%60, i%13, i%9, 1000+i%5000)
		case 1:
			fmt.Fprintf(&b, "10.0.%d.%d - - [07/Dec/2026:02:%02d:%02d +0000] \"GET /account?email=user%d%%40example.com&next=%%2Fhome HTTP/1.1\" 302 0\n", i%250, i%200, i%60, i%60, i)
		case 2:
			fmt.Fprintf(&b, "10.0.%d.%d - - [07/Dec/2026:02:%02d:%02d +0000] \"POST /pay?card=4111%%201111%%201111%%20111%%31&amt=%d HTTP/1.1\" 201 %d\n", i%250, i%200, i%60, i%60, i%900, 100+i%300)
		default:
			fmt.Fprintf(&b, "10.0.%d.%d - - [07/Dec/2026:02:%02d:%02d +0000] \"GET /static/app.js?v=%d&amp;t=%%7Bts%%7D HTTP/1.1\" 304 0\n", i%250, i%200, i%60, i%60, i%40)
		}
	}
	return b.Bytes()
}

// customersIntl returns about size bytes of customer notes in Russian, Greek and Japanese
// with values among them, text whose every character the fold (fold.go) reads.
func customersIntl(size int) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	lines := []string{
		"Клиент Иван Петров %d позвонил по телефону +7 495 123-%02d-%02d, почта ivan%d@пример.рф.\n",
		"Ο πελάτης %d πλήρωσε με κάρτα 4111 1111 1111 1111 στις %02d/%02d, email maria%d@example.gr.\n",
		"東京都港区の顧客%d、電話 03-%04d-%04d、メール taro%d@example.jp。\n",
	}
	var b bytes.Buffer
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, lines[n%len(lines)], n, r.IntN(100), r.IntN(100), n)
	}
	return b.Bytes()
}

// BenchmarkText measures the same documents masked as plain text, an HTML page of them (and
// the page escaped, as a page's source shown in another page is: markup the escaped reading
// reads), text in other scripts and a web server's log.
func BenchmarkText(b *testing.B) {
	e := mask.New()
	for _, in := range append(benchInputs(), benchInput{"1MB-html", customersHTML(1 << 20)}, benchInput{"1MB-intl", customersIntl(1 << 20)}, benchInput{"1MB-urls", accessLog(1 << 20)}, benchInput{"1MB-html-escaped", []byte(html.EscapeString(string(customersHTML(1 << 20))))}) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.doc)))
			b.ReportAllocs()
			for b.Loop() {
				e.Text(in.doc)
			}
		})
	}
}

// baseline is the naive masker the engine is measured against: stdlib regexp, one pattern
// per detector of the full catalog, ReplaceAll in turn over the raw bytes.
var baseline = []struct {
	re  *regexp.Regexp
	rep []byte
}{
	{regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`), []byte("[EMAIL]")},
	{regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`), []byte("[CARD]")},
	{regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), []byte("[SSN]")},
	{regexp.MustCompile(`(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b`), []byte("[PHONE]")},
	{regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`), []byte("[IBAN]")},
	{regexp.MustCompile(`\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b`), []byte("[IP]")},
	{regexp.MustCompile(`\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b|\b(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{0,4}\b`), []byte("[IP]")},
	{regexp.MustCompile(`(?i)(?:dob|birth\w*|born)\W{0,4}\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}`), []byte("[DOB]")},
	{regexp.MustCompile(`\b(?:AKIA|ASIA|AIDA|AROA)[A-Z2-7]{16}\b`), []byte("[AWS_ACCESS_KEY_ID]")},
	{regexp.MustCompile(`(?i)aws.{0,20}secret.{0,20}[:=]\s*["']?[A-Za-z0-9/+]{40}`), []byte("[AWS_SECRET_KEY]")},
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*`), []byte("[JWT]")},
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`), []byte("[PRIVATE_KEY]")},
	{regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{40,})`), []byte("[GITHUB_TOKEN]")},
	{regexp.MustCompile(`\bgl(?:pat|dt|rt)-[A-Za-z0-9_-]{20,}`), []byte("[GITLAB_TOKEN]")},
	{regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`), []byte("[SLACK_TOKEN]")},
	{regexp.MustCompile(`\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}`), []byte("[STRIPE_KEY]")},
	{regexp.MustCompile(`(?i)(?:password|passwd|pwd|secret|token|api_?key)["']?\s*[:=]\s*["']?[^\s"',;&]{4,}`), []byte("[SECRET]")},
	{regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@`), []byte("[PASSWORD]")},
}

// BenchmarkRegexpBaseline measures the naive baseline on the same documents.
func BenchmarkRegexpBaseline(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.doc)))
			b.ReportAllocs()
			for b.Loop() {
				out := in.doc
				for _, p := range baseline {
					out = p.re.ReplaceAll(out, p.rep)
				}
			}
		})
	}
}

func TestBenchmarkCorpus(t *testing.T) {
	racebuild.Heavy(t)
	t.Parallel()
	for _, in := range benchInputs() {
		out, sum, err := mask.New().JSON(in.doc)
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		if sum[mask.Email] == 0 || sum[mask.Phone] == 0 || sum[mask.Card] == 0 || sum[mask.IP] == 0 || sum[mask.DOB] == 0 ||
			sum[mask.IBAN] == 0 || sum[mask.Secret] == 0 || sum[mask.ConnectionString] == 0 {
			t.Errorf("%s: summary %v misses a detector", in.name, sum)
		}
		if err := sameShape(in.doc, out, false); err != nil {
			t.Errorf("%s: %v", in.name, err)
		}
		t.Logf("%s: %d bytes, %v", in.name, len(in.doc), sum)
	}
}

// BenchmarkStream measures the streaming masker (what mandate mask runs) on the same
// documents, read from memory and written to io.Discard, beside BenchmarkApply.
func BenchmarkStream(b *testing.B) {
	e := mask.New()
	for _, in := range benchInputs() {
		for _, f := range []mask.Format{mask.FormatJSON, mask.FormatText} {
			b.Run(in.name+"/"+f.String(), func(b *testing.B) {
				b.SetBytes(int64(len(in.doc)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := e.Stream(bytes.NewReader(in.doc), io.Discard, f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	nd := ndjson(benchInputs()[1].doc)
	b.Run("1MB/ndjson", func(b *testing.B) {
		b.SetBytes(int64(len(nd)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Stream(bytes.NewReader(nd), io.Discard, mask.FormatNDJSON); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// ndjson writes the customer records of doc one a line.
func ndjson(doc []byte) []byte {
	var v struct {
		Customers []json.RawMessage `json:"customers"`
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		panic(err)
	}
	var b bytes.Buffer
	for _, r := range v.Customers {
		b.Write(r)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkCompressed measures masking the 1 MB customer JSON served compressed: as a zip
// archive of one entry (inflated, masked, written again), as a zlib stream (inflated,
// masked, out as text), and as base64 of a zip in a JSON field; the same JSON served plain
// is the baseline. Throughput is of the JSON's bytes.
func BenchmarkCompressed(b *testing.B) {
	e := mask.New()
	doc := benchInputs()[1].doc
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("customers.json")
	w.Write(doc)
	zw.Close()
	var lb bytes.Buffer
	lw := zlib.NewWriter(&lb)
	lw.Write(doc)
	lw.Close()
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"plain", doc},
		{"zip", zb.Bytes()},
		{"zlib", lb.Bytes()},
		{"zip-base64-in-json", []byte(`{"export":"` + base64.StdEncoding.EncodeToString(zb.Bytes()) + `"}`)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if m := e.Mask(c.in, mask.FormatAuto); m.Summary.Total() == 0 || m.Withheld != "" {
					b.Fatalf("nothing masked: %v %q", m.Summary, m.Withheld)
				}
			}
		})
	}
}
