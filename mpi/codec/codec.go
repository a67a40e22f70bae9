// Package codec turns blocks of values into bytes and back, for values that
// travel between MPI ranks.
//
// Raw copies the memory of pointer-free types (numbers, bools, fixed-size
// arrays and structs of them) as it is: no encoding cost, but every rank
// must run the same binary on the same kind of CPU (byte order and struct
// layout are not converted). Gob encodes any type encoding/gob accepts, at
// gob's cost, for values that hold pointers, strings, slices or maps.
package codec

// A Codec encodes blocks of values of type T.
//
// Append appends the encoding of vs to dst and returns the extended buffer.
// Decode fills vs, whose length is the number of values that were encoded,
// from src; src is not retained.
type Codec[T any] interface {
	Append(dst []byte, vs []T) ([]byte, error)
	Decode(src []byte, vs []T) error
}
