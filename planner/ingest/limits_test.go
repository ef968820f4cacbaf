package ingest_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/paymix/paymix/planner/ingest"
)

const paymixHeader = "report_date,company,company_level,title,location,base\n"

// repeat is a reader of n bytes of b, allocating nothing as it goes.
type repeat struct {
	b byte
	n int64
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := int64(len(p))
	k = min(k, r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

func fileError(t *testing.T, err error, reason string) *ingest.FileError {
	t.Helper()
	var fe *ingest.FileError
	if !errors.As(err, &fe) || fe.Reason != reason {
		t.Fatalf("want %s, got %v", reason, err)
	}
	return fe
}

// One 64 MiB line ends the read with LINE_TOO_LONG, having allocated well under four
// times the line limit; so does an unmatched quote that would make the rest of a file
// (of short lines) one field.
func TestLineTooLong(t *testing.T) {
	for name, body := range map[string]io.Reader{
		"one long line":    &repeat{b: 'a', n: 64 << 20},
		"unmatched quote":  io.MultiReader(strings.NewReader(`"`), &repeat{b: '\n', n: 64 << 20}),
		"long quoted cell": io.MultiReader(strings.NewReader(`2026-01-01,"`), &repeat{b: 'x', n: 64 << 20}),
	} {
		src := io.MultiReader(strings.NewReader(paymixHeader+"2026-01-01,Acme,L1,Engineer,Seattle,100000\n"), body)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := ingest.Read(src, ingest.PaymixCSV, ingest.Options{})
		runtime.ReadMemStats(&after)
		fe := fileError(t, err, ingest.ReasonLineTooLong)
		if fe.Row != 2 || !strings.Contains(fe.Message, "row 2 is longer than 1 MiB") {
			t.Errorf("%s: %+v", name, fe)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc >= 4*ingest.DefaultMaxLine {
			t.Errorf("%s: allocated %d bytes for a line limit of %d", name, alloc, ingest.DefaultMaxLine)
		}
	}
	// JSON lines too.
	src := io.MultiReader(strings.NewReader(`{"report_date":"2026-01-01"}`+"\n"), &repeat{b: ' ', n: 8 << 20})
	if fe := fileError(t, readErr(src, ingest.PaymixJSONL, ingest.Options{}), ingest.ReasonLineTooLong); fe.Row != 2 {
		t.Errorf("JSON lines: %+v", fe)
	}
}

func readErr(r io.Reader, f ingest.Format, opt ingest.Options) error {
	_, err := ingest.Read(r, f, opt)
	return err
}

// A cell over the field limit rejects its row (quoting 100 characters of it); the
// rows around it import.
func TestFieldTooLong(t *testing.T) {
	long := strings.Repeat("é", 40<<10) // 80 KiB
	csv := paymixHeader + "2026-01-01,Acme,L1,Engineer,Seattle,100000\n" +
		"2026-01-01,Acme," + long + ",Engineer,Seattle,100000\n" + "2026-01-01,Acme,L1,Engineer,Seattle,100000\n"
	res, err := ingest.Read(strings.NewReader(csv), ingest.PaymixCSV, ingest.Options{})
	if err != nil || len(res.Rows) != 2 || len(res.Issues) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	is := res.Issues[0]
	if is.Row != 2 || is.Column != "company_level" || is.Reason != ingest.ReasonFieldTooLong ||
		!strings.Contains(is.Message, `"`+strings.Repeat("é", 100)+`"... (81920 bytes)`) || len(is.Message) > 400 {
		t.Errorf("issue %+v", is)
	}
	// Smaller limits are the server's flags.
	if res, err := ingest.Read(strings.NewReader(csv), ingest.PaymixCSV, ingest.Options{Limits: ingest.Limits{MaxField: 5}}); err != nil || len(res.Rows) != 0 || res.ByReason[ingest.ReasonFieldTooLong] != 3 {
		t.Errorf("a 5-byte field limit: %v %+v", err, res)
	}
}

// A gzip file is bounded by what it decompresses to, not by its size: 64 MiB of
// newlines (about 64 KB compressed) over a 16 MiB limit ends with FILE_TOO_LARGE.
func TestDecompressedLimit(t *testing.T) {
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	io.Copy(w, io.MultiReader(strings.NewReader(paymixHeader), &repeat{b: '\n', n: 64 << 20}))
	w.Close()
	err := readErr(&gz, ingest.PaymixCSV, ingest.Options{Limits: ingest.Limits{MaxBytes: 16 << 20}})
	if fe := fileError(t, err, ingest.ReasonFileTooLarge); !strings.Contains(fe.Message, "larger than 16 MiB after decompression") {
		t.Errorf("%+v", fe)
	}
}

// Latin-1 bytes reject their row as INVALID_UTF8, quoted with \x escapes; a UTF-16
// file is refused whole.
func TestInvalidText(t *testing.T) {
	latin1 := paymixHeader + "2026-01-01,Soci\xe9t\xe9 G\xe9n\xe9rale,L1,Engineer,Paris,100000\n2026-01-01,Acme,L1,Engineer,Seattle,100000\n"
	res, err := ingest.Read(strings.NewReader(latin1), ingest.PaymixCSV, ingest.Options{})
	if err != nil || len(res.Rows) != 1 || len(res.Issues) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	if is := res.Issues[0]; is.Row != 1 || is.Column != "company" || is.Reason != ingest.ReasonInvalidUTF8 || !strings.Contains(is.Message, `"Soci\xe9t\xe9 G\xe9n\xe9rale"`) {
		t.Errorf("issue %+v", is)
	}
	jsonl := `{"report_date":"2026-01-01","company":"Soci` + "\xe9" + `t","title":"Engineer","base":1}` + "\n"
	if res, err := ingest.Read(strings.NewReader(jsonl), ingest.PaymixJSONL, ingest.Options{}); err != nil || res.ByReason[ingest.ReasonInvalidUTF8] != 1 {
		t.Errorf("JSON lines: %v %+v", err, res)
	}
	for _, bom := range []string{"\xff\xfe", "\xfe\xff"} {
		err := readErr(strings.NewReader(bom+"r\x00e\x00"), ingest.LevelsFyi, ingest.Options{})
		if fe := fileError(t, err, ingest.ReasonUTF16File); !strings.Contains(fe.Message, "save it as UTF-8") {
			t.Errorf("%q: %+v", bom, fe)
		}
	}
	// A header that is not UTF-8 is refused with the cell quoted.
	if err := readErr(strings.NewReader("report_date,soci\xe9t\xe9\n"), ingest.PaymixCSV, ingest.Options{}); err == nil || !strings.Contains(err.Error(), `\xe9`) {
		t.Errorf("header: %v", err)
	}
}

// Column names from a file are cut to 64 bytes in issues, so that a header of long
// names cannot make every issue long.
func TestLongColumnNamesAreCut(t *testing.T) {
	long := strings.Repeat("x", 1000)
	jsonl := `{"report_date":"2026-01-01","` + long + `":1}` + "\n"
	res, err := ingest.Read(strings.NewReader(jsonl), ingest.PaymixJSONL, ingest.Options{})
	if err != nil || len(res.Issues) != 1 || res.Issues[0].Column != strings.Repeat("x", 64)+"..." || len(res.Issues[0].Message) > 400 {
		t.Fatalf("%v %+v", err, res)
	}
}
