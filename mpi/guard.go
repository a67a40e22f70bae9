package mpi

import (
	"fmt"

	"github.com/numapool/numapool/mpi/codec"
)

// guarded turns a panic in a codec into an error, so that a faulty codec
// fails the call on every rank instead of leaving the other ranks waiting.
type guarded[T any] struct{ c codec.Codec[T] }

func (g guarded[T]) Append(dst []byte, vs []T) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = dst, fmt.Errorf("codec %T panicked while encoding: %v", g.c, r)
		}
	}()
	return g.c.Append(dst, vs)
}

func (g guarded[T]) Decode(src []byte, vs []T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("codec %T panicked while decoding: %v", g.c, r)
		}
	}()
	return g.c.Decode(src, vs)
}
