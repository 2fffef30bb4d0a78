package emulator

import (
	"encoding/json"
	"sort"
	"strconv"
)

// Values built from a JSON schema: tool-call arguments and structured
// output. The result is deterministic, respects types, enums, const,
// defaults and numeric/array bounds, and fills the required properties
// (all properties when none are required, so the output is not empty).

const maxSchemaDepth = 8

// exampleFromSchema returns JSON for a value matching the schema. It
// never fails: an unusable schema yields an empty object.
func exampleFromSchema(schema json.RawMessage) []byte {
	var s map[string]any
	if len(schema) == 0 || json.Unmarshal(schema, &s) != nil {
		return []byte("{}")
	}
	v := exampleValue(s, "value", 0)
	if _, isObj := v.(orderedObject); !isObj {
		if _, isMap := v.(map[string]any); !isMap && s["type"] == nil {
			v = orderedObject{}
		}
	}
	return appendValue(nil, v)
}

// orderedObject keeps keys in a fixed order so tool arguments are stable.
type orderedObject []kv

type kv struct {
	k string
	v any
}

func exampleValue(s map[string]any, name string, depth int) any {
	if c, ok := s["const"]; ok {
		return c
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	if d, ok := s["default"]; ok {
		return d
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := s[k].([]any); ok {
			for _, a := range alts {
				if am, ok := a.(map[string]any); ok && am["type"] != "null" {
					return exampleValue(am, name, depth+1)
				}
			}
		}
	}
	typ := ""
	switch t := s["type"].(type) {
	case string:
		typ = t
	case []any:
		for _, x := range t {
			if xs, ok := x.(string); ok && xs != "null" {
				typ = xs
				break
			}
		}
	}
	if typ == "" {
		if _, ok := s["properties"]; ok {
			typ = "object"
		} else if _, ok := s["items"]; ok {
			typ = "array"
		}
	}
	if depth > maxSchemaDepth {
		return nil
	}
	switch typ {
	case "object":
		props, _ := s["properties"].(map[string]any)
		var names []string
		if req, ok := s["required"].([]any); ok && len(req) > 0 {
			for _, r := range req {
				if rs, ok := r.(string); ok {
					names = append(names, rs)
				}
			}
		} else {
			for k := range props {
				names = append(names, k)
			}
			sort.Strings(names)
		}
		obj := orderedObject{}
		for _, n := range names {
			ps, _ := props[n].(map[string]any)
			if ps == nil {
				ps = map[string]any{"type": "string"}
			}
			obj = append(obj, kv{n, exampleValue(ps, n, depth+1)})
		}
		return obj
	case "array":
		items, _ := s["items"].(map[string]any)
		if items == nil {
			items = map[string]any{"type": "string"}
		}
		n := 1
		if mi, ok := s["minItems"].(float64); ok && int(mi) > n {
			n = min(int(mi), 16)
		}
		if ma, ok := s["maxItems"].(float64); ok && int(ma) < n {
			n = int(ma)
		}
		arr := make([]any, n)
		for i := range arr {
			arr[i] = exampleValue(items, name, depth+1)
		}
		return arr
	case "integer", "number":
		v := 1.0
		if typ == "number" {
			v = 1.5
		}
		if mn, ok := s["minimum"].(float64); ok && v < mn {
			v = mn
		}
		if mn, ok := s["exclusiveMinimum"].(float64); ok && v <= mn {
			v = mn + 1
		}
		if mx, ok := s["maximum"].(float64); ok && v > mx {
			v = mx
		}
		if mx, ok := s["exclusiveMaximum"].(float64); ok && v >= mx {
			v = mx - 1
		}
		if typ == "integer" {
			return int64(v)
		}
		return v
	case "boolean":
		return true
	case "null":
		return nil
	default:
		str := exampleString(s, name)
		return str
	}
}

func exampleString(s map[string]any, name string) string {
	switch s["format"] {
	case "date":
		return "2025-01-01"
	case "date-time":
		return "2025-01-01T00:00:00Z"
	case "email":
		return "user@example.com"
	case "uri", "url":
		return "https://example.com/"
	case "uuid":
		return "00000000-0000-4000-8000-000000000000"
	}
	v := "sample " + name
	if mn, ok := s["minLength"].(float64); ok {
		for len(v) < int(mn) {
			v += "x"
		}
	}
	if mx, ok := s["maxLength"].(float64); ok && len(v) > int(mx) {
		v = v[:int(mx)]
	}
	return v
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case orderedObject:
		b = append(b, '{')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, e.k)
			b = append(b, ':')
			b = appendValue(b, e.v)
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e)
		}
		return append(b, ']')
	case string:
		return appendJSONString(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case nil:
		return append(b, "null"...)
	default:
		j, err := json.Marshal(x)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, j...)
	}
}
