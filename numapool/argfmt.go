package numapool

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxArgLen bounds how much of a task's argument a TaskError prints.
const maxArgLen = 120

// shortArg prints a task's argument as %v would, cut to about maxArgLen
// bytes. Its cost is bounded by maxArgLen, not by the argument's size: a
// slice, array or map is printed one element at a time until the budget
// runs out (a failing task over a 20,000,000-int slice does not format 20
// million ints), and a string is cut before it is copied. A value with a
// String or Error method is printed by that method, whose cost is its own.
func shortArg(a any) string {
	var b argWriter
	b.value(reflect.ValueOf(a), 0)
	s := b.String()
	if b.cut || len(s) > maxArgLen {
		s = cutRunes(s, maxArgLen) + "…"
	}
	return strings.ReplaceAll(s, "\n", `\n`)
}

// argWriter is a strings.Builder that knows when it has written enough.
type argWriter struct {
	strings.Builder
	cut bool // output was dropped
}

func (b *argWriter) full() bool {
	if b.Len() >= maxArgLen {
		b.cut = true
		return true
	}
	return false
}

// maxArgDepth stops the walk into nested values; deeper ones print as "…".
const maxArgDepth = 4

func (b *argWriter) value(v reflect.Value, depth int) {
	if b.full() {
		return
	}
	if !v.IsValid() {
		b.WriteString("<nil>")
		return
	}
	if t := v.Type(); v.CanInterface() && (t.Implements(errorType) || t.Implements(stringerType)) {
		switch x := v.Interface().(type) {
		case error:
			b.WriteString(x.Error())
			return
		case fmt.Stringer:
			if v.Kind() != reflect.Pointer || !v.IsNil() {
				b.WriteString(x.String())
				return
			}
		}
	}
	if depth > maxArgDepth {
		b.WriteString("…")
		b.cut = true
		return
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if len(s) > maxArgLen {
			s, b.cut = cutRunes(s, maxArgLen), true
		}
		b.WriteString(s)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(' ')
			}
			if b.full() {
				return
			}
			b.value(v.Index(i), depth+1)
		}
		b.WriteByte(']')
	case reflect.Map:
		b.WriteString("map[")
		it := v.MapRange()
		for i := 0; it.Next(); i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			if b.full() {
				return
			}
			b.value(it.Key(), depth+1)
			b.WriteByte(':')
			b.value(it.Value(), depth+1)
		}
		b.WriteByte(']')
	case reflect.Struct:
		b.WriteByte('{')
		for i := range v.NumField() {
			if i > 0 {
				b.WriteByte(' ')
			}
			if b.full() {
				return
			}
			b.value(v.Field(i), depth+1)
		}
		b.WriteByte('}')
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("<nil>")
			return
		}
		if depth == 0 {
			// %v prints &{...} for a pointer at the top and an address below.
			switch v.Elem().Kind() {
			case reflect.Struct, reflect.Slice, reflect.Array, reflect.Map:
				b.WriteByte('&')
				b.value(v.Elem(), depth+1)
				return
			}
		}
		// v.Pointer, not v.Interface: the pointer may sit in an
		// unexported field, which Interface refuses with a panic.
		b.WriteString("0x")
		b.WriteString(strconv.FormatUint(uint64(v.Pointer()), 16))
	case reflect.Interface:
		b.value(v.Elem(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	default:
		// Numbers, bools, channels, funcs: fixed-size prints. Unexported
		// fields cannot be passed to fmt as values; format the reflect
		// value itself, which fmt prints as its content.
		fmt.Fprintf(b, "%v", v)
	}
}

var (
	errorType    = reflect.TypeFor[error]()
	stringerType = reflect.TypeFor[fmt.Stringer]()
)

// cutRunes returns the longest prefix of s of at most n bytes that ends on
// a rune boundary.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
