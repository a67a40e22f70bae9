package codec

import (
	"fmt"
	"reflect"
	"unsafe"
)

type raw[T any] struct{ size int }

// Raw returns the codec that copies the memory of pointer-free values: T
// must hold only numbers, bools, fixed-size arrays and structs of them.
// Anything else is an error that names the part of T holding a pointer and
// points to Gob. Encoding a block is one copy of its bytes.
func Raw[T any]() (Codec[T], error) {
	t := reflect.TypeFor[T]()
	if t.Kind() == reflect.Interface {
		return nil, fmt.Errorf("codec: Raw: %v is an interface, which holds a pointer; use codec.Gob[%v]() (and gob.Register the concrete types)", t, t)
	}
	if where, bad := findPointer(t, t.String()); bad != nil {
		at := ""
		if bad != t {
			at = fmt.Sprintf(" at %s (%v)", where, bad)
		}
		return nil, fmt.Errorf("codec: Raw: %v holds a pointer%s, whose target would not exist on another rank; "+
			"use codec.Gob[%v]() or a codec of your own, or a type of only numbers, bools, fixed-size arrays and structs of them",
			t, at, t)
	}
	return raw[T]{size: int(t.Size())}, nil
}

// IsRaw reports whether T can travel as raw bytes (Raw[T] succeeds).
func IsRaw[T any]() bool {
	_, err := Raw[T]()
	return err == nil
}

func (c raw[T]) Append(dst []byte, vs []T) ([]byte, error) {
	if len(vs) == 0 || c.size == 0 {
		return dst, nil
	}
	return append(dst, unsafe.Slice((*byte)(unsafe.Pointer(&vs[0])), len(vs)*c.size)...), nil
}

func (c raw[T]) Decode(src []byte, vs []T) error {
	if len(src) != len(vs)*c.size {
		return fmt.Errorf("codec: Raw: %d bytes do not hold %d values of %d bytes", len(src), len(vs), c.size)
	}
	if len(vs) == 0 || c.size == 0 {
		return nil
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&vs[0])), len(src)), src)
	return nil
}
