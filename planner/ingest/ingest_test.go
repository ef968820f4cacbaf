package ingest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paymix/paymix/internal/shareddata"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
)

// levelsFyiHeader is the header of the real Levels.fyi export, demographic columns included.
const levelsFyiHeader = "timestamp,company,level,title,totalyearlycompensation,location,yearsofexperience,yearsatcompany,tag," +
	"basesalary,stockgrantvalue,bonus,gender,otherdetails,cityid,dmaid,rowNumber,Masters_Degree,Bachelors_Degree," +
	"Doctorate_Degree,Highschool,Some_College,Race_Asian,Race_White,Race_Two_Or_More,Race_Black,Race_Hispanic,Race,Education"

// levelsFyiDemographic are the columns of levelsFyiHeader an import drops, in header order.
var levelsFyiDemographic = []string{"gender", "otherdetails", "Masters_Degree", "Bachelors_Degree", "Doctorate_Degree",
	"Highschool", "Some_College", "Race_Asian", "Race_White", "Race_Two_Or_More", "Race_Black", "Race_Hispanic", "Race", "Education"}

// levelsFyiBase is a good row (the export's first row, with its total made consistent).
var levelsFyiBase = map[string]string{
	"timestamp": "6/7/2017 11:33:27", "company": "Oracle", "level": "L3", "title": "Product Manager",
	"totalyearlycompensation": "137000", "location": "Redwood City, CA", "yearsofexperience": "1.5",
	"yearsatcompany": "1.5", "tag": "NA", "basesalary": "107000", "stockgrantvalue": "20000", "bonus": "10000",
	"gender": "Male", "otherdetails": "NA", "cityid": "7392", "dmaid": "807", "rowNumber": "1", "Race": "Asian",
	"Education": "PhD",
}

