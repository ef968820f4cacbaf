package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paymix/paymix/planner/normalize"
)

// readPaymixJSONL reads one JSON object per line with the paymix format's field
// names; blank lines are skipped, and a line that is not an object of known fields
// is a malformed row.
func readPaymixJSONL(src io.Reader, opt Options, res *Result) error {
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 0, 64<<10), opt.MaxLine)
	dropped := map[string]bool{}
	n := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if n == 0 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if len(line) == 0 {
			continue
		}
		n++
		var r normalize.Row
		var err error
		if !utf8.Valid(line) {
			// JSON decoding would turn the bytes into U+FFFD without a word.
			err = reject("", ReasonInvalidUTF8, "the line is not valid UTF-8 (save the file as UTF-8): %s", quote(string(line)))
		} else {
			r, err = jsonRow(line, opt, dropped)
		}
		if err := res.add(n, r, err); err != nil {
			return err
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return lineTooLong(n+1, int64(opt.MaxLine))
	} else if err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	for k := range dropped {
		res.Dropped = append(res.Dropped, k)
	}
	sort.Strings(res.Dropped)
	return nil
}

func jsonRow(line []byte, opt Options, dropped map[string]bool) (normalize.Row, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil || obj == nil {
		return normalize.Row{}, reject("", ReasonMalformed, "not a JSON object")
	}
	f := paymixFields{text: map[string]string{}}
	raw := map[string]json.RawMessage{}
	// Demographic keys first, whatever else the line holds, so what is dropped is
	// reported the same way every time.
	for k := range obj {
		if demographic[strings.ToLower(k)] {
			dropped[k] = true
			delete(obj, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		switch {
		case !slices.Contains(paymixColumns, k):
			return normalize.Row{}, reject(k, ReasonMalformed, "unknown field; the paymix format has %v", paymixColumns)
		default:
			raw[k] = v
			var s string
			var n json.Number
			switch {
			case json.Unmarshal(v, &s) == nil:
				if err := checkCell(k, s, opt.MaxField); err != nil {
					return normalize.Row{}, err
				}
				f.text[k] = trimmed(s)
			case json.Unmarshal(v, &n) == nil:
				f.text[k] = n.String() // a level written as a number, such as 63
			case string(v) != "null":
				if !slices.Contains(paymixAmounts[:], k) && k != "years_experience" && k != "years_at_company" {
					return normalize.Row{}, reject(k, ReasonMalformed, "must be a string or a number")
				}
			}
		}
	}
	number := func(col string) (float64, error) {
		v, ok := raw[col]
		if !ok || string(v) == "null" {
			return 0, nil
		}
		var x float64
		if err := json.Unmarshal(v, &x); err != nil || math.IsInf(x, 0) {
			return 0, reject(col, ReasonNonNumeric, "%s is not a number", strconv.Quote(string(v)))
		}
		return x, nil
	}
	return f.row(number, opt)
}
