package codec

import "reflect"

// findPointer returns the path to the first part of t that holds a pointer,
// and that part's type; a nil type when t is pointer-free.
func findPointer(t reflect.Type, path string) (string, reflect.Type) {
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
