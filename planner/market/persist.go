package market

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"time"
	"unsafe"
)

// A part is persisted as its columns and its default-rate series, so that a restart
// reads it back instead of normalising and sorting every row again. The layout is the
// machine's own (little-endian, fixed width), written and read as whole arrays, and
// ends with a CRC-32C of everything before it: a torn or corrupt file is refused, and
// the caller rebuilds the part from the store.
const (
	partMagic   = "PMXPART\x00"
	partFormat  = 3
	maxPartRows = math.MaxInt32
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrPartFormat: a persisted part cannot be read (torn, corrupt, another format).
var ErrPartFormat = errors.New("not a readable paymix part")

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// Encode writes the part. Nothing in a part changes after Build, so Encode may run
// while requests read it.
func (p *Part) Encode(w io.Writer) error {
	if !littleEndian() {
		return errors.New("parts are persisted on little-endian machines only")
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	h := crc32.New(castagnoli)
	e := &encoder{w: io.MultiWriter(bw, h)}
	e.bytes([]byte(partMagic))
	e.u64(partFormat)
	e.u64(uint64(p.Reference.Unix()))
	e.u64(math.Float64bits(p.Rate))
	e.u64(p.Hash)
	e.u64(uint64(len(p.day)))
	e.u64(uint64(len(p.strs)))
	for _, s := range p.strs {
		e.u64(uint64(len(s)))
		e.bytes([]byte(s))
	}
	e.u32s(p.company)
	e.u32s(p.companyLevel)
	e.u32s(p.title)
	e.bytes(asBytes(p.day))
	for k := range p.amount {
		e.bytes(asBytes(p.amount[k]))
	}
	e.u64(uint64(len(p.tuples)))
	e.bytes(asBytes(p.tuples))
	a := p.base
	e.u64(uint64(len(a.keys)))
	for _, key := range a.keys {
		c := a.cohorts[key]
		var sums [numKinds]float64
		for k := range numKinds {
			sums[k] = c.series[k].sum
		}
		e.bytes(asBytes(sums[:]))
		e.bytes(asBytes(c.mix[:]))
		e.u64(uint64(uint32(c.first)) | uint64(uint32(c.last))<<32)
		for k := range numKinds {
			e.u64(uint64(len(c.series[k].companies)))
			e.bytes(asBytes(c.series[k].companies))
			e.u64(uint64(uint32(c.series[k].medianDay)))
		}
	}
	e.u64(uint64(len(a.order)))
	e.u32s(a.order)
	if e.err != nil {
		return e.err
	}
	if _, err := bw.Write(binary.LittleEndian.AppendUint32(nil, h.Sum32())); err != nil {
		return err
	}
	return bw.Flush()
}

// DecodePart reads a part of size bytes written by Encode, checking its structure and
// checksum.
func DecodePart(r io.Reader, size int64) (*Part, error) {
	if !littleEndian() {
		return nil, ErrPartFormat
	}
	h := crc32.New(castagnoli)
	d := &decoder{r: bufio.NewReaderSize(r, 1<<20), h: h, remaining: size}
	if string(d.bytes(len(partMagic))) != partMagic || d.u64() != partFormat {
		return nil, ErrPartFormat
	}
	p := &Part{}
	p.Reference = time.Unix(int64(d.u64()), 0).UTC()
	p.Rate = math.Float64frombits(d.u64())
	p.Hash = d.u64()
	n := d.count(maxPartRows)
	strs := d.count(maxPartRows)
	p.strs = make([]string, 0, min(strs, 1<<20))
	for range strs {
		if d.err != nil {
			break
		}
		p.strs = append(p.strs, string(d.bytes(d.count(1<<20))))
	}
	p.company, p.companyLevel, p.title = d.u32s(n), d.u32s(n), d.u32s(n)
	p.day = readArray[int32](d, n)
	for k := range p.amount {
		p.amount[k] = readArray[float64](d, n)
	}
	p.tuples = readArray[tuple](d, d.count(maxPartRows))
	cohorts := d.count(maxPartRows)
	type stored struct {
		sums        [numKinds]float64
		mix         [4]float64
		first, last int32
		companies   [numKinds][]companyCount
		medianDay   [numKinds]int32
	}
	st := make([]stored, 0, min(cohorts, 1<<16))
	for range cohorts {
		if d.err != nil {
			break
		}
		var s stored
		copy(s.sums[:], readArray[float64](d, int(numKinds)))
		copy(s.mix[:], readArray[float64](d, 4))
		v := d.u64()
		s.first, s.last = int32(uint32(v)), int32(uint32(v>>32))
		for k := range numKinds {
			s.companies[k] = readArray[companyCount](d, d.count(maxPartRows))
			s.medianDay[k] = int32(uint32(d.u64()))
		}
		st = append(st, s)
	}
	order := d.u32s(d.count(maxPartRows * int(numKinds) * 3))
	sum := h.Sum32()
	tail := d.raw(4)
	if d.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPartFormat, d.err)
	}
	if binary.LittleEndian.Uint32(tail) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrPartFormat)
	}
	if len(p.strs) == 0 || p.strs[0] != "" {
		return nil, fmt.Errorf("%w: string table", ErrPartFormat)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if n > 0 {
		p.minDay = p.day[0]
		for _, v := range p.day {
			p.minDay = min(p.minDay, v)
		}
	}
	// The cohorts, their runs and the series' layout follow from the tuples exactly
	// as at Build.
	a := &aging{rate: p.Rate, factor: p.factors(p.Rate), order: order}
	a.cohorts, a.keys = p.keys()
	if len(a.keys) != len(st) {
		return nil, fmt.Errorf("%w: %d cohorts, %d stored", ErrPartFormat, len(a.keys), len(st))
	}
	off := 0
	for i, key := range a.keys {
		c := a.cohorts[key]
		for k := range numKinds {
			m := c.count(p, k)
			if off+m > len(order) {
				return nil, fmt.Errorf("%w: series run past the order", ErrPartFormat)
			}
			c.series[k] = series{rows: order[off : off+m : off+m], sum: st[i].sums[k], companies: st[i].companies[k], medianDay: st[i].medianDay[k]}
			for _, r := range c.series[k].rows {
				if !c.holds(int32(r)) {
					return nil, fmt.Errorf("%w: a series names a row outside its cohort", ErrPartFormat)
				}
			}
			if err := c.series[k].checkCompanies(p); err != nil {
				return nil, err
			}
			c.series[k].standardize(p, a, k)
			c.series[k].dflt = p.weigh(a, k, &c.series[k], DefaultSharePercent/100.0)
			off += m
		}
		c.mix, c.first, c.last = st[i].mix, st[i].first, st[i].last
	}
	if off != len(order) {
		return nil, fmt.Errorf("%w: order has %d rows, series %d", ErrPartFormat, len(order), off)
	}
	p.base = a
	return p, nil
}

