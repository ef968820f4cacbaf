package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paymix/paymix/planner/normalize"
)

// table reads a CSV file by header name.
type table struct {
	r      *csv.Reader
	header []string
	index  map[string]int // lower-case column name -> position
	opt    *Options
}

func newTable(src io.Reader, res *Result) (*table, error) {
	r := csv.NewReader(newRecords(src, res.opt.MaxLine))
	r.FieldsPerRecord = -1 // a short or long row is the row's problem, not the file's
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, errors.New("the file is empty")
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return nil, fe
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	t := &table{r: r, header: slices.Clone(header), index: map[string]int{}, opt: res.opt}
	for i, h := range t.header {
		if !utf8.ValidString(h) {
			return nil, fmt.Errorf("the header is not valid UTF-8 (%s); save the file as UTF-8", quote(h))
		}
		name := strings.ToLower(trimmed(strings.TrimPrefix(h, "\ufeff")))
		if demographic[name] {
			res.Dropped = append(res.Dropped, h)
			continue
		}
		if _, dup := t.index[name]; dup {
			return nil, fmt.Errorf("the header names the column %s twice", quote(name))
		}
		t.index[name] = i
	}
	return t, nil
}

// require checks that the header has every named column.
func (t *table) require(cols ...string) error {
	var missing []string
	for _, c := range cols {
		if _, ok := t.index[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the header lacks the column(s) %s", strings.Join(missing, ", "))
	}
	return nil
}

// each calls row for every data record with a cell getter; a malformed record is the
// row's problem.
func (t *table) each(res *Result, row func(get func(col string) string) (normalize.Row, error)) error {
	for n := 1; ; n++ {
		rec, err := t.r.Read()
		if err == io.EOF {
			return nil
		}
		var fe *FileError
		if errors.As(err, &fe) {
			return fe
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if e := res.add(n, normalize.Row{}, reject("", ReasonMalformed, "line %d: %v", pe.Line, pe.Err)); e != nil {
				return e
			}
			continue
		}
		if err != nil {
			return err
		}
		if len(rec) != len(t.header) {
			if e := res.add(n, normalize.Row{}, reject("", ReasonMalformed, "%d fields, the header has %d", len(rec), len(t.header))); e != nil {
				return e
			}
			continue
		}
		if err := t.checkCells(rec); err != nil {
			if e := res.add(n, normalize.Row{}, err); e != nil {
				return e
			}
			continue
		}
		get := func(col string) string {
			if i, ok := t.index[col]; ok {
				return trimmed(rec[i])
			}
			return ""
		}
		r, rerr := row(get)
		if err := res.add(n, r, rerr); err != nil {
			return err
		}
	}
}

// checkCells rejects a record with a cell over the field limit or not valid UTF-8;
// dropped columns are checked too: they are read, if not kept.
func (t *table) checkCells(rec []string) error {
	for i, cell := range rec {
		if err := checkCell(t.header[i], cell, t.opt.MaxField); err != nil {
			return err
		}
	}
	return nil
}

// number reads an amount: empty or NA is missing, which is an error only when required.
func number(get func(string) string, col string, required bool) (float64, error) {
	s := get(col)
	if s == "" || strings.EqualFold(s, "NA") {
		if required {
			return 0, reject(col, ReasonMissing, "required")
		}
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, reject(col, ReasonNonNumeric, "%s is not a number", quote(s))
	}
	return v, nil
}

func text(get func(string) string, col string, required bool) (string, error) {
	s := get(col)
	if s == "" && required {
		return "", reject(col, ReasonMissing, "required")
	}
	return s, nil
}

// levelsFyiTimestamp parses the export's M/D/YYYY H:MM:SS (seconds optional) and keeps
// the day: report dates are days.
func levelsFyiTimestamp(s string) (time.Time, bool) {
	for _, layout := range []string{"1/2/2006 15:04:05", "1/2/2006 15:04", "1/2/2006", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// The Levels.fyi export (see shared/data/README.md): amounts are yearly USD and
// stockgrantvalue is already annualised; a basesalary of 0 means not reported.
var levelsFyiColumns = []string{"timestamp", "company", "level", "title", "totalyearlycompensation", "location",
	"basesalary", "stockgrantvalue", "bonus"}

func readLevelsFyi(src io.Reader, opt Options, res *Result) error {
	t, err := newTable(src, res)
	if err != nil {
		return err
	}
	if err := t.require(levelsFyiColumns...); err != nil {
		return err
	}
	amounts := [5]string{"basesalary", "stockgrantvalue", "bonus", "totalyearlycompensation", ""}
	return t.each(res, func(get func(string) string) (normalize.Row, error) {
		var r normalize.Row
		var err error
		ts := get("timestamp")
		if ts == "" {
			return r, reject("timestamp", ReasonMissing, "required")
		}
		var ok bool
		if r.Reported, ok = levelsFyiTimestamp(ts); !ok {
			return r, reject("timestamp", ReasonBadDate, "%s is not a M/D/YYYY H:MM:SS time", quote(ts))
		}
		if r.Company, err = text(get, "company", true); err != nil {
			return r, err
		}
		if r.Title, err = text(get, "title", true); err != nil {
			return r, err
		}
		r.CompanyLevel, r.Location = get("level"), get("location")
		for _, f := range []struct {
			col      string
			dst      *float64
			required bool
		}{
			{"totalyearlycompensation", &r.Total, true}, {"basesalary", &r.Base, true},
			{"stockgrantvalue", &r.Equity, true}, {"bonus", &r.Bonus, true},
			{"yearsofexperience", &r.YearsExperience, false}, {"yearsatcompany", &r.YearsAtCompany, false},
		} {
			if *f.dst, err = number(get, f.col, f.required); err != nil {
				return r, err
			}
		}
		return r, checkAmounts(&r, amounts, opt)
	})
}

// paymix's own CSV format (docs/import-format.md).
var paymixColumns = []string{"report_date", "company", "company_level", "title", "location",
	"years_experience", "years_at_company", "base", "equity", "bonus", "total", "tokens_usd"}

var paymixAmounts = [5]string{"base", "equity", "bonus", "total", "tokens_usd"}

func readPaymixCSV(src io.Reader, opt Options, res *Result) error {
	t, err := newTable(src, res)
	if err != nil {
		return err
	}
	for name := range t.index {
		if !slices.Contains(paymixColumns, name) {
			return fmt.Errorf("unknown column %s; the paymix format has %s", quote(name), strings.Join(paymixColumns, ", "))
		}
	}
	if err := t.require("report_date", "company", "title", "base"); err != nil {
		return err
	}
	return t.each(res, func(get func(string) string) (normalize.Row, error) {
		f := paymixFields{text: map[string]string{}}
		for _, col := range paymixColumns {
			f.text[col] = get(col)
		}
		return f.row(func(col string) (float64, error) { return number(get, col, false) }, opt)
	})
}

// paymixFields is one row of the paymix format, from CSV or JSON lines.
type paymixFields struct {
	text map[string]string // the text columns, trimmed
}

// row validates and converts a paymix row; number reads an amount column (missing = 0).
func (f paymixFields) row(number func(col string) (float64, error), opt Options) (normalize.Row, error) {
	var r normalize.Row
	d := f.text["report_date"]
	if d == "" {
		return r, reject("report_date", ReasonMissing, "required")
	}
	var err error
	if r.Reported, err = time.Parse(time.DateOnly, d); err != nil {
		return r, reject("report_date", ReasonBadDate, "%s is not a YYYY-MM-DD date", quote(d))
	}
	for _, col := range []string{"company", "title"} {
		if f.text[col] == "" {
			return r, reject(col, ReasonMissing, "required")
		}
	}
	r.Company, r.CompanyLevel, r.Title, r.Location = f.text["company"], f.text["company_level"], f.text["title"], f.text["location"]
	for _, c := range []struct {
		col string
		dst *float64
	}{
		{"base", &r.Base}, {"equity", &r.Equity}, {"bonus", &r.Bonus}, {"total", &r.Total}, {"tokens_usd", &r.Tokens},
		{"years_experience", &r.YearsExperience}, {"years_at_company", &r.YearsAtCompany},
	} {
		if *c.dst, err = number(c.col); err != nil {
			return r, err
		}
	}
	if r.Total == 0 {
		// The total may be left out when the parts are all known; with base not
		// reported, equity + bonus would understate it.
		if r.Base == 0 {
			return r, reject("total", ReasonMissing, "required when base is not reported")
		}
		r.Total = r.Base + r.Equity + r.Bonus
	}
	return r, checkAmounts(&r, paymixAmounts, opt)
}
