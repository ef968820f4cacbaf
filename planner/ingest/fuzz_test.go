package ingest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"unicode/utf8"

	"github.com/paymix/paymix/planner/ingest"
)

// checkRead reads data in a format and checks what must hold for any input: Read does
// not panic, and a successful read accounts for every data row exactly once (as a
// good row or an issue, in file order), accepts no negative amount or zero total, and
// checksums the whole input when it is not gzipped.
func checkRead(t *testing.T, data []byte, f ingest.Format) {
	res, err := ingest.Read(bytes.NewReader(data), f, ingest.Options{})
	if err != nil {
		return
	}
	if res.RowsRead != len(res.Rows)+len(res.Issues) {
		t.Fatalf("RowsRead %d != %d rows + %d issues", res.RowsRead, len(res.Rows), len(res.Issues))
	}
	// Merging rows and issues by number must give 1, 2, ..., RowsRead.
	next, i, j := 1, 0, 0
	for i < len(res.Rows) || j < len(res.Issues) {
		switch {
		case i < len(res.Rows) && res.Rows[i].RowNumber == next:
			i++
		case j < len(res.Issues) && res.Issues[j].Row == next:
			j++
		default:
			t.Fatalf("row %d is neither the next good row nor the next issue", next)
		}
		next++
	}
	for _, r := range res.Rows {
		if r.RowNumber < 1 || r.RowNumber > res.RowsRead {
			t.Fatalf("row number %d outside 1..%d", r.RowNumber, res.RowsRead)
		}
		for _, v := range []float64{r.Base, r.Equity, r.Bonus, r.Total, r.Tokens} {
			if v < 0 || v > ingest.MaxAmountUSD {
				t.Fatalf("row %d accepted with an amount out of bounds: %+v", r.RowNumber, r)
			}
		}
		for _, s := range []string{r.Company, r.CompanyLevel, r.Title, r.Location} {
			if !utf8.ValidString(s) || len(s) > ingest.DefaultMaxField {
				t.Fatalf("row %d accepted with text that is not UTF-8 or too long: %q", r.RowNumber, s)
			}
		}
		if r.Total == 0 {
			t.Fatalf("row %d accepted with a zero total: %+v", r.RowNumber, r)
		}
		if r.Company == "" || r.Title == "" {
			t.Fatalf("row %d accepted without a company or title: %+v", r.RowNumber, r)
		}
	}
	for _, is := range res.Issues {
		if is.Reason == "" || is.Excluded {
			t.Fatalf("issue without a reason, or excluded: %+v", is)
		}
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		if sum := sha256.Sum256(data); res.Checksum != hex.EncodeToString(sum[:]) {
			t.Fatalf("Checksum %s is not the SHA-256 of the input", res.Checksum)
		}
	}
}

func FuzzLevelsFyi(f *testing.F) {
	good := levelsFyiLine(f, nil)
	f.Add([]byte(levelsFyiHeader + "\n" + good + "\n"))
	f.Add([]byte(levelsFyiHeader + "\n" + levelsFyiLine(f, map[string]string{"basesalary": "0", "totalyearlycompensation": "NA"}) + "\n6/7/2017,a\n"))
	f.Add([]byte("timestamp,company,level,title,totalyearlycompensation,location,basesalary,stockgrantvalue,bonus\n" +
		"8/17/2021 9:05,Google,L5,Software Engineer,350000,\"Mountain View, CA\",180000,130000,40000\n" +
		"1/2/2020,\"Ama\"\"zon\",,PM,1e5,,0,-1,x\n"))
	f.Add(gzipped(f, levelsFyiHeader+"\n"+good+"\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingest.LevelsFyi) })
}

func FuzzPaymixCSV(f *testing.F) {
	f.Add([]byte("report_date,company,title,base\n2024-01-15,Acme,Engineer,100000\n"))
	f.Add([]byte("report_date,company,company_level,title,location,years_experience,years_at_company,base,equity,bonus,total,tokens_usd,gender\n" +
		"2024-03-01,Acme,L5,Software Engineer,\"Berlin, Germany\",6,2,120000,30000,10000,160000,5000,F\n" +
		"2024-03-01,Acme,L5,Software Engineer,,6,2,NA,,,,,\n" +
		"2024-02-30,,L5,,,,,-1,x,,0,,\n"))
	f.Add(gzipped(f, "\ufeffReport_Date,Company,Title,Base,Total\n2024-01-15,Acme,Engineer,100000,90000\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingest.PaymixCSV) })
}

func FuzzPaymixJSONL(f *testing.F) {
	f.Add([]byte(`{"report_date":"2024-01-15","company":"Acme","title":"Engineer","base":100000}` + "\n"))
	f.Add([]byte(`{"report_date":"2024-03-01","company":"Acme","company_level":"L5","title":"SWE","location":"Berlin","years_experience":6,` +
		`"years_at_company":2,"base":120000,"equity":30000,"bonus":10000,"total":160000,"tokens_usd":5000,"gender":"F"}` + "\n\n" +
		`[1]` + "\n" + `{"base":"1","salary":2}` + "\n" + `null` + "\n" + `{"report_date":"2024-01-15","company":"A","title":"T","base":-1e3}`))
	f.Add(gzipped(f, `{"report_date":"2024-01-15","company":"Acme","title":"Engineer","base":0,"equity":5,"total":null}`+"\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingest.PaymixJSONL) })
}
