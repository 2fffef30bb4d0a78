package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// MaxEmbeddingInputs is OpenAI's limit on the number of inputs in one embeddings request; clients batch below it.
const MaxEmbeddingInputs = 2048

// Encoding formats of embedding vectors.
const (
	EncodingFloat  = "float"
	EncodingBase64 = "base64"
)

// EmbeddingInputTypes are the values input_type may take (Cohere's names; other model families ignore it).
var EmbeddingInputTypes = []string{"search_document", "search_query", "classification", "clustering"}

// EmbeddingRequest is POST /embeddings. "user" and anything else unknown is accepted and ignored.
type EmbeddingRequest struct {
	Model          string         `json:"model"`
	Input          EmbeddingInput `json:"input"`
	EncodingFormat string         `json:"encoding_format"`
	Dimensions     *int           `json:"dimensions"`
	// InputType is not OpenAI's: it selects Cohere's input_type. It is also read from a nested extra_body, which is
	// where clients put provider extras when their SDK does not merge them into the top level.
	InputType string `json:"input_type"`
	ExtraBody *struct {
		InputType string `json:"input_type"`
	} `json:"extra_body"`
}

// EmbeddingInput is "input" in any of its four shapes: a string, an array of strings, one array of token ids, or an
// array of token-id arrays. Exactly one of Texts and Tokens is set after a successful decode.
//
// The shape is checked while decoding but a bad shape does not fail the decode: it is kept and reported by Validate,
// so the client gets a 400 that names the offending element (input[3]) rather than a generic JSON error.
type EmbeddingInput struct {
	Texts  []string
	Tokens [][]int
	// Set records that "input" was present and not null.
	Set bool
	err *Error
}

// Len is the number of inputs, each of which becomes one embedding.
func (in *EmbeddingInput) Len() int { return len(in.Texts) + len(in.Tokens) }

func (in *EmbeddingInput) UnmarshalJSON(b []byte) error {
	*in = EmbeddingInput{}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	in.Set = true
	in.err = in.parse(b)
	return nil
}

func inputError(param, format string, args ...any) *Error {
	return BadRequest(format, args...).WithParam(param)
}

func (in *EmbeddingInput) parse(b []byte) *Error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return inputError("input", "'input' is not a valid JSON string.")
		}
		in.Texts = []string{s}
		return nil
	case len(b) == 0 || b[0] != '[':
		return inputError("input", "'input' must be a string, an array of strings, an array of token ids or an array of token-id arrays.")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return inputError("input", "'input' is not a valid JSON array.")
	}
	if len(items) == 0 {
		return nil // Validate reports the empty list
	}
	// The first element decides the shape; every other element must have the same one, as OpenAI requires.
	switch first := bytes.TrimSpace(items[0]); {
	case len(first) > 0 && first[0] == '"':
		in.Texts = make([]string, len(items))
		for i, it := range items {
			if err := json.Unmarshal(it, &in.Texts[i]); err != nil || bytes.TrimSpace(it)[0] != '"' {
				return inputError(fmt.Sprintf("input[%d]", i), "'input[%d]' must be a string like the other elements of 'input'.", i)
			}
		}
	case len(first) > 0 && first[0] == '[':
		in.Tokens = make([][]int, len(items))
		for i, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) == 0 || it[0] != '[' {
				return inputError(fmt.Sprintf("input[%d]", i), "'input[%d]' must be an array of token ids like the other elements of 'input'.", i)
			}
			var raw []json.RawMessage
			if err := json.Unmarshal(it, &raw); err != nil {
				return inputError(fmt.Sprintf("input[%d]", i), "'input[%d]' is not a valid JSON array.", i)
			}
			ids, e := tokenIDs(raw, fmt.Sprintf("input[%d]", i))
			if e != nil {
				return e
			}
			in.Tokens[i] = ids
		}
	default:
		ids, e := tokenIDs(items, "input")
		if e != nil {
			return e
		}
		in.Tokens = [][]int{ids}
	}
	return nil
}

