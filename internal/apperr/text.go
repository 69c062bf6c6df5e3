package apperr

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// UnsafeText is why free text was refused.
const UnsafeText = "must not contain NUL or bidirectional control characters (U+202A to U+202E, U+2066 to U+2069)"

// SafeText reports whether s may be stored as free text (a name, a note, a
// reason): it must not contain NUL, which C strings and some drivers cut
// at, nor the bidirectional embeddings, overrides and isolates U+202A to
// U+202E and U+2066 to U+2069, which make text display in another order
// than it is stored in (a name or a note showing other words than it holds).
func SafeText(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r == 0 || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
	})
}

// CheckText is the one check of free text in decoded input: it walks v (a
// struct decoded from JSON, or a pointer to one) and returns a 422 naming
// every string field, by its JSON path, that is not SafeText; nil when all
// are. Every JSON body of the API and every WebSocket client message passes
// through it, so no text field is left out.
func CheckText(v any) error {
	f := Fields{}
	walkText(reflect.ValueOf(v), "", f)
	return f.Err()
}

func walkText(v reflect.Value, path string, f Fields) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkText(v.Elem(), path, f)
		}
	case reflect.String:
		if !SafeText(v.String()) {
			f.Add(path, UnsafeText)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() && !sf.Anonymous {
				continue // JSON promotes the fields of an unexported embedded struct
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case sf.Anonymous && name == "":
				walkText(v.Field(i), path, f) // embedded: its fields are the outer object's
				continue
			case name == "":
				name = sf.Name
			}
			walkText(v.Field(i), join(path, name), f)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // raw bytes (json.RawMessage) are not text
		}
		for i := range v.Len() {
			walkText(v.Index(i), path+"["+strconv.Itoa(i)+"]", f)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			if k.Kind() == reflect.String && !SafeText(k.String()) {
				f.Add(path, UnsafeText)
			}
			walkText(iter.Value(), join(path, fmt.Sprint(k)), f)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
