package server

import (
	"encoding/base64"
	"errors"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// The JSON front's answers are written by a planned encoder rather than by protojson:
// protojson walks every message by reflection, sorting its fields on each call, and a
// band costs it about 100 us; the plans below are made once, at start, for every
// message of paymix.v1, and write the same JSON (field order, names, number and
// string formats, EmitDefaultValues) in a fraction of that. A message type the plans
// do not cover (google.protobuf.Any, Struct, most well-known types) goes to protojson
// whole; jsonfast_test.go holds the two to the same output.

// fastJSON is the gateway's marshaler: planned for responses, protojson otherwise
// (requests are decoded by the embedded JSONPb).
type fastJSON struct{ *runtime.JSONPb }

func (m fastJSON) Marshal(v any) ([]byte, error) {
	switch v := v.(type) {
	case proto.Message:
		if out, ok := encodePlanned(jsonBuffer(v), v); ok {
			return out, nil
		}
	case map[string]any: // a streamed line: {"result": ...}
		if len(v) == 1 {
			for key, value := range v {
				if msg, ok := value.(proto.Message); ok {
					out := append(appendString(append(jsonBuffer(msg), '{'), key), ':')
					if out, ok := encodePlanned(out, msg); ok {
						return append(out, '}'), nil
					}
				}
			}
		}
	}
	return m.JSONPb.Marshal(v)
}

// jsonBuffer is room for a message's JSON, which runs to about three times its
// binary size: growing the buffer on the way costs more than the writing.
func jsonBuffer(m proto.Message) []byte {
	if vt, ok := m.(vtMessage); ok {
		return make([]byte, 0, 256+3*vt.SizeVT())
	}
	return nil
}

// plan is how one message type is written: its fields in declaration order (as
// protojson writes them), with the JSON key of each already quoted.
type plan struct {
	fields []fieldPlan
}

type fieldPlan struct {
	fd    protoreflect.FieldDescriptor
	key   []byte // `"jsonName":`
	sub   *plan  // message fields and message map values
	time  bool   // google.protobuf.Timestamp
	other bool   // a type the plans do not cover: a message holding one falls back
	// What the descriptor says, read once: its methods are interface calls, and a band
	// asks them a few thousand times.
	presence, list, isMap bool
	kind                  protoreflect.Kind // of the value (a map's: of its values)
	enums                 [][]byte          // quoted enum names by number, nil where none
}

// plans is built once at start, for every message of paymix.v1, and only read after.
var plans = buildPlans()

func buildPlans() map[protoreflect.FullName]*plan {
	out := map[protoreflect.FullName]*plan{}
	var build func(md protoreflect.MessageDescriptor) *plan
	build = func(md protoreflect.MessageDescriptor) *plan {
		if p, ok := out[md.FullName()]; ok {
			return p
		}
		p := &plan{}
		out[md.FullName()] = p // before the fields: a recursive type refers to itself
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			f := fieldPlan{fd: fd, key: append(appendString(nil, fd.JSONName()), ':'),
				presence: fd.HasPresence(), list: fd.IsList(), isMap: fd.IsMap(), kind: fd.Kind()}
			msg, value := fd.Message(), fd
			if fd.IsMap() {
				value = fd.MapValue()
				msg, f.kind = value.Message(), value.Kind()
				f.other = fd.MapKey().Kind() != protoreflect.StringKind
			}
			if e := value.Enum(); e != nil {
				f.enums = enumNames(e)
			}
			switch {
			case msg == nil:
			case msg.FullName() == "google.protobuf.Timestamp":
				f.time = true
			case msg.ParentFile().Package() == "paymix.v1":
				f.sub = build(msg)
			default:
				f.other = true
			}
			p.fields = append(p.fields, f)
		}
		return p
	}
	protoregistry.GlobalFiles.RangeFilesByPackage("paymix.v1", func(fd protoreflect.FileDescriptor) bool {
		msgs := fd.Messages()
		for i := range msgs.Len() {
			build(msgs.Get(i))
		}
		return true
	})
	return out
}

