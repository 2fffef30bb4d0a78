package emulator

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// InvokeModel for the embedding models, in each family's native body.
// Vectors are deterministic: seeded by the text, so equal texts embed
// equally and different texts differ.

func (e *Emulator) handleInvokeModel(w http.ResponseWriter, r *http.Request, body []byte, _ time.Time) {
	m, aerr := e.resolveModel(r)
	if aerr != nil {
		e.writeError(w, aerr)
		return
	}
	if m.Embed == embedNone {
		e.writeError(w, validation("The Bedrock emulator implements InvokeModel for embedding models only; use Converse or ConverseStream for "+m.ID+"."))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		e.writeError(w, validation("The provided Content-Type is not supported: "+ct+". Use application/json."))
		return
	}
	var out []byte
	switch m.Embed {
	case embedTitanV1, embedTitanV2:
		out, aerr = e.titanEmbed(r, m, body)
	case embedCohereV3:
		out, aerr = e.cohereEmbed(r, m, body)
	}
	if aerr != nil {
		e.writeError(w, aerr)
		return
	}
	writeJSON(w, out)
}

func malformed(detail string) *apiError {
	return validation("Malformed input request: " + detail + ", please reformat your input and try again.")
}

// embedDirectives lets embedding inputs carry [[emulate:throttle]],
// [[emulate:error=NAME]] and [[emulate:delay-ms=N]] too.
func embedDirectives(r *http.Request, texts ...string) *apiError {
	d := noDirectives()
	for _, t := range texts {
		parseDirectives(t, &d)
	}
	if !d.hasAny {
		return nil
	}
	if d.delayMs > 0 {
		timer := time.NewTimer(time.Duration(d.delayMs) * time.Millisecond)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
		}
	}
	return preflight(&turn{dir: d})
}

