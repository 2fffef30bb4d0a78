package openai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func decodeEmbeddingRequest(t *testing.T, body string) (*EmbeddingRequest, *Error) {
	t.Helper()
	var r EmbeddingRequest
	if err := Decode(strings.NewReader(body), &r); err != nil {
		return nil, err
	}
	return &r, r.Validate()
}

func TestEmbeddingInputShapes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		input  string
		texts  []string
		tokens [][]int
	}{
		{"string", `"hello"`, []string{"hello"}, nil},
		{"strings", `["a","b","c"]`, []string{"a", "b", "c"}, nil},
		{"token ids", `[15339, 1917]`, nil, [][]int{{15339, 1917}}},
		{"token id arrays", `[[15339],[1917, 0]]`, nil, [][]int{{15339}, {1917, 0}}},
		{"whitespace", ` [ [ 1 ] , [ 2 ] ] `, nil, [][]int{{1}, {2}}},
		{"unicode", `["caf\u00e9 ✓"]`, []string{"café ✓"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeEmbeddingRequest(t, `{"model":"m","input":`+tc.input+`}`)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Input.Texts, tc.texts) || !reflect.DeepEqual(r.Input.Tokens, tc.tokens) {
				t.Fatalf("texts %q tokens %v", r.Input.Texts, r.Input.Tokens)
			}
			if r.Input.Len() != max(len(tc.texts), len(tc.tokens)) {
				t.Fatalf("Len %d", r.Input.Len())
			}
		})
	}
}

func TestEmbeddingRequestFields(t *testing.T) {
	r, err := decodeEmbeddingRequest(t, `{"model":"m","input":"x","encoding_format":"base64","dimensions":256,
		"user":{"id":"u"},"extra_body":{"input_type":"search_query"},"unknown":[1]}`)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Base64() || *r.Dimensions != 256 || r.InputTypeValue() != "search_query" {
		t.Fatalf("%+v", r)
	}
	// Top level wins over extra_body.
	r, _ = decodeEmbeddingRequest(t, `{"model":"m","input":"x","input_type":"clustering","extra_body":{"input_type":"search_query"}}`)
	if r.InputTypeValue() != "clustering" || r.Base64() {
		t.Fatalf("%+v", r)
	}
}

func TestEmbeddingRequestErrors(t *testing.T) {
	many := "[" + strings.Repeat(`"x",`, MaxEmbeddingInputs) + `"x"]`
	for _, tc := range []struct {
		name, body, param, msg string
	}{
		{"no model", `{"input":"x"}`, "model", "model"},
		{"no input", `{"model":"m"}`, "input", "Missing required parameter"},
		{"null input", `{"model":"m","input":null}`, "input", "Missing required parameter"},
		{"empty list", `{"model":"m","input":[]}`, "input", "empty array"},
		{"empty string", `{"model":"m","input":""}`, "input", "must not be empty"},
		{"empty element", `{"model":"m","input":["a",""]}`, "input[1]", "'input[1]' must not be empty"},
		{"empty token list", `{"model":"m","input":[[1],[]]}`, "input[1]", "must not be empty"},
		{"too many", `{"model":"m","input":` + many + `}`, "input", "at most 2048"},
		{"number", `{"model":"m","input":42}`, "input", "must be a string"},
		{"object", `{"model":"m","input":{"a":1}}`, "input", "must be a string"},
		{"mixed strings", `{"model":"m","input":["a",1]}`, "input[1]", "must be a string like"},
		{"null element", `{"model":"m","input":["a",null]}`, "input[1]", "must be a string like"},
		{"float token", `{"model":"m","input":[1,2.5]}`, "input[1]", "token id"},
		{"exponent token", `{"model":"m","input":[1e3]}`, "input[0]", "token id"},
		{"negative token", `{"model":"m","input":[-1]}`, "input[0]", "token id"},
		{"huge token", `{"model":"m","input":[99999999999]}`, "input[0]", "token id"},
		{"string token", `{"model":"m","input":[1,"a"]}`, "input[1]", "token id"},
		{"nested bad token", `{"model":"m","input":[[1],[2,"x"]]}`, "input[1][1]", "token id"},
		{"mixed nesting", `{"model":"m","input":[[1],2]}`, "input[1]", "array of token ids"},
		{"bad format", `{"model":"m","input":"x","encoding_format":"int8"}`, "encoding_format", "'float' and 'base64'"},
		{"zero dimensions", `{"model":"m","input":"x","dimensions":0}`, "dimensions", "at least 1"},
		{"bad input_type", `{"model":"m","input":"x","input_type":"query"}`, "input_type", "search_document"},
		{"bad nested input_type", `{"model":"m","input":"x","extra_body":{"input_type":"q"}}`, "input_type", "search_query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeEmbeddingRequest(t, tc.body)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Status != 400 || err.Type != "invalid_request_error" || err.Param == nil || *err.Param != tc.param || !strings.Contains(err.Message, tc.msg) {
				p := "<nil>"
				if err.Param != nil {
					p = *err.Param
				}
				t.Fatalf("%d %s param=%s: %s", err.Status, err.Type, p, err.Message)
			}
		})
	}
	if _, err := decodeEmbeddingRequest(t, `{"model":"m","input":`+strings.Replace(many, `"x",`, "", 1)+`}`); err != nil {
		t.Fatalf("exactly %d inputs rejected: %v", MaxEmbeddingInputs, err)
	}
	// A wrongly typed known field is still a decode error with its param.
	if _, err := decodeEmbeddingRequest(t, `{"model":"m","input":"x","dimensions":"256"}`); err == nil || *err.Param != "dimensions" {
		t.Fatalf("%v", err)
	}
}