// tokenIDs reads an array of token ids: non-negative integers written without a fraction or exponent.
func tokenIDs(raw []json.RawMessage, param string) ([]int, *Error) {
	ids := make([]int, len(raw))
	for j, r := range raw {
		n, err := strconv.ParseInt(string(bytes.TrimSpace(r)), 10, 32)
		if err != nil || n < 0 {
			p := fmt.Sprintf("%s[%d]", param, j)
			return nil, inputError(p, "'%s' must be a token id (a non-negative integer), got %s.", p, truncate(string(r), 40))
		}
		ids[j] = int(n)
	}
	return ids, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Validate checks what OpenAI itself would reject, before any model is resolved or called.
func (r *EmbeddingRequest) Validate() *Error {
	if r.Model == "" {
		return BadRequest("you must provide a model parameter").WithParam("model")
	}
	if !r.Input.Set {
		return BadRequest("Missing required parameter: 'input'.").WithParam("input")
	}
	if r.Input.err != nil {
		return r.Input.err
	}
	n := r.Input.Len()
	if n == 0 {
		return BadRequest("'input' must not be an empty array.").WithParam("input")
	}
	if n > MaxEmbeddingInputs {
		return BadRequest("'input' has %d elements; at most %d are allowed per request.", n, MaxEmbeddingInputs).WithParam("input")
	}
	// An empty input has no embedding; Bedrock's models reject it, so say which one it is.
	for i, t := range r.Input.Texts {
		if t == "" {
			return emptyInput(i, n)
		}
	}
	for i, t := range r.Input.Tokens {
		if len(t) == 0 {
			return emptyInput(i, n)
		}
	}
	switch r.EncodingFormat {
	case "", EncodingFloat, EncodingBase64:
	default:
		return BadRequest("Invalid value for 'encoding_format': %q. Supported values are: 'float' and 'base64'.", r.EncodingFormat).WithParam("encoding_format")
	}
	if d := r.Dimensions; d != nil && *d < 1 {
		return BadRequest("Invalid 'dimensions': %d; it must be at least 1.", *d).WithParam("dimensions")
	}
	if t := r.InputTypeValue(); t != "" && !contains(EmbeddingInputTypes, t) {
		return BadRequest("Invalid value for 'input_type': %q. Supported values are: 'search_document', 'search_query', 'classification' and 'clustering'.", t).WithParam("input_type")
	}
	return nil
}

func emptyInput(i, n int) *Error {
	if n == 1 {
		return BadRequest("'input' must not be empty.").WithParam("input")
	}
	return BadRequest("'input[%d]' must not be empty.", i).WithParam(fmt.Sprintf("input[%d]", i))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// InputTypeValue is input_type from the top level, else from extra_body; "" when neither is set.
func (r *EmbeddingRequest) InputTypeValue() string {
	if r.InputType != "" {
		return r.InputType
	}
	if r.ExtraBody != nil {
		return r.ExtraBody.InputType
	}
	return ""
}

// Base64 reports whether vectors are to be sent base64-encoded.
func (r *EmbeddingRequest) Base64() bool { return r.EncodingFormat == EncodingBase64 }

// EmbeddingList is the response of POST /embeddings. Data is in input order, index i for input i: Open WebUI reads
// data[] in order without looking at index.
type EmbeddingList struct {
	Object string          `json:"object"`
	Data   []Embedding     `json:"data"`
	Model  string          `json:"model"`
	Usage  EmbeddingsUsage `json:"usage"`
}

type Embedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding Vector `json:"embedding"`
}

type EmbeddingsUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// Vector is an embedding, sent as a JSON array of numbers or, when Base64 is set, as the base64 of its float32
// values in little-endian order: what openai-python and openai-node decode (openai-node asks for base64 by default
// and decodes it with a Float32Array, which is little-endian on every platform it runs on).
type Vector struct {
	Floats []float32
	Base64 bool
}

func (v Vector) MarshalJSON() ([]byte, error) {
	if v.Base64 {
		raw := make([]byte, 4*len(v.Floats))
		for i, f := range v.Floats {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		}
		b := make([]byte, 0, base64.StdEncoding.EncodedLen(len(raw))+2)
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw)
		return append(b, '"'), nil
	}
	b := make([]byte, 0, 12*len(v.Floats)+2)
	b = append(b, '[')
	for i, f := range v.Floats {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil, errors.New("embedding contains a value JSON cannot carry")
		}
		// The shortest text that reads back as the same float32: exact, and about half the size of float64 digits.
		b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads either form back (for tests and Go clients).
func (v *Vector) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return err
		}
		if len(raw)%4 != 0 {
			return errors.New("base64 embedding is not a whole number of float32 values")
		}
		v.Base64, v.Floats = true, make([]float32, len(raw)/4)
		for i := range v.Floats {
			v.Floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return nil
	}
	v.Base64 = false
	return json.Unmarshal(b, &v.Floats)
}