func (e *Emulator) titanEmbed(r *http.Request, m *model, body []byte) ([]byte, *apiError) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, malformed("expected a JSON object")
	}
	allowed := map[string]bool{"inputText": true}
	if m.Embed == embedTitanV2 {
		allowed["dimensions"], allowed["normalize"], allowed["embeddingTypes"] = true, true, true
	}
	for k := range req {
		if !allowed[k] {
			return nil, malformed("#: extraneous key [" + k + "] is not permitted")
		}
	}
	var text string
	if raw, ok := req["inputText"]; !ok || json.Unmarshal(raw, &text) != nil {
		return nil, malformed("#: required key [inputText] not found")
	}
	if strings.TrimSpace(text) == "" {
		return nil, malformed("#/inputText: expected minLength: 1, actual: 0")
	}
	if len(text) > 50000 {
		return nil, validation("400 Bad Request: Too many input tokens. Max input tokens: 8192, request input token count: " + strconv.Itoa(estimateTokens(text)))
	}
	if aerr := embedDirectives(r, text); aerr != nil {
		return nil, aerr
	}
	dims, normalize := m.EmbedDims, m.Embed == embedTitanV2
	if raw, ok := req["dimensions"]; ok {
		if json.Unmarshal(raw, &dims) != nil || (dims != 256 && dims != 512 && dims != 1024) {
			return nil, malformed("#/dimensions: " + string(raw) + " is not a valid enum value")
		}
	}
	if raw, ok := req["normalize"]; ok && json.Unmarshal(raw, &normalize) != nil {
		return nil, malformed("#/normalize: expected type: Boolean")
	}
	var types []string
	if raw, ok := req["embeddingTypes"]; ok {
		if json.Unmarshal(raw, &types) != nil {
			return nil, malformed("#/embeddingTypes: expected type: JSONArray")
		}
		for _, t := range types {
			if t != "float" && t != "binary" {
				return nil, malformed("#/embeddingTypes/0: " + t + " is not a valid enum value")
			}
		}
	}
	vec := embedVector(text, dims, normalize)
	b := make([]byte, 0, dims*12+64)
	b = append(b, `{"embedding":`...)
	b = appendFloats(b, vec)
	b = append(b, `,"inputTextTokenCount":`...)
	b = appendInt(b, estimateTokens(text))
	if len(types) > 0 {
		b = append(b, `,"embeddingsByType":{`...)
		for i, t := range types {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, t)
			b = append(b, ':')
			if t == "float" {
				b = appendFloats(b, vec)
			} else {
				b = appendInts(b, binarize(vec, false))
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

var cohereInputTypes = map[string]bool{"search_document": true, "search_query": true, "classification": true, "clustering": true}
var cohereEmbeddingTypes = map[string]bool{"float": true, "int8": true, "uint8": true, "binary": true, "ubinary": true}

type cohereRequest struct {
	Texts          []string `json:"texts"`
	InputType      string   `json:"input_type"`
	Truncate       string   `json:"truncate"`
	EmbeddingTypes []string `json:"embedding_types"`
	Images         []string `json:"images"`
}

func (e *Emulator) cohereEmbed(r *http.Request, m *model, body []byte) ([]byte, *apiError) {
	var req cohereRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, malformed("expected a JSON object with texts and input_type")
	}
	if len(req.Images) > 0 {
		return nil, validation("The Bedrock emulator does not embed images.")
	}
	if req.InputType == "" {
		return nil, malformed("#: required key [input_type] not found")
	}
	if !cohereInputTypes[req.InputType] {
		return nil, malformed("#/input_type: " + req.InputType + " is not a valid enum value")
	}
	if len(req.Texts) == 0 {
		return nil, malformed("#: required key [texts] not found")
	}
	if len(req.Texts) > 96 {
		return nil, malformed("#/texts: expected maximum item count: 96, found: " + strconv.Itoa(len(req.Texts)))
	}
	for i, t := range req.Texts {
		if len(t) > 2048 && req.Truncate == "NONE" {
			return nil, malformed("#/texts/" + strconv.Itoa(i) + ": expected maxLength: 2048, actual: " + strconv.Itoa(len(t)))
		}
	}
	if req.Truncate != "" && req.Truncate != "NONE" && req.Truncate != "START" && req.Truncate != "END" {
		return nil, malformed("#/truncate: " + req.Truncate + " is not a valid enum value")
	}
	for _, t := range req.EmbeddingTypes {
		if !cohereEmbeddingTypes[t] {
			return nil, malformed("#/embedding_types: " + t + " is not a valid enum value")
		}
	}
	if aerr := embedDirectives(r, req.Texts...); aerr != nil {
		return nil, aerr
	}
	vecs := make([][]float32, len(req.Texts))
	for i, t := range req.Texts {
		vecs[i] = embedVector(req.InputType+"\x00"+t, m.EmbedDims, true)
	}
	b := make([]byte, 0, len(vecs)*m.EmbedDims*12+256)
	b = append(b, `{"id":`...)
	b = appendJSONString(b, e.requestID())
	b = append(b, `,"texts":`...)
	b = append(b, mustJSON(req.Texts)...)
	if len(req.EmbeddingTypes) == 0 {
		b = append(b, `,"embeddings":[`...)
		for i, v := range vecs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloats(b, v)
		}
		b = append(b, `],"response_type":"embeddings_floats"}`...)
		return b, nil
	}
	b = append(b, `,"embeddings":{`...)
	for j, typ := range req.EmbeddingTypes {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, typ)
		b = append(b, `:[`...)
		for i, v := range vecs {
			if i > 0 {
				b = append(b, ',')
			}
			switch typ {
			case "float":
				b = appendFloats(b, v)
			case "int8":
				b = appendInts(b, quantize(v, -128))
			case "uint8":
				b = appendInts(b, quantize(v, 0))
			case "binary":
				b = appendInts(b, binarize(v, true))
			case "ubinary":
				b = appendInts(b, binarize(v, false))
			}
		}
		b = append(b, ']')
	}
	b = append(b, `},"response_type":"embeddings_by_type"}`...)
	return b, nil
}

// embedVector derives a unit (or raw) vector from the text with a
// splitmix64 generator seeded by its FNV hash.
func embedVector(text string, dims int, normalize bool) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	state := h.Sum64()
	v := make([]float32, dims)
	var sum float64
	for i := range v {
		state += 0x9E3779B97F4A7C15
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		f := float64(z>>11)/float64(1<<53)*2 - 1
		v[i] = float32(f)
		sum += f * f
	}
	if normalize && sum > 0 {
		n := float32(1 / math.Sqrt(sum))
		for i := range v {
			v[i] *= n
		}
	}
	return v
}

func quantize(v []float32, offset int) []int {
	out := make([]int, len(v))
	for i, f := range v {
		// f is within [-1, 1]; scale to 256 steps.
		q := int(math.Round(float64(f)*127.5-0.5)) + 128 + offset
		out[i] = max(min(q, 255+offset), offset)
	}
	return out
}

// binarize packs sign bits, 8 per value (Cohere binary/ubinary, Titan binary).
func binarize(v []float32, signed bool) []int {
	out := make([]int, (len(v)+7)/8)
	for i, f := range v {
		if f > 0 {
			out[i/8] |= 1 << (7 - i%8)
		}
	}
	if signed {
		for i := range out {
			out[i] -= 128
		}
	}
	return out
}

func appendFloats(b []byte, v []float32) []byte {
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
	}
	return append(b, ']')
}

func appendInts(b []byte, v []int) []byte {
	b = append(b, '[')
	for i, n := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, ']')
}
