package shm

import (
	"fmt"
	"reflect"
)

// checkElem reports whether values of type t may live off the Go heap: they
// must have a fixed, non-zero size and hold no pointer the garbage collector
// would need to see (no pointers, strings, slices, maps, channels, functions
// or interfaces, at any depth).
func checkElem(t reflect.Type) error {
	if t == nil || t.Kind() == reflect.Interface {
		return fmt.Errorf("shm: element type %v is an interface, which holds a pointer; "+
			"use a concrete type of numbers, bools, fixed-size arrays and structs of them", t)
	}
	if where, bad := findPointer(t, t.Name()); bad != nil {
		at := ""
		if bad != t {
			at = fmt.Sprintf(" at %s (%v)", where, bad)
		}
		return fmt.Errorf("shm: element type %v holds a pointer%s; the garbage collector "+
			"never scans off-heap memory, so anything it points to could be freed under it. "+
			"Use only numbers, bools, fixed-size arrays and structs of them "+
			"(for example [16]byte instead of a string, an index into a Go slice instead of a pointer)",
			t, at)
	}
	if t.Size() == 0 {
		return fmt.Errorf("shm: element type %v has size 0; an array of it needs no memory, so use a Go slice", t)
	}
	return nil
}

// findPointer returns the path to the first part of t that holds a pointer,
// and that part's type; a nil type when there is none.
func findPointer(t reflect.Type, path string) (string, reflect.Type) {
	if path == "" {
		path = t.String()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return "", nil
	case reflect.Array:
		if t.Len() == 0 {
			return "", nil
		}
		return findPointer(t.Elem(), path+"[i]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if where, bad := findPointer(f.Type, path+"."+f.Name); bad != nil {
				return where, bad
			}
		}
		return "", nil
	}
	return path, t
}
