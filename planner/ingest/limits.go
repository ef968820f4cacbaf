package ingest

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// Limits of a read (README, "Limits"): whatever a file holds, a read keeps at most a
// line in memory, and a line at most MaxLine bytes.
const (
	// DefaultMaxBytes bounds a file after decompression: an 8 MB gzip can hold 8 GiB.
	DefaultMaxBytes = 1 << 30
	// DefaultMaxLine bounds a line (a CSV record, quoted newlines included; a JSON line):
	// an unmatched quote would otherwise make the rest of a file one field.
	DefaultMaxLine = 1 << 20
	// DefaultMaxField bounds one cell: no company, title or location is longer.
	DefaultMaxField = 64 << 10
	// quoteLimit is the most of a cell an issue quotes.
	quoteLimit = 100
)

// Reasons for a row, and for a file refused whole (FileError).
const (
	ReasonFieldTooLong = "FIELD_TOO_LONG"
	ReasonInvalidUTF8  = "INVALID_UTF8"
	ReasonLineTooLong  = "LINE_TOO_LONG"
	ReasonFileTooLarge = "FILE_TOO_LARGE"
	ReasonUTF16File    = "UTF16_FILE"
)

// FileError ends a read: the file as a whole cannot be imported. Row is the data row
// being read when it stopped (0 for the header or the file itself).
type FileError struct {
	Reason  string
	Row     int
	Message string
}

func (e *FileError) Error() string { return e.Message }

// quote is a cell as an issue quotes it: Go-quoted (invalid UTF-8 as \x escapes), cut
// to quoteLimit characters.
func quote(s string) string {
	if len(s) <= quoteLimit {
		return fmt.Sprintf("%q", s)
	}
	cut, n := 0, 0
	for cut < len(s) && n < quoteLimit {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
		n++
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:cut], len(s))
}

// checkCell rejects a cell over the field limit or with invalid UTF-8.
func checkCell(col, s string, max int) error {
	if len(s) > max {
		return reject(col, ReasonFieldTooLong, "%d bytes, over the limit of %d: %s", len(s), max, quote(s))
	}
	if !utf8.ValidString(s) {
		return reject(col, ReasonInvalidUTF8, "not valid UTF-8 (save the file as UTF-8): %s", quote(s))
	}
	return nil
}

// sizeLimit ends a read past max bytes.
type sizeLimit struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *sizeLimit) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, &FileError{Reason: ReasonFileTooLarge, Message: fmt.Sprintf(
			"the file is larger than %s after decompression (the server's --import-max-decompressed); split it", size(l.max))}
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// records hands a CSV reader whole records only, and ends the read when one passes
// max bytes before any of it is handed on: encoding/csv buffers a record whole and
// parses even a partial one, so the limit must hold in front of it. It tracks quotes
// as encoding/csv does (a quote opens a field only at its start; "" inside one is a
// quote), so a quoted newline does not end a record and a bare quote opens nothing.
type records struct {
	r     io.Reader
	buf   []byte // read from r; buf[off:] is not handed on yet
	off   int
	ready int  // buf[off:ready] are whole records
	scan  int  // buf[:scan] is scanned
	state byte // of the scan: fieldStart, unquoted, quoted, quoteInQuoted
	empty bool // the record being scanned has no byte but its line end yet
	rows  int  // records scanned whole, blank lines not counted (the header is 1)
	max   int
	err   error
}

const (
	fieldStart byte = iota
	unquoted
	quoted
	quoteInQuoted
)

func newRecords(r io.Reader, max int) *records {
	return &records{r: r, max: max, empty: true}
}

func (g *records) Read(p []byte) (int, error) {
	for g.ready == g.off {
		if g.scan-g.off > g.max {
			// The record being read: data rows are counted after the header.
			return 0, lineTooLong(g.rows, int64(g.max))
		}
		if g.err != nil {
			if len(g.buf) == g.off {
				return 0, g.err
			}
			g.ready = len(g.buf) // the last record, without a line end
			break
		}
		// What is handed on is dropped before reading more.
		n := copy(g.buf, g.buf[g.off:])
		g.buf, g.scan, g.ready, g.off = g.buf[:n], g.scan-g.off, 0, 0
		if cap(g.buf)-len(g.buf) < 32<<10 {
			// Doubling, but never past what a record of the limit needs: a record
			// of the limit costs about twice the limit in all.
			grown := make([]byte, len(g.buf), max(min(2*cap(g.buf), g.max+64<<10), len(g.buf)+32<<10))
			g.buf = grown[:copy(grown, g.buf)]
		}
		n, err := g.r.Read(g.buf[len(g.buf):cap(g.buf)])
		g.buf, g.err = g.buf[:len(g.buf)+n], err
		g.advance()
	}
	n := copy(p, g.buf[g.off:g.ready])
	g.off += n
	return n, nil
}

// advance scans the new bytes for record ends.
func (g *records) advance() {
	for ; g.scan < len(g.buf); g.scan++ {
		c := g.buf[g.scan]
		switch g.state {
		case quoted:
			if c == '"' {
				g.state = quoteInQuoted
			}
			continue
		case quoteInQuoted:
			if c == '"' {
				g.state = quoted
				continue
			}
		case fieldStart:
			if c == '"' {
				g.state, g.empty = quoted, false
				continue
			}
		}
		switch c {
		case ',':
			g.state, g.empty = fieldStart, false
		case '\n':
			if !g.empty {
				g.rows++
			}
			g.state, g.empty, g.ready = fieldStart, true, g.scan+1
		case '\r':
		default:
			g.state, g.empty = unquoted, false
		}
	}
}

func lineTooLong(row int, max int64) *FileError {
	where := "the header"
	if row > 0 {
		where = fmt.Sprintf("row %d", row)
	}
	return &FileError{Reason: ReasonLineTooLong, Row: row, Message: fmt.Sprintf(
		"%s is longer than %s (an unmatched quote makes the rest of a file one field); the import stops there", where, size(max))}
}

func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// utf16 reports a UTF-16 byte-order mark.
func utf16(head []byte) bool {
	return len(head) >= 2 && (head[0] == 0xff && head[1] == 0xfe || head[0] == 0xfe && head[1] == 0xff)
}
