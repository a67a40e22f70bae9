package shm

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type particle struct {
	Pos, Vel [3]float64
	ID       int64
	Tag      [8]byte
	Live     bool
}

type named struct {
	ID   int
	Name string
}

type nested struct {
	A [2]struct {
		X float64
		P *int
	}
}

func TestCheckElemAcceptsPointerFreeTypes(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[float64](), reflect.TypeFor[uint8](), reflect.TypeFor[uintptr](),
		reflect.TypeFor[complex128](), reflect.TypeFor[[4]int32](), reflect.TypeFor[particle](),
		reflect.TypeFor[struct {
			X    float32
			_    [0]*int
			Tail [0]string
		}](),
	} {
		assert.NoError(t, checkElem(typ), "%v", typ)
	}
}

func TestCheckElemRejectsPointers(t *testing.T) {
	for _, tc := range []struct {
		typ   reflect.Type
		where string
	}{
		{reflect.TypeFor[string](), ";"},
		{reflect.TypeFor[*int](), ";"},
		{reflect.TypeFor[[]float64](), ";"},
		{reflect.TypeFor[map[int]int](), ";"},
		{reflect.TypeFor[chan int](), ";"},
		{reflect.TypeFor[func()](), ";"},
		{reflect.TypeFor[named](), " at named.Name (string);"},
		{reflect.TypeFor[nested](), " at nested.A[i].P (*int);"},
		{reflect.TypeFor[[4]*int](), " at [4]*int[i] (*int);"},
	} {
		t.Run(tc.typ.String(), func(t *testing.T) {
			err := checkElem(tc.typ)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "element type "+tc.typ.String()+" holds a pointer"+tc.where)
			assert.Contains(t, err.Error(), "[16]byte instead of a string")
		})
	}
}

func TestCheckElemRejectsInterfacesAndEmptyTypes(t *testing.T) {
	err := checkElem(reflect.TypeFor[any]())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "element type interface {} is an interface")

	err = checkElem(reflect.TypeFor[struct{}]())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has size 0")
	assert.Contains(t, err.Error(), "use a Go slice")
}

func TestNewRejectsPointerTypesBeforeMapping(t *testing.T) {
	a, err := New[named](10)
	require.Error(t, err)
	assert.Nil(t, a)
	assert.Contains(t, err.Error(), "shm: element type shm.named holds a pointer at named.Name (string)")

	r, err := NewReplicated[*int](10, nil)
	require.Error(t, err)
	assert.Nil(t, r)
	assert.Contains(t, err.Error(), "element type *int holds a pointer")
}