// enumNames lists an enum's quoted value names by number (the first name of each),
// for numbers 0-255; others, and numbers the enum lacks, are looked up or written as
// numbers, as protojson does.
func enumNames(e protoreflect.EnumDescriptor) [][]byte {
	var out [][]byte
	values := e.Values()
	for i := range values.Len() {
		v := values.Get(i)
		n := int(v.Number())
		if n < 0 || n > 255 {
			continue
		}
		for len(out) <= n {
			out = append(out, nil)
		}
		if out[n] == nil { // values come in declaration order: an alias keeps the first name
			out[n] = appendString(nil, string(v.Name()))
		}
	}
	return out
}

var _ = pb.File_paymix_v1_types_proto // the plans need paymix.v1 registered first

// encodePlanned appends m as JSON; ok is false when its type has no plan or a value
// cannot be written (invalid UTF-8), so that protojson answers (or errs) instead.
func encodePlanned(out []byte, m proto.Message) ([]byte, bool) {
	r := m.ProtoReflect()
	p := plans[r.Descriptor().FullName()]
	if p == nil {
		return nil, false
	}
	out, err := p.append(out, r)
	return out, err == nil
}

var (
	errInvalidUTF8 = errors.New("invalid UTF-8")
	errUnplanned   = errors.New("a type the plans do not cover")
)

func (p *plan) append(out []byte, m protoreflect.Message) ([]byte, error) {
	out = append(out, '{')
	first := true
	var err error
	for i := range p.fields {
		f := &p.fields[i]
		fd := f.fd
		// EmitDefaultValues: fields without presence (plain scalars, lists, maps) are
		// always written; fields with presence only when set.
		if f.presence && !m.Has(fd) {
			continue
		}
		if f.other {
			return nil, errUnplanned
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, f.key...)
		v := m.Get(fd)
		switch {
		case f.list:
			list := v.List()
			out = append(out, '[')
			for j := range list.Len() {
				if j > 0 {
					out = append(out, ',')
				}
				if out, err = f.appendValue(out, fd, list.Get(j)); err != nil {
					return nil, err
				}
			}
			out = append(out, ']')
		case f.isMap:
			mp := v.Map()
			keys := make([]string, 0, mp.Len())
			mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k.String())
				return true
			})
			slices.Sort(keys)
			out = append(out, '{')
			for j, k := range keys {
				if j > 0 {
					out = append(out, ',')
				}
				if out, err = appendStringChecked(out, k); err != nil {
					return nil, err
				}
				out = append(out, ':')
				if out, err = f.appendValue(out, fd.MapValue(), mp.Get(protoreflect.ValueOfString(k).MapKey())); err != nil {
					return nil, err
				}
			}
			out = append(out, '}')
		default:
			if out, err = f.appendValue(out, fd, v); err != nil {
				return nil, err
			}
		}
	}
	return append(out, '}'), nil
}

func (f *fieldPlan) appendValue(out []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) ([]byte, error) {
	switch f.kind {
	case protoreflect.BoolKind:
		return strconv.AppendBool(out, v.Bool()), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return strconv.AppendInt(out, v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(out, v.Uint(), 10), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return append(strconv.AppendInt(append(out, '"'), v.Int(), 10), '"'), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return append(strconv.AppendUint(append(out, '"'), v.Uint(), 10), '"'), nil
	case protoreflect.FloatKind:
		return appendFloat(out, v.Float(), 32), nil
	case protoreflect.DoubleKind:
		return appendFloat(out, v.Float(), 64), nil
	case protoreflect.StringKind:
		return appendStringChecked(out, v.String())
	case protoreflect.BytesKind:
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, v.Bytes())
		return append(out, '"'), nil
	case protoreflect.EnumKind:
		if n := v.Enum(); n >= 0 && int(n) < len(f.enums) && f.enums[n] != nil {
			return append(out, f.enums[n]...), nil
		}
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return appendString(out, string(ev.Name())), nil
		}
		return strconv.AppendInt(out, int64(v.Enum()), 10), nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if f.time {
			return appendTimestamp(out, v.Message())
		}
		return f.sub.append(out, v.Message())
	}
	return nil, errors.New("unknown kind")
}