// levelsFyiLine is levelsFyiBase with some cells changed, as one CSV line.
func levelsFyiLine(t testing.TB, set map[string]string) string {
	t.Helper()
	cols := strings.Split(levelsFyiHeader, ",")
	rec := make([]string, len(cols))
	for i, c := range cols {
		v, ok := set[c]
		if !ok {
			if v, ok = levelsFyiBase[c]; !ok {
				v = "0"
			}
		}
		rec[i] = v
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// oracle is levelsFyiBase parsed, changed by mod.
func oracle(mod func(*normalize.Row)) *normalize.Row {
	r := &normalize.Row{
		Company: "Oracle", CompanyLevel: "L3", Title: "Product Manager", Location: "Redwood City, CA",
		Reported:        time.Date(2017, 6, 7, 0, 0, 0, 0, time.UTC),
		YearsExperience: 1.5, YearsAtCompany: 1.5,
		Base: 107000, Equity: 20000, Bonus: 10000, Total: 137000,
	}
	if mod != nil {
		mod(r)
	}
	return r
}

// rowCase is one data row of a file and what reading it must give: the parsed row when
// want is set, else an issue on wantCol with wantReason.
type rowCase struct {
	name       string
	line       string
	want       *normalize.Row
	wantCol    string
	wantReason string
}

// checkRows reads the cases as one file (row i+1 is cases[i]) and checks every row.
func checkRows(t *testing.T, res *ingest.Result, cases []rowCase) {
	t.Helper()
	if res.RowsRead != len(cases) {
		t.Errorf("RowsRead = %d, want %d", res.RowsRead, len(cases))
	}
	if got := len(res.Rows) + len(res.Issues); got != len(cases) {
		t.Errorf("%d rows + %d issues, want %d in all", len(res.Rows), len(res.Issues), len(cases))
	}
	rows := map[int]normalize.Row{}
	for i, r := range res.Rows {
		if i > 0 && r.RowNumber <= res.Rows[i-1].RowNumber {
			t.Errorf("rows out of file order: %d after %d", r.RowNumber, res.Rows[i-1].RowNumber)
		}
		rows[r.RowNumber] = r
	}
	issues := map[int]ingest.Issue{}
	for i, is := range res.Issues {
		if i > 0 && is.Row <= res.Issues[i-1].Row {
			t.Errorf("issues out of file order: %d after %d", is.Row, res.Issues[i-1].Row)
		}
		if is.Excluded {
			t.Errorf("row %d: a rejected row is marked Excluded", is.Row)
		}
		issues[is.Row] = is
	}
	for i, c := range cases {
		n := i + 1
		t.Run(c.name, func(t *testing.T) {
			got, accepted := rows[n]
			is, rejected := issues[n]
			if accepted && rejected {
				t.Fatalf("row %d is both accepted and rejected (%+v)", n, is)
			}
			if c.want != nil {
				if !accepted {
					t.Fatalf("row %d rejected (%s %s: %s), want it accepted", n, is.Column, is.Reason, is.Message)
				}
				want := *c.want
				want.RowNumber = n
				if !reflect.DeepEqual(got, want) {
					t.Errorf("row %d:\n got %+v\nwant %+v", n, got, want)
				}
				return
			}
			if !rejected {
				t.Fatalf("row %d accepted (%+v), want %s on %q", n, got, c.wantReason, c.wantCol)
			}
			if is.Column != c.wantCol || is.Reason != c.wantReason {
				t.Errorf("row %d: issue %q %s (%s), want %q %s", n, is.Column, is.Reason, is.Message, c.wantCol, c.wantReason)
			}
			if is.Message == "" {
				t.Errorf("row %d: issue without a message", n)
			}
		})
	}
}

func joinLines(header string, cases []rowCase) string {
	lines := []string{header}
	for _, c := range cases {
		lines = append(lines, c.line)
	}
	return strings.Join(lines, "\n") + "\n"
}

func read(t *testing.T, content string, f ingest.Format, opt ingest.Options) *ingest.Result {
	t.Helper()
	res, err := ingest.Read(strings.NewReader(content), f, opt)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return res
}

func TestLevelsFyiRows(t *testing.T) {
	l := func(set map[string]string) string { return levelsFyiLine(t, set) }
	cases := []rowCase{
		{name: "good row", line: l(nil), want: oracle(nil)},
		{name: "base 0 is not reported, accepted unchecked",
			line: l(map[string]string{"basesalary": "0", "stockgrantvalue": "50000", "bonus": "0", "totalyearlycompensation": "300000"}),
			want: oracle(func(r *normalize.Row) { r.Base, r.Equity, r.Bonus, r.Total = 0, 50000, 0, 300000 })},
		{name: "non-numeric base", line: l(map[string]string{"basesalary": "107k"}), wantCol: "basesalary", wantReason: ingest.ReasonNonNumeric},
		{name: "non-numeric years", line: l(map[string]string{"yearsatcompany": "two"}), wantCol: "yearsatcompany", wantReason: ingest.ReasonNonNumeric},
		{name: "negative bonus", line: l(map[string]string{"bonus": "-5000"}), wantCol: "bonus", wantReason: ingest.ReasonNegative},
		{name: "negative stock", line: l(map[string]string{"stockgrantvalue": "-1"}), wantCol: "stockgrantvalue", wantReason: ingest.ReasonNegative},
		{name: "missing company", line: l(map[string]string{"company": ""}), wantCol: "company", wantReason: ingest.ReasonMissing},
		{name: "blank title", line: l(map[string]string{"title": "  "}), wantCol: "title", wantReason: ingest.ReasonMissing},
		{name: "missing timestamp", line: l(map[string]string{"timestamp": ""}), wantCol: "timestamp", wantReason: ingest.ReasonMissing},
		{name: "missing total", line: l(map[string]string{"totalyearlycompensation": ""}), wantCol: "totalyearlycompensation", wantReason: ingest.ReasonMissing},
		{name: "NA total", line: l(map[string]string{"totalyearlycompensation": "NA"}), wantCol: "totalyearlycompensation", wantReason: ingest.ReasonMissing},
		{name: "bad timestamp", line: l(map[string]string{"timestamp": "13/45/2017 11:33:27"}), wantCol: "timestamp", wantReason: ingest.ReasonBadDate},
		{name: "timestamp in words", line: l(map[string]string{"timestamp": "June 7, 2017"}), wantCol: "timestamp", wantReason: ingest.ReasonBadDate},
		{name: "total 0", line: l(map[string]string{"totalyearlycompensation": "0"}), wantCol: "totalyearlycompensation", wantReason: ingest.ReasonMissing},
		// |137000 - 200000| / 200000 = 31.5% > 10%.
		{name: "total inconsistent", line: l(map[string]string{"totalyearlycompensation": "200000"}),
			wantCol: "totalyearlycompensation", wantReason: ingest.ReasonTotalInconsistent},
		// |137000 - 127000| / 127000 = 7.9% <= 10% (the export's first row as is).
		{name: "total within 10%", line: l(map[string]string{"totalyearlycompensation": "127000"}),
			want: oracle(func(r *normalize.Row) { r.Total = 127000 })},
		{name: "too few fields", line: "6/7/2017 11:33:27,Oracle,L3", wantCol: "", wantReason: ingest.ReasonMalformed},
		{name: "bare quote", line: strings.Replace(l(nil), "Oracle", `Ora"cle`, 1), wantCol: "", wantReason: ingest.ReasonMalformed},
		{name: "NA years of experience", line: l(map[string]string{"yearsofexperience": "NA", "yearsatcompany": ""}),
			want: oracle(func(r *normalize.Row) { r.YearsExperience, r.YearsAtCompany = 0, 0 })},
		{name: "timestamp without seconds, cells padded", line: l(map[string]string{"timestamp": "8/17/2021 9:05", "company": " Google ", "basesalary": " 107000 "}),
			want: oracle(func(r *normalize.Row) { r.Company, r.Reported = "Google", time.Date(2021, 8, 17, 0, 0, 0, 0, time.UTC) })},
	}
	res := read(t, joinLines(levelsFyiHeader, cases), ingest.LevelsFyi, ingest.Options{})
	checkRows(t, res, cases)
	if !slices.Equal(res.Dropped, levelsFyiDemographic) {
		t.Errorf("Dropped = %q, want %q", res.Dropped, levelsFyiDemographic)
	}
	for _, is := range res.Issues {
		if is.Reason == ingest.ReasonMalformed && is.Row == 17 && !strings.Contains(is.Message, "3 fields, the header has 29") {
			t.Errorf("row 17: message %q does not give the field counts", is.Message)
		}
		if is.Reason == ingest.ReasonNonNumeric && is.Row == 3 && !strings.Contains(is.Message, `"107k"`) {
			t.Errorf("row 3: message %q does not quote the bad value", is.Message)
		}
	}
}

func TestLevelsFyiTolerance(t *testing.T) {
	row := func(total, base, stock string) string {
		return levelsFyiHeader + "\n" + levelsFyiLine(t, map[string]string{"totalyearlycompensation": total, "basesalary": base, "stockgrantvalue": stock}) + "\n"
	}
	tests := []struct {
		name             string
		total, base, eq  string
		tolerance        float64
		wantInconsistent bool
	}{
		// parts 107000 + 20000 + 10000 = 137000
		{"7.9% default", "127000", "107000", "20000", 0, false},
		{"7.9% at 5%", "127000", "107000", "20000", 5, true},
		{"7.9% at 7.8%", "127000", "107000", "20000", 7.8, true},
		{"7.9% at 7.9%", "127000", "107000", "20000", 7.9, false},
		{"31.5% default", "200000", "107000", "20000", 0, true},
		{"31.5% at 31%", "200000", "107000", "20000", 31, true},
		{"31.5% at 32%", "200000", "107000", "20000", 32, false},
		{"exact at 0.01%", "137000", "107000", "20000", 0.01, false},
		// |137000 - 137100| / 137100 = 0.073%
		{"0.07% at 0.05%", "137100", "107000", "20000", 0.05, true},
		{"unreported base never checked", "900000", "0", "20000", 0.01, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := ingest.Options{TolerancePercent: &tt.tolerance}
			if strings.HasSuffix(tt.name, "default") {
				opt.TolerancePercent = nil // the default, 10%
			}
			res := read(t, row(tt.total, tt.base, tt.eq), ingest.LevelsFyi, opt)
			inconsistent := len(res.Issues) == 1 && res.Issues[0].Reason == ingest.ReasonTotalInconsistent
			if inconsistent != tt.wantInconsistent || len(res.Rows)+len(res.Issues) != 1 {
				t.Errorf("tolerance %g: rows %d, issues %+v; want inconsistent = %v", tt.tolerance, len(res.Rows), res.Issues, tt.wantInconsistent)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	without := func(cols ...string) string {
		var keep []string
		for _, c := range strings.Split(levelsFyiHeader, ",") {
			if !slices.Contains(cols, c) {
				keep = append(keep, c)
			}
		}
		return strings.Join(keep, ",") + "\n"
	}
	tests := []struct {
		name    string
		format  ingest.Format
		content string
		want    []string // substrings of the error
	}{
		{"levelsfyi without bonus", ingest.LevelsFyi, without("bonus"), []string{"bonus"}},
		{"levelsfyi without company and timestamp", ingest.LevelsFyi, without("company", "timestamp"), []string{"company", "timestamp"}},
		{"levelsfyi without total", ingest.LevelsFyi, without("totalyearlycompensation"), []string{"totalyearlycompensation"}},
		{"levelsfyi empty", ingest.LevelsFyi, "", []string{"empty"}},
		{"paymix csv empty", ingest.PaymixCSV, "", []string{"empty"}},
		{"paymix csv unknown column", ingest.PaymixCSV, "report_date,company,title,base,salary\n2024-01-15,Acme,Engineer,1,2\n", []string{`"salary"`}},
		{"paymix csv without base", ingest.PaymixCSV, "report_date,company,title,total\n", []string{"base"}},
		{"paymix csv without report_date and title", ingest.PaymixCSV, "company,base\n", []string{"report_date", "title"}},
		{"levelsfyi as paymix csv", ingest.PaymixCSV, levelsFyiHeader + "\n", []string{"unknown column"}},
		{"unknown format", ingest.Format(0), "a\n", []string{"unknown format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ingest.Read(strings.NewReader(tt.content), tt.format, ingest.Options{})
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}

	// A header alone is an empty import, not an error.
	res := read(t, levelsFyiHeader+"\n", ingest.LevelsFyi, ingest.Options{})
	if res.RowsRead != 0 || len(res.Rows) != 0 || len(res.Issues) != 0 {
		t.Errorf("header only: %+v", res)
	}
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGzip(t *testing.T) {
	// sha256sum of the tiny file below, computed outside Go.
	const tiny = "report_date,company,title,base\n2024-01-15,Acme,Engineer,100000\n"
	const tinySum = "afee9e9249e32fe1bc605233bfc4e10ae6190218ece74d06149b80729e1c64f9"
	l := levelsFyiLine(t, nil)
	bad := levelsFyiLine(t, map[string]string{"bonus": "x"})
	tests := []struct {
		name    string
		format  ingest.Format
		content string
		sum     string
	}{
		{"tiny paymix csv", ingest.PaymixCSV, tiny, tinySum},
		{"levelsfyi", ingest.LevelsFyi, levelsFyiHeader + "\n" + l + "\n" + bad + "\n" + l + "\n", ""},
		{"paymix jsonl", ingest.PaymixJSONL, `{"report_date":"2024-01-15","company":"Acme","title":"Engineer","base":100000}` + "\n\n{}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := read(t, tt.content, tt.format, ingest.Options{})
			gz, err := ingest.Read(bytes.NewReader(gzipped(t, tt.content)), tt.format, ingest.Options{})
			if err != nil {
				t.Fatalf("gzipped: %v", err)
			}
			if !reflect.DeepEqual(plain, gz) {
				t.Errorf("plain and gzipped differ:\n plain %+v\ngzip %+v", plain, gz)
			}
			if len(plain.Rows) == 0 {
				t.Errorf("no rows read")
			}
			if len(plain.Checksum) != 64 {
				t.Errorf("Checksum %q is not a hex SHA-256", plain.Checksum)
			}
			if tt.sum != "" && plain.Checksum != tt.sum {
				t.Errorf("Checksum = %s, want %s", plain.Checksum, tt.sum)
			}
		})
	}

	// A different file has a different checksum, even with the same rows.
	res := read(t, strings.Replace(tiny, "\n", "\r\n", -1), ingest.PaymixCSV, ingest.Options{})
	if res.Checksum == tinySum || len(res.Rows) != 1 {
		t.Errorf("CRLF copy: checksum %s, %d rows", res.Checksum, len(res.Rows))
	}
	// A corrupt gzip stream is a file error.
	gz := gzipped(t, tiny)
	if _, err := ingest.Read(bytes.NewReader(gz[:len(gz)/2]), ingest.PaymixCSV, ingest.Options{}); err == nil {
		t.Errorf("truncated gzip read without error")
	}
}

// acme is a paymix row, changed by mod.
func acme(mod func(*normalize.Row)) *normalize.Row {
	r := &normalize.Row{
		Company: "Acme", CompanyLevel: "L5", Title: "Software Engineer", Location: "Berlin, Germany",
		Reported:        time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		YearsExperience: 6, YearsAtCompany: 2,
		Base: 120000, Equity: 30000, Bonus: 10000, Total: 160000, Tokens: 5000,
	}
	if mod != nil {
		mod(r)
	}
	return r
}

func TestPaymixCSV(t *testing.T) {
	const header = "Report_Date,company,company_level,title,location,years_experience,years_at_company,base,equity,bonus,total,tokens_usd,Gender,race"
	cases := []rowCase{
		{name: "with total", line: `2024-03-01,Acme,L5,Software Engineer,"Berlin, Germany",6,2,120000,30000,10000,160000,5000,Female,X`, want: acme(nil)},
		{name: "without total", line: `2024-03-01,Acme,L5,Software Engineer,"Berlin, Germany",6,2,120000,30000,10000,,5000,,`, want: acme(nil)},
		{name: "total 0 is computed", line: `2024-03-01,Acme,L5,Software Engineer,"Berlin, Germany",6,2,120000,30000,10000,0,,,`,
			want: acme(func(r *normalize.Row) { r.Tokens = 0 })},
		{name: "tokens are not part of the total", line: `2024-03-01,Acme,,Software Engineer,,,,120000,,,,80000,,`,
			want: acme(func(r *normalize.Row) {
				r.CompanyLevel, r.Location, r.YearsExperience, r.YearsAtCompany = "", "", 0, 0
				r.Equity, r.Bonus, r.Total, r.Tokens = 0, 0, 120000, 80000
			})},
		{name: "base not reported", line: `2024-03-01,Acme,L5,Software Engineer,"Berlin, Germany",6,2,NA,30000,10000,900000,5000,,`,
			want: acme(func(r *normalize.Row) { r.Base, r.Total = 0, 900000 })},
		{name: "bad date", line: `2024-3-1,Acme,L5,Software Engineer,,6,2,120000,30000,10000,,,,`, wantCol: "report_date", wantReason: ingest.ReasonBadDate},
		{name: "levels.fyi date", line: `3/1/2024 10:00:00,Acme,L5,Software Engineer,,6,2,120000,30000,10000,,,,`, wantCol: "report_date", wantReason: ingest.ReasonBadDate},
		{name: "no such day", line: `2024-02-30,Acme,L5,Software Engineer,,6,2,120000,30000,10000,,,,`, wantCol: "report_date", wantReason: ingest.ReasonBadDate},
		{name: "missing date", line: `,Acme,L5,Software Engineer,,6,2,120000,30000,10000,,,,`, wantCol: "report_date", wantReason: ingest.ReasonMissing},
		{name: "missing company", line: `2024-03-01,,L5,Software Engineer,,6,2,120000,30000,10000,,,,`, wantCol: "company", wantReason: ingest.ReasonMissing},
		{name: "missing title", line: `2024-03-01,Acme,L5,,,6,2,120000,30000,10000,,,,`, wantCol: "title", wantReason: ingest.ReasonMissing},
		{name: "nothing paid", line: `2024-03-01,Acme,L5,Software Engineer,,6,2,,,,,5000,,`, wantCol: "total", wantReason: ingest.ReasonMissing},
		{name: "non-numeric equity", line: `2024-03-01,Acme,L5,Software Engineer,,6,2,120000,"30,000",10000,,,,`, wantCol: "equity", wantReason: ingest.ReasonNonNumeric},
		{name: "negative tokens", line: `2024-03-01,Acme,L5,Software Engineer,,6,2,120000,30000,10000,,-1,,`, wantCol: "tokens_usd", wantReason: ingest.ReasonNegative},
		{name: "total inconsistent", line: `2024-03-01,Acme,L5,Software Engineer,,6,2,120000,30000,10000,200000,,,`, wantCol: "total", wantReason: ingest.ReasonTotalInconsistent},
		{name: "too many fields", line: `2024-03-01,Acme,L5,Software Engineer,,6,2,120000,30000,10000,,,,,`, wantCol: "", wantReason: ingest.ReasonMalformed},
	}
	res := read(t, "\ufeff"+joinLines(header, cases), ingest.PaymixCSV, ingest.Options{})
	checkRows(t, res, cases)
	if want := []string{"Gender", "race"}; !slices.Equal(res.Dropped, want) {
		t.Errorf("Dropped = %q, want %q", res.Dropped, want)
	}

	// Only report_date, company, title and base are required columns.
	res = read(t, "title,base,company,report_date\nEngineer,100000,Acme,2024-01-15\n", ingest.PaymixCSV, ingest.Options{})
	want := normalize.Row{RowNumber: 1, Company: "Acme", Title: "Engineer", Reported: time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), Base: 100000, Total: 100000}
	if len(res.Rows) != 1 || !reflect.DeepEqual(res.Rows[0], want) || len(res.Dropped) != 0 {
		t.Errorf("minimal file: %+v", res)
	}
}

func TestPaymixJSONL(t *testing.T) {
	const full = `"report_date":"2024-03-01","company":"Acme","company_level":"L5","title":"Software Engineer","location":"Berlin, Germany","years_experience":6,"years_at_company":2`
	lines := []struct {
		rowCase
		blank bool // a blank line, no row
	}{
		{rowCase: rowCase{name: "with total", line: `{` + full + `,"base":120000,"equity":30000,"bonus":10000,"total":160000,"tokens_usd":5000}`, want: acme(nil)}},
		{blank: true, rowCase: rowCase{line: ""}},
		{blank: true, rowCase: rowCase{line: "  \t"}},
		{rowCase: rowCase{name: "without total", line: `{` + full + `,"base":120000,"equity":30000,"bonus":10000,"tokens_usd":5000}`, want: acme(nil)}},
		{rowCase: rowCase{name: "null total, demographic dropped", line: `{` + full + `,"base":120000,"equity":30000,"bonus":10000,"total":null,"tokens_usd":5000,"gender":"F"}`, want: acme(nil)}},
		{rowCase: rowCase{name: "padded text", line: ` {"report_date":" 2024-03-01 ","company":" Acme ","title":"Software Engineer","base":120000.5,"race":1} `,
			want: &normalize.Row{Company: "Acme", Title: "Software Engineer", Reported: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Base: 120000.5, Total: 120000.5}}},
		{rowCase: rowCase{name: "not an object", line: `[1,2,3]`, wantCol: "", wantReason: ingest.ReasonMalformed}},
		{rowCase: rowCase{name: "a number", line: `42`, wantCol: "", wantReason: ingest.ReasonMalformed}},
		{rowCase: rowCase{name: "broken JSON", line: `{"report_date":"2024-03-01",`, wantCol: "", wantReason: ingest.ReasonMalformed}},
		{rowCase: rowCase{name: "unknown key", line: `{` + full + `,"base":120000,"salary":1}`, wantCol: "salary", wantReason: ingest.ReasonMalformed}},
		{rowCase: rowCase{name: "string amount", line: `{` + full + `,"base":"120000"}`, wantCol: "base", wantReason: ingest.ReasonNonNumeric}},
		{rowCase: rowCase{name: "boolean amount", line: `{` + full + `,"base":120000,"bonus":true}`, wantCol: "bonus", wantReason: ingest.ReasonNonNumeric}},
		{rowCase: rowCase{name: "bad date", line: `{"report_date":"01/03/2024","company":"Acme","title":"Engineer","base":1}`, wantCol: "report_date", wantReason: ingest.ReasonBadDate}},
		{rowCase: rowCase{name: "missing date", line: `{"company":"Acme","title":"Engineer","base":1}`, wantCol: "report_date", wantReason: ingest.ReasonMissing}},
		{rowCase: rowCase{name: "missing title", line: `{"report_date":"2024-03-01","company":"Acme","base":1}`, wantCol: "title", wantReason: ingest.ReasonMissing}},
		{rowCase: rowCase{name: "negative bonus", line: `{` + full + `,"base":120000,"bonus":-1}`, wantCol: "bonus", wantReason: ingest.ReasonNegative}},
		{rowCase: rowCase{name: "total inconsistent", line: `{` + full + `,"base":120000,"total":100000}`, wantCol: "total", wantReason: ingest.ReasonTotalInconsistent}},
		{rowCase: rowCase{name: "nothing paid", line: `{` + full + `,"base":0,"tokens_usd":9}`, wantCol: "total", wantReason: ingest.ReasonMissing}},
	}
	var text []string
	var cases []rowCase
	for _, l := range lines {
		text = append(text, l.line)
		if !l.blank {
			cases = append(cases, l.rowCase)
		}
	}
	res := read(t, strings.Join(text, "\r\n"), ingest.PaymixJSONL, ingest.Options{})
	checkRows(t, res, cases)
	if want := []string{"gender", "race"}; !slices.Equal(res.Dropped, want) {
		t.Errorf("Dropped = %q, want %q", res.Dropped, want)
	}
}

func TestOutliers(t *testing.T) {
	var obs []market.Observation
	add := func(family, level, country string, totals ...float64) []int {
		var idx []int
		for _, v := range totals {
			idx = append(idx, len(obs))
			obs = append(obs, market.Observation{Company: "Acme", Family: family, Level: level, Country: country, Base: v, Total: v})
		}
		return idx
	}
	// n totals 100000, 101000, ... with the one at position at set to 10x.
	spread := func(n, at int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 100000 + 1000*float64(i)
		}
		v[at] = 1_000_000
		return v
	}
	// Group of 25: sorted, Q1 = 106000, Q3 = 118000 (type 7), fences 70000 and
	// 154000: only the 1,000,000 lies outside.
	big := add("swe", "ic3", "US", spread(25, 7)...)
	add("swe", "ic3", "DE", spread(19, 3)...)         // 19 rows: never touched
	add("", "ic3", "US", spread(25, 5)...)            // no family
	add("swe", "", "US", spread(25, 5)...)            // no level
	add("swe", "ic3", "", spread(25, 5)...)           // no country
	edge := add("pm", "ic4", "US", spread(20, 19)...) // exactly OutlierMinGroup rows
	// A low outlier: 25 rows around 100000 and one at 10000 (Q1 = 106000 - ..., lo fence far above 10000).
	lowTotals := spread(25, 0)
	lowTotals[0] = 10000
	low := add("swe", "ic5", "US", lowTotals...)
	// A group of 25 without an outlier.
	add("swe", "ic4", "US", spread(26, 25)[:25]...)

	want := []int{big[7], edge[19], low[0]}
	slices.Sort(want)
	if got := ingest.Outliers(obs); !slices.Equal(got, want) {
		t.Errorf("Outliers = %v, want %v", got, want)
	}
	if got := ingest.Outliers(nil); len(got) != 0 {
		t.Errorf("Outliers(nil) = %v", got)
	}
}

// sharedFile is the public Levels.fyi export (see ../shared/data/README.md), read in place.
var sharedFile = shareddata.File()

func TestSharedLevelsFyi(t *testing.T) {
	f, err := os.Open(sharedFile)
	if errors.Is(err, fs.ErrNotExist) {
		shareddata.Need(t)
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ingest.Read(f, ingest.LevelsFyi, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsRead != 62642 || len(res.Rows) != 62009 || len(res.Issues) != 633 {
		t.Errorf("read %d rows: %d good, %d issues; want 62642: 62009 good, 633 issues", res.RowsRead, len(res.Rows), len(res.Issues))
	}
	for _, is := range res.Issues {
		if is.Reason != ingest.ReasonTotalInconsistent || is.Column != "totalyearlycompensation" {
			t.Errorf("row %d: %s %s (%s), want only TOTAL_INCONSISTENT", is.Row, is.Column, is.Reason, is.Message)
			break
		}
	}
	// zcat FILE | sha256sum
	const sum = "37b527b4d50cf7b057cabdc8cc1de3aa85da939d76c2f880ada8a50a86cb7bb9"
	if res.Checksum != sum {
		t.Errorf("Checksum = %s, want %s", res.Checksum, sum)
	}
	if !slices.Equal(res.Dropped, levelsFyiDemographic) {
		t.Errorf("Dropped = %q, want %q", res.Dropped, levelsFyiDemographic)
	}
	first := res.Rows[0]
	want := normalize.Row{RowNumber: 1, Company: "Oracle", CompanyLevel: "L3", Title: "Product Manager", Location: "Redwood City, CA",
		Reported: time.Date(2017, 6, 7, 0, 0, 0, 0, time.UTC), YearsExperience: 1.5, YearsAtCompany: 1.5,
		Base: 107000, Equity: 20000, Bonus: 10000, Total: 127000}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first row:\n got %+v\nwant %+v", first, want)
	}
}

// Inputs that once slipped through: infinite amounts, a zero tolerance taken for the
// default, a BOM or a null line in JSON lines, demographic keys in other cases, and a
// column named twice.
func TestEdgeInputs(t *testing.T) {
	const hdr = "report_date,company,title,base,total\n"
	res := read(t, hdr+"2024-01-15,Acme,Eng,100000,Inf\n2024-01-15,Acme,Eng,infinity,100000\n", ingest.PaymixCSV, ingest.Options{})
	if len(res.Rows) != 0 || len(res.Issues) != 2 || res.Issues[0].Reason != ingest.ReasonNonNumeric || res.Issues[1].Column != "base" {
		t.Errorf("infinite amounts: rows %d, issues %+v", len(res.Rows), res.Issues)
	}
	zero := 0.0
	res = read(t, hdr+"2024-01-15,Acme,Eng,100000,100001\n2024-01-15,Acme,Eng,100000,100000\n", ingest.PaymixCSV, ingest.Options{TolerancePercent: &zero})
	if len(res.Rows) != 1 || len(res.Issues) != 1 || res.Issues[0].Reason != ingest.ReasonTotalInconsistent {
		t.Errorf("zero tolerance: rows %d, issues %+v", len(res.Rows), res.Issues)
	}
	jsonl := "\ufeff{\"report_date\":\"2024-01-15\",\"company\":\"Acme\",\"title\":\"Eng\",\"base\":1,\"Gender\":\"x\"}\nnull\n"
	res = read(t, jsonl, ingest.PaymixJSONL, ingest.Options{})
	if len(res.Rows) != 1 || len(res.Issues) != 1 || res.Issues[0].Row != 2 || res.Issues[0].Reason != ingest.ReasonMalformed ||
		len(res.Dropped) != 1 || res.Dropped[0] != "Gender" {
		t.Errorf("JSON lines: rows %d, issues %+v, dropped %v", len(res.Rows), res.Issues, res.Dropped)
	}
	if _, err := ingest.Read(strings.NewReader("report_date,company,title,base,Base\n"), ingest.PaymixCSV, ingest.Options{}); err == nil ||
		!strings.Contains(err.Error(), `"base" twice`) {
		t.Errorf("duplicate column: %v", err)
	}
}

func TestPaymixTotalAndNumericLevels(t *testing.T) {
	// No total and no base: refused, since equity + bonus would understate the total.
	res := read(t, "report_date,company,title,base,equity,bonus\n2024-01-15,Acme,Eng,0,50000,10000\n2024-01-15,Acme,Eng,100000,50000,10000\n", ingest.PaymixCSV, ingest.Options{})
	if len(res.Issues) != 1 || res.Issues[0].Column != "total" || res.Issues[0].Reason != ingest.ReasonMissing || len(res.Rows) != 1 || res.Rows[0].Total != 160000 {
		t.Errorf("rows %+v issues %+v", res.Rows, res.Issues)
	}
	// A level written as a JSON number is a level, not a dropped field.
	res = read(t, `{"report_date":"2024-01-15","company":"Microsoft","company_level":63,"title":"Eng","base":1}`+"\n"+
		`{"report_date":"2024-01-15","company":"Microsoft","company_level":[1],"title":"Eng","base":1}`+"\n", ingest.PaymixJSONL, ingest.Options{})
	if len(res.Rows) != 1 || res.Rows[0].CompanyLevel != "63" || len(res.Issues) != 1 || res.Issues[0].Column != "company_level" {
		t.Errorf("rows %+v issues %+v", res.Rows, res.Issues)
	}
}

// With Accept, rows stream out as they are read and none is kept; MaxRows and
// MaxIssues bound a file and the issues kept, while Rejected and ByReason count all.
func TestStreamingReadBoundsRowsAndIssues(t *testing.T) {
	var b strings.Builder
	b.WriteString("report_date,company,title,base,total\n")
	for i := range 50 {
		if i%5 == 0 {
			b.WriteString("2024-01-01,Acme,Software Engineer,-1,100\n") // NEGATIVE
			continue
		}
		fmt.Fprintf(&b, "2024-01-01,Acme,Software Engineer,%d,\n", 100000+i)
	}
	var got []int
	res, err := ingest.Read(strings.NewReader(b.String()), ingest.PaymixCSV, ingest.Options{MaxIssues: 3, Accept: func(r *normalize.Row, _ *ingest.Result) error {
		got = append(got, r.RowNumber)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 40 || got[0] != 2 || got[39] != 50 || len(res.Rows) != 0 {
		t.Errorf("accepted %d rows (%v), kept %d", len(got), got, len(res.Rows))
	}
	if res.Rejected != 10 || res.ByReason[ingest.ReasonNegative] != 10 || len(res.Issues) != 3 || !res.IssuesTruncated {
		t.Errorf("rejected %d %v, issues %d truncated %v", res.Rejected, res.ByReason, len(res.Issues), res.IssuesTruncated)
	}
	_, err = ingest.Read(strings.NewReader(b.String()), ingest.PaymixCSV, ingest.Options{Limits: ingest.Limits{MaxRows: 49}})
	if !errors.Is(err, ingest.ErrTooManyRows) || !strings.Contains(err.Error(), "more than 49 rows") {
		t.Errorf("50 rows over a limit of 49: %v", err)
	}
}