func TestVectorJSON(t *testing.T) {
	v := []float32{0.1, -0.25, 1e-7, 0, 3.4028235e38, float32(math.Pi)}
	b, err := json.Marshal(Vector{Floats: v})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[0.1,-0.25,1e-07,0,3.4028235e+38,3.1415927]`; string(b) != want {
		t.Fatalf("float form %s, want %s", b, want)
	}
	var back Vector
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Floats, v) || back.Base64 {
		t.Fatalf("float round trip %v %v", back, err)
	}

	b, err = json.Marshal(Vector{Floats: v, Base64: true})
	if err != nil {
		t.Fatal(err)
	}
	// Decode as openai-python does: base64 → bytes → numpy.frombuffer(dtype="float32") (little-endian).
	var s string
	json.Unmarshal(b, &s)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != 4*len(v) {
		t.Fatalf("base64 form %s: %v", b, err)
	}
	for i, f := range v {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != f {
			t.Errorf("value %d: %v, want %v", i, got, f)
		}
	}
	// Known bytes: 1.0f is 00 00 80 3f.
	b, _ = json.Marshal(Vector{Floats: []float32{1}, Base64: true})
	if string(b) != `"AACAPw=="` {
		t.Fatalf("1.0 as %s", b)
	}
	back = Vector{}
	if err := json.Unmarshal([]byte(`"AACAPw=="`), &back); err != nil || !back.Base64 || !reflect.DeepEqual(back.Floats, []float32{1}) {
		t.Fatalf("%v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`"AACA"`), &back); err == nil {
		t.Fatal("3 bytes decoded as float32s")
	}
	if _, err := json.Marshal(Vector{Floats: []float32{float32(math.NaN())}}); err == nil {
		t.Fatal("NaN marshalled")
	}
}

func TestEmbeddingListJSON(t *testing.T) {
	l := EmbeddingList{Object: "list", Model: "text-embedding-3-small",
		Data:  []Embedding{{Object: "embedding", Index: 0, Embedding: Vector{Floats: []float32{0.5, -1}}}},
		Usage: EmbeddingsUsage{PromptTokens: 3, TotalTokens: 3}}
	b, _ := json.Marshal(l)
	want := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":3,"total_tokens":3}}`
	if string(b) != want {
		t.Fatalf("%s\nwant %s", b, want)
	}
}

func BenchmarkVectorBase64(b *testing.B) {
	v := make([]float32, 1024)
	for i := range v {
		v[i] = float32(i) / 1024
	}
	for b.Loop() {
		if _, err := (Vector{Floats: v, Base64: true}).MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleVector() {
	b, _ := json.Marshal(Vector{Floats: []float32{1, 0.5}, Base64: true})
	fmt.Println(string(b))
	// Output: "AACAPwAAAD8="
}