// appendTimestamp writes a google.protobuf.Timestamp as protojson does: RFC 3339 in
// UTC with 0, 3, 6 or 9 fractional digits.
func appendTimestamp(out []byte, m protoreflect.Message) ([]byte, error) {
	fields := m.Descriptor().Fields()
	secs, nanos := m.Get(fields.ByNumber(1)).Int(), m.Get(fields.ByNumber(2)).Int()
	if secs < -62135596800 || secs > 253402300799 || nanos < 0 || nanos > 999999999 {
		return nil, errors.New("timestamp out of range")
	}
	t := time.Unix(secs, nanos).UTC()
	out = append(out, '"')
	out = t.AppendFormat(out, "2006-01-02T15:04:05")
	if nanos != 0 {
		frac := strconv.AppendInt(nil, nanos+1e9, 10)[1:] // nine digits
		switch {
		case nanos%1e6 == 0:
			frac = frac[:3]
		case nanos%1e3 == 0:
			frac = frac[:6]
		}
		out = append(append(out, '.'), frac...)
	}
	return append(out, 'Z', '"'), nil
}

// appendFloat formats a number as protojson does (encoding/json's rule: 'f' unless
// tiny or huge, then 'e' with a short exponent; NaN and infinities as strings).
func appendFloat(out []byte, n float64, bitSize int) []byte {
	switch {
	case math.IsNaN(n):
		return append(out, `"NaN"`...)
	case math.IsInf(n, +1):
		return append(out, `"Infinity"`...)
	case math.IsInf(n, -1):
		return append(out, `"-Infinity"`...)
	}
	// Whole numbers below 2^53 (most of a band's figures are whole dollars) are written
	// as integers, which is what the shortest 'f' form of them is; -0 keeps its sign.
	if n == math.Trunc(n) && math.Abs(n) < 1<<53 && (n != 0 || !math.Signbit(n)) && (bitSize == 64 || math.Abs(n) < 1<<24) {
		return strconv.AppendInt(out, int64(n), 10)
	}
	format := byte('f')
	if abs := math.Abs(n); abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) || bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	out = strconv.AppendFloat(out, n, format, -1, bitSize)
	if format == 'e' {
		if k := len(out); k >= 4 && out[k-4] == 'e' && out[k-3] == '-' && out[k-2] == '0' {
			out[k-2] = out[k-1]
			out = out[:k-1]
		}
	}
	return out
}

// appendString writes a string known to be valid UTF-8 (field names, enum names).
func appendString(out []byte, s string) []byte {
	out, _ = appendStringChecked(out, s)
	return out
}

// appendStringChecked escapes as protojson does: quotes, backslashes and control
// characters only; invalid UTF-8 is an error.
func appendStringChecked(out []byte, s string) ([]byte, error) {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= ' ' && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, errInvalidUTF8
			}
			i += n
			continue
		}
		out = append(out, s[start:i]...)
		out = append(out, '\\')
		switch c {
		case '"', '\\':
			out = append(out, c)
		case '\b':
			out = append(out, 'b')
		case '\f':
			out = append(out, 'f')
		case '\n':
			out = append(out, 'n')
		case '\r':
			out = append(out, 'r')
		case '\t':
			out = append(out, 't')
		default:
			out = append(out, 'u')
			out = append(out, "0000"[1+(bits.Len32(uint32(c))-1)/4:]...)
			out = strconv.AppendUint(out, uint64(c), 16)
		}
		i++
		start = i
	}
	out = append(out, s[start:]...)
	return append(out, '"'), nil
}
