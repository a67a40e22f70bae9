package codec

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

type gobCodec[T any] struct{}

// Gob returns the codec that encodes blocks with encoding/gob, for types
// that hold pointers, strings, slices or maps. Each block is a gob stream
// of its own (type description included), so blocks decode independently.
// Interface values need gob.Register of their concrete types on every rank.
func Gob[T any]() Codec[T] { return gobCodec[T]{} }

// appender lets a gob.Encoder write into a caller's slice.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

func (gobCodec[T]) Append(dst []byte, vs []T) ([]byte, error) {
	a := appender{b: dst}
	if err := gob.NewEncoder(&a).Encode(vs); err != nil {
		return dst, fmt.Errorf("codec: Gob: encoding %d values of %T: %w", len(vs), vs, err)
	}
	return a.b, nil
}

func (gobCodec[T]) Decode(src []byte, vs []T) error {
	var got []T
	if err := gob.NewDecoder(bytes.NewReader(src)).Decode(&got); err != nil {
		return fmt.Errorf("codec: Gob: decoding %d values of %T: %w", len(vs), vs, err)
	}
	if len(got) != len(vs) {
		return fmt.Errorf("codec: Gob: the block holds %d values, want %d", len(got), len(vs))
	}
	copy(vs, got)
	return nil
}