// check verifies that every index of the part's columns is in range.
func (p *Part) check() error {
	for _, col := range [][]uint32{p.company, p.companyLevel, p.title} {
		for _, id := range col {
			if int(id) >= len(p.strs) {
				return fmt.Errorf("%w: text index out of range", ErrPartFormat)
			}
		}
	}
	next := int32(0)
	for _, t := range p.tuples {
		for _, id := range [...]uint32{t.family, t.level, t.metro, t.zone, t.country} {
			if int(id) >= len(p.strs) {
				return fmt.Errorf("%w: text index out of range", ErrPartFormat)
			}
		}
		if t.start != next || t.end < t.start {
			return fmt.Errorf("%w: places do not tile the rows", ErrPartFormat)
		}
		next = t.end
	}
	if int(next) != len(p.day) {
		return fmt.Errorf("%w: places do not tile the rows", ErrPartFormat)
	}
	return nil
}

func (c *Cohort) holds(r int32) bool {
	for _, run := range c.runs {
		if r >= run[0] && r < run[1] {
			return true
		}
	}
	return false
}

func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

type encoder struct {
	w   io.Writer
	err error
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) u64(v uint64) { e.bytes(binary.LittleEndian.AppendUint64(nil, v)) }

func (e *encoder) u32s(s []uint32) { e.bytes(asBytes(s)) }

type decoder struct {
	r         io.Reader
	h         hash.Hash32
	remaining int64 // bytes left in the file: no length may claim more
	err       error
}

// raw reads n bytes without adding them to the checksum.
func (d *decoder) raw(n int) []byte {
	if d.err != nil || !d.take(int64(n)) {
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.err = err
		return nil
	}
	return b
}

func (d *decoder) bytes(n int) []byte {
	b := d.raw(n)
	if b != nil {
		d.h.Write(b)
	}
	return b
}

// take accounts for n bytes about to be read, refusing more than the file holds.
func (d *decoder) take(n int64) bool {
	if n > d.remaining {
		d.err = fmt.Errorf("%d bytes wanted, %d left", n, d.remaining)
		return false
	}
	d.remaining -= n
	return true
}

func (d *decoder) fill(b []byte) {
	if d.err != nil {
		return
	}
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.err = err
		return
	}
	d.h.Write(b)
}

func (d *decoder) u64() uint64 {
	b := d.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// count reads a length and refuses one beyond limit.
func (d *decoder) count(limit int) int {
	v := d.u64()
	if v > uint64(limit) {
		if d.err == nil {
			d.err = fmt.Errorf("length %d beyond %d", v, limit)
		}
		return 0
	}
	return int(v)
}

func (d *decoder) u32s(n int) []uint32 { return readArray[uint32](d, n) }

// readArray reads n fixed-width values straight into their array.
func readArray[T any](d *decoder, n int) []T {
	var zero T
	if d.err != nil || !d.take(int64(n)*int64(unsafe.Sizeof(zero))) {
		return nil
	}
	out := make([]T, n)
	d.fill(asBytes(out))
	return out
}

// checkCompanies verifies a read series' company counts: known ids, adding up to its rows.
func (s *series) checkCompanies(p *Part) error {
	n := 0
	for _, c := range s.companies {
		if int(c.id) >= len(p.strs) || c.rows <= 0 {
			return fmt.Errorf("%w: company counts", ErrPartFormat)
		}
		n += int(c.rows)
	}
	if n != len(s.rows) {
		return fmt.Errorf("%w: company counts add up to %d, not %d", ErrPartFormat, n, len(s.rows))
	}
	return nil
}
