// Package ingest reads market data files: the Levels.fyi CSV export and paymix's own
// CSV and JSON-lines formats (docs/import-format.md). It validates every row and says
// what is wrong with each bad one (row number, column, reason); it never stores
// anything, and it drops demographic columns unread.
package ingest

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paymix/paymix/planner/normalize"
)

// Format is a file format.
type Format int

const (
	LevelsFyi Format = iota + 1
	PaymixCSV
	PaymixJSONL
)

func (f Format) String() string {
	switch f {
	case LevelsFyi:
		return "levelsfyi"
	case PaymixCSV:
		return "paymix-csv"
	case PaymixJSONL:
		return "paymix-jsonl"
	}
	return "unknown"
}

// Reasons a row is rejected or excluded; stable, machine-readable.
const (
	ReasonNonNumeric        = "NON_NUMERIC"
	ReasonNegative          = "NEGATIVE"
	ReasonMissing           = "MISSING"
	ReasonBadDate           = "BAD_DATE"
	ReasonTotalInconsistent = "TOTAL_INCONSISTENT"
	ReasonMalformed         = "MALFORMED"
	ReasonOutlier           = "OUTLIER"
	ReasonAmountOutOfRange  = "AMOUNT_OUT_OF_RANGE"
)

// MaxAmountUSD bounds every amount of a row (a year's base, equity, bonus, total or
// token budget): no one is paid more, and larger figures are typing errors or attacks
// whose sums would overflow.
const MaxAmountUSD = 100_000_000

// Issue is one rejected or excluded row.
type Issue struct {
	Row      int // 1-based data row number (the header is not counted)
	Column   string
	Reason   string
	Message  string
	Excluded bool // an outlier excluded on request, rather than a bad row
}

// Options of a read.
type Options struct {
	// TolerancePercent is how far a row's total may differ from base + equity + bonus,
	// in percent of the total, before the row is rejected; nil means
	// DefaultTolerancePercent (0 is a real choice: totals must match exactly). Rows
	// whose base is not reported (0) are not checked: their parts are incomplete.
	TolerancePercent *float64
	Limits
	// MaxIssues bounds the issues kept (0: all); Rejected and ByReason count them all.
	MaxIssues int
	// Accept, when set, receives each good row as it is read, and Result.Rows stays
	// empty: a file of any size is read in constant memory. An error stops the read.
	// res is the result so far (Rejected says whether a bad row was seen yet).
	Accept func(row *normalize.Row, res *Result) error
}

// Limits bound what one file may hold; a zero field takes its default.
type Limits struct {
	// MaxRows bounds the rows of a file (DefaultMaxRows).
	MaxRows int
	// MaxBytes bounds the file after decompression (DefaultMaxBytes), MaxLine a line
	// (DefaultMaxLine) and MaxField a cell (DefaultMaxField).
	MaxBytes          int64
	MaxLine, MaxField int
}

// DefaultTolerancePercent: in the Levels.fyi export 87% of rows match within 1% and
// 99% within 10%; beyond 10% the parts and the total disagree about what was paid.
const DefaultTolerancePercent = 10

// DefaultMaxRows bounds one file unless Options says otherwise.
const DefaultMaxRows = 20_000_000

// Result is what a read found.
type Result struct {
	Rows     []normalize.Row // the good rows, in file order (none with Options.Accept)
	Issues   []Issue         // one per rejected row, in file order, at most Options.MaxIssues
	RowsRead int
	// Rejected counts the rejected rows, ByReason by reason, whatever Issues keeps.
	Rejected int
	ByReason map[string]int
	// IssuesTruncated is true when Issues holds fewer than Rejected.
	IssuesTruncated bool
	// Dropped are the demographic columns present in the file and dropped unread.
	Dropped []string
	// Checksum is the hex SHA-256 of the file's content after gzip decompression, so
	// the same data compressed or not is the same file.
	Checksum string

	opt *Options
}

// Read reads a whole file (gzip is detected and decompressed) in a format.
func Read(r io.Reader, f Format, opt Options) (*Result, error) {
	if opt.TolerancePercent == nil {
		def := float64(DefaultTolerancePercent)
		opt.TolerancePercent = &def
	}
	br := bufio.NewReaderSize(r, 1<<16)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		src = gz
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = DefaultMaxRows
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.MaxLine <= 0 {
		opt.MaxLine = DefaultMaxLine
	}
	if opt.MaxField <= 0 {
		opt.MaxField = DefaultMaxField
	}
	dec := bufio.NewReaderSize(&sizeLimit{r: src, max: opt.MaxBytes}, 1<<16)
	if head, _ := dec.Peek(2); utf16(head) {
		return nil, &FileError{Reason: ReasonUTF16File, Message: "the file is UTF-16 text; save it as UTF-8"}
	}
	h := sha256.New()
	src = io.TeeReader(dec, h)
	res := &Result{ByReason: map[string]int{}, opt: &opt}
	var err error
	switch f {
	case LevelsFyi:
		err = readLevelsFyi(src, opt, res)
	case PaymixCSV:
		err = readPaymixCSV(src, opt, res)
	case PaymixJSONL:
		err = readPaymixJSONL(src, opt, res)
	default:
		err = fmt.Errorf("unknown format %d", f)
	}
	if err != nil {
		return nil, err
	}
	// Hash what a parser left unread too (trailing bytes after the last record), still
	// within the size limit.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, err
	}
	res.Checksum = hex.EncodeToString(h.Sum(nil))
	return res, nil
}

// ErrTooManyRows is returned for a file over Options.MaxRows.
var ErrTooManyRows = errors.New("too many rows")

// demographic lists columns (lower case) that are never read: pay data must not be
// joinable to gender, race, education or age.
var demographic = map[string]bool{
	"gender": true, "race": true, "education": true, "otherdetails": true, "age": true, "ethnicity": true,
	"masters_degree": true, "bachelors_degree": true, "doctorate_degree": true, "highschool": true, "some_college": true,
	"race_asian": true, "race_white": true, "race_two_or_more": true, "race_black": true, "race_hispanic": true,
}

// rowError is a rejected row's problem, turned into an Issue by the reader.
type rowError struct{ column, reason, message string }

func (e *rowError) Error() string { return e.column + ": " + e.message }

func reject(column, reason, format string, args ...any) *rowError {
	return &rowError{column: shortColumn(column), reason: reason, message: fmt.Sprintf(format, args...)}
}

// shortColumn cuts a column name from a file to 64 bytes (on a character boundary, \x
// escapes for bytes that are not UTF-8), so that an issue stays small whatever the
// header holds.
func shortColumn(c string) string {
	if len(c) <= 64 && utf8.ValidString(c) {
		return c
	}
	q := strconv.Quote(c)
	q = q[1 : len(q)-1]
	if len(q) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(q[cut]) {
			cut--
		}
		q = q[:cut] + "..."
	}
	return q
}

// add appends a good row or records why it is bad.
func (res *Result) add(n int, row normalize.Row, err error) error {
	res.RowsRead++
	if res.RowsRead > res.opt.MaxRows {
		return fmt.Errorf("%w: more than %d rows", ErrTooManyRows, res.opt.MaxRows)
	}
	var re *rowError
	if errors.As(err, &re) {
		res.Rejected++
		res.ByReason[re.reason]++
		if max := res.opt.MaxIssues; max > 0 && len(res.Issues) >= max {
			res.IssuesTruncated = true
			return nil
		}
		res.Issues = append(res.Issues, Issue{Row: n, Column: re.column, Reason: re.reason, Message: re.message})
		return nil
	}
	if err != nil {
		return err
	}
	row.RowNumber = n
	if res.opt.Accept != nil {
		return res.opt.Accept(&row, res)
	}
	res.Rows = append(res.Rows, row)
	return nil
}

// checkAmounts enforces the rules every format shares: no negative amounts, a total
// above zero, and a total consistent with its parts within the tolerance when the
// base is reported.
func checkAmounts(r *normalize.Row, cols [5]string, opt Options) error {
	for i, v := range []float64{r.Base, r.Equity, r.Bonus, r.Total, r.Tokens} {
		if v < 0 {
			return reject(cols[i], ReasonNegative, "%s is negative", dollars(v))
		}
		if v > MaxAmountUSD {
			return reject(cols[i], ReasonAmountOutOfRange, "%s is above $100,000,000 a year", dollars(v))
		}
	}
	if r.YearsExperience < 0 || r.YearsAtCompany < 0 {
		return reject("years", ReasonNegative, "years of experience and at the company cannot be negative")
	}
	if r.Total == 0 {
		return reject(cols[3], ReasonMissing, "the total is 0: not reported")
	}
	if r.Base > 0 {
		parts := r.Base + r.Equity + r.Bonus
		if diff := math.Abs(parts-r.Total) / r.Total * 100; diff > *opt.TolerancePercent {
			return reject(cols[3], ReasonTotalInconsistent, "total %s differs from base + equity + bonus = %s by %.1f%%, more than %g%%",
				dollars(r.Total), dollars(parts), diff, *opt.TolerancePercent)
		}
	}
	return nil
}

// dollars writes an amount as people read it: $1,255,000 (cents kept when there are
// any; an amount beyond what is paid in exponent form, as it is no amount anyone
// earns).
func dollars(v float64) string {
	if math.Abs(v) >= 1e15 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	neg := v < 0
	v = math.Abs(v)
	whole := strconv.FormatFloat(math.Trunc(v), 'f', 0, 64)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if cents := math.Round((v - math.Trunc(v)) * 100); cents > 0 && cents < 100 {
		whole += fmt.Sprintf(".%02.0f", cents)
	}
	if neg {
		return "-$" + whole
	}
	return "$" + whole
}

func trimmed(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " "))
}
