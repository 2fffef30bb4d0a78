package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/openai"
)

// End-to-end embeddings: HTTP client → gateway → real aws-sdk-go-v2 InvokeModel → emulator, and back.

const (
	titanV1ID  = "amazon.titan-embed-text-v1"
	titanV2ID  = "amazon.titan-embed-text-v2:0"
	cohereMLID = "cohere.embed-multilingual-v3"
	cohereENID = "cohere.embed-english-v3"
)

// startEmbedGateway is the harness's gateway with an embedder whose DEFAULT_EMBEDDING_MODEL is Titan v2, wired the
// way main wires it.
func startEmbedGateway(t *testing.T) *gateway {
	g := startGateway(t)
	g.srv.WithEmbedder(&bedrock.Embedder{Runtime: g.srv.chat.Runtime, Catalogue: g.srv.chat.Catalogue, DefaultModel: titanV2ID})
	return g
}

type embeddingList struct {
	Object string `json:"object"`
	Model  string `json:"model"`
	Data   []struct {
		Object    string        `json:"object"`
		Index     int           `json:"index"`
		Embedding openai.Vector `json:"embedding"`
	} `json:"data"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

func (g *gateway) embed(body string) embeddingList {
	g.t.Helper()
	resp := g.do("POST", "/embeddings", body)
	if resp.StatusCode != 200 {
		b := new(bytes.Buffer)
		b.ReadFrom(resp.Body)
		g.t.Fatalf("POST /embeddings %s: %d %s", truncateForLog(body), resp.StatusCode, b)
	}
	l := decodeBody[embeddingList](g.t, resp)
	if l.Object != "list" {
		g.t.Errorf("object %q", l.Object)
	}
	for i, d := range l.Data {
		if d.Object != "embedding" || d.Index != i {
			g.t.Errorf("data[%d] object %q index %d", i, d.Object, d.Index)
		}
	}
	if l.Usage.PromptTokens <= 0 || l.Usage.TotalTokens != l.Usage.PromptTokens {
		g.t.Errorf("usage %+v", l.Usage)
	}
	return l
}

func truncateForLog(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func embedBody(model string, input any, extra string) string {
	b, _ := json.Marshal(map[string]any{"model": model, "input": input})
	s := string(b)
	if extra != "" {
		s = s[:len(s)-1] + "," + extra + "}"
	}
	return s
}

func norm(v []float32) float64 {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	return math.Sqrt(s)
}

func TestEmbeddingsTitanV1(t *testing.T) {
	g := startEmbedGateway(t)
	l := g.embed(embedBody(titanV1ID, []string{"hello", "world", "hello"}, ""))
	if l.Model != titanV1ID || len(l.Data) != 3 {
		t.Fatalf("model %q, %d embeddings", l.Model, len(l.Data))
	}
	for i, d := range l.Data {
		if len(d.Embedding.Floats) != 1536 || d.Embedding.Base64 {
			t.Fatalf("data[%d]: %d floats, base64 %v", i, len(d.Embedding.Floats), d.Embedding.Base64)
		}
	}
	if !slices.Equal(l.Data[0].Embedding.Floats, l.Data[2].Embedding.Floats) || slices.Equal(l.Data[0].Embedding.Floats, l.Data[1].Embedding.Floats) {
		t.Fatal("equal texts must embed equally, different texts differently")
	}
	// Titan's inputTextTokenCount (the emulator counts one per four bytes, at least one) summed over the calls.
	if l.Usage.PromptTokens != 2+2+2 {
		t.Fatalf("usage %+v", l.Usage)
	}
	if n := g.emu.Emulator.Stats().Requests["InvokeModel"]; n != 3 {
		t.Fatalf("%d InvokeModel calls, want one per text", n)
	}
}

func TestEmbeddingsTitanV2Dimensions(t *testing.T) {
	g := startEmbedGateway(t)
	for _, dims := range []int{256, 512, 1024} {
		l := g.embed(embedBody(titanV2ID, "Amazon Bedrock", fmt.Sprintf(`"dimensions":%d`, dims)))
		v := l.Data[0].Embedding.Floats
		if len(v) != dims || math.Abs(norm(v)-1) > 1e-4 {
			t.Fatalf("dimensions %d: got %d values with norm %f (want normalized)", dims, len(v), norm(v))
		}
	}
	if l := g.embed(embedBody(titanV2ID, "x", "")); len(l.Data[0].Embedding.Floats) != 1024 {
		t.Fatalf("default dimensions %d", len(l.Data[0].Embedding.Floats))
	}
	e := wantError(t, g.do("POST", "/embeddings", embedBody(titanV2ID, "x", `"dimensions":300`)), 400, "")
	if *e.Error.Param != "dimensions" || !strings.Contains(e.Error.Message, "256, 512 or 1024") {
		t.Fatalf("%+v", e.Error)
	}
	wantError(t, g.do("POST", "/embeddings", embedBody(titanV1ID, "x", `"dimensions":256`)), 400, "")
	wantError(t, g.do("POST", "/embeddings", embedBody(cohereMLID, "x", `"dimensions":256`)), 400, "")
}

// TestEmbeddingsCohereBatchesKeepOrder is Open WebUI's RAG batch: 200 chunks, more than Cohere's 96 per call.
func TestEmbeddingsCohereBatchesKeepOrder(t *testing.T) {
	g := startEmbedGateway(t)
	inputs := make([]string, 200)
	for i := range inputs {
		inputs[i] = fmt.Sprintf("chunk number %d of the uploaded document", i)
	}
	l := g.embed(embedBody(cohereMLID, inputs, ""))
	if len(l.Data) != 200 || l.Model != cohereMLID {
		t.Fatalf("%d embeddings, model %q", len(l.Data), l.Model)
	}
	if n := g.emu.Emulator.Stats().Requests["InvokeModel"]; n != 3 {
		t.Fatalf("%d InvokeModel calls, want 3 batches (96+96+8)", n)
	}
	// Each position holds its own input's vector: compare with single-input requests, across batch boundaries.
	for _, i := range []int{0, 1, 95, 96, 191, 192, 199} {
		one := g.embed(embedBody(cohereMLID, inputs[i], ""))
		if !slices.Equal(one.Data[0].Embedding.Floats, l.Data[i].Embedding.Floats) {
			t.Fatalf("data[%d] is not the embedding of input %d", i, i)
		}
	}
	if len(l.Data[0].Embedding.Floats) != 1024 {
		t.Fatalf("%d dimensions", len(l.Data[0].Embedding.Floats))
	}
}

func TestEmbeddingsCohereInputType(t *testing.T) {
	g := startEmbedGateway(t)
	doc := g.embed(embedBody(cohereENID, "what is bedrock?", ""))
	doc2 := g.embed(embedBody(cohereENID, "what is bedrock?", `"input_type":"search_document"`))
	query := g.embed(embedBody(cohereENID, "what is bedrock?", `"input_type":"search_query"`))
	nested := g.embed(embedBody(cohereENID, "what is bedrock?", `"extra_body":{"input_type":"search_query"}`))
	if !slices.Equal(doc.Data[0].Embedding.Floats, doc2.Data[0].Embedding.Floats) {
		t.Fatal("search_document is not the default")
	}
	if slices.Equal(doc.Data[0].Embedding.Floats, query.Data[0].Embedding.Floats) {
		t.Fatal("input_type search_query did not reach Bedrock")
	}
	if !slices.Equal(query.Data[0].Embedding.Floats, nested.Data[0].Embedding.Floats) {
		t.Fatal("input_type in extra_body ignored")
	}
	wantError(t, g.do("POST", "/embeddings", embedBody(cohereENID, "x", `"input_type":"query"`)), 400, "")
}

// TestEmbeddingsBase64RoundTrip decodes base64 the way the SDKs do (float32 little-endian) and compares it with the
// float form, bit for bit.
func TestEmbeddingsBase64RoundTrip(t *testing.T) {
	g := startEmbedGateway(t)
	for _, model := range []string{titanV1ID, titanV2ID, cohereMLID} {
		input := []string{"first text", "second text"}
		f := g.embed(embedBody(model, input, `"encoding_format":"float"`))
		b := g.embed(embedBody(model, input, `"encoding_format":"base64"`))
		// On the wire the base64 form is a JSON string, not an array.
		raw := decodeBody[struct {
			Data []struct {
				Embedding any `json:"embedding"`
			} `json:"data"`
		}](t, g.do("POST", "/embeddings", embedBody(model, input, `"encoding_format":"base64"`)))
		if _, isString := raw.Data[0].Embedding.(string); !isString {
			t.Fatalf("%s: base64 embedding is %T, want a string", model, raw.Data[0].Embedding)
		}
		for i := range input {
			if !b.Data[i].Embedding.Base64 || f.Data[i].Embedding.Base64 {
				t.Fatalf("%s: wrong forms", model)
			}
			if !slices.Equal(f.Data[i].Embedding.Floats, b.Data[i].Embedding.Floats) {
				t.Fatalf("%s: data[%d] base64 decodes to different values", model, i)
			}
		}
	}
}

// TestEmbeddingsTokenArrays: what LangChain sends. cl100k ids decode to the text they stand for, so the vectors equal
// those of the text.
func TestEmbeddingsTokenArrays(t *testing.T) {
	g := startEmbedGateway(t)
	text := g.embed(embedBody(titanV2ID, []string{"hello world", "Hello world"}, ""))
	one := g.embed(embedBody(titanV2ID, []int{15339, 1917}, ""))
	many := g.embed(embedBody(titanV2ID, [][]int{{15339, 1917}, {9906, 1917}}, ""))
	if !slices.Equal(one.Data[0].Embedding.Floats, text.Data[0].Embedding.Floats) {
		t.Fatal("[15339,1917] is not 'hello world'")
	}
	for i := range 2 {
		if !slices.Equal(many.Data[i].Embedding.Floats, text.Data[i].Embedding.Floats) {
			t.Fatalf("token array %d is not its text", i)
		}
	}
	cohere := g.embed(embedBody(cohereMLID, [][]int{{15339, 1917}, {9906, 1917}}, ""))
	if len(cohere.Data) != 2 {
		t.Fatal(cohere)
	}
	e := wantError(t, g.do("POST", "/embeddings", embedBody(titanV2ID, [][]int{{1}, {15339, 100256}}, "")), 400, "")
	if *e.Error.Param != "input[1][1]" {
		t.Fatalf("param %q", *e.Error.Param)
	}
}

func TestEmbeddingsOpenAINamesGoToDefaultModel(t *testing.T) {
	g := startEmbedGateway(t)
	direct := g.embed(embedBody(titanV2ID, "some text", ""))
	for _, name := range []string{"text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"} {
		l := g.embed(embedBody(name, "some text", ""))
		if l.Model != name {
			t.Errorf("model %q, want the name requested", l.Model)
		}
		if !slices.Equal(l.Data[0].Embedding.Floats, direct.Data[0].Embedding.Floats) {
			t.Errorf("%s did not go to DEFAULT_EMBEDDING_MODEL", name)
		}
	}
	// Models outside the catalogue's embedding kind are not found, whatever prefix they have.
	wantError(t, g.do("POST", "/embeddings", embedBody("gpt-4o", "x", "")), 404, "model_not_found")
}

// Without WithEmbedder the server still answers, with the reference gateway's default embedding model.
func TestEmbeddingsDefaultWiring(t *testing.T) {
	g := startGateway(t)
	l := g.embed(embedBody("text-embedding-3-small", "x", ""))
	direct := g.embed(embedBody(ReferenceEmbeddingModel, "x", ""))
	if !slices.Equal(l.Data[0].Embedding.Floats, direct.Data[0].Embedding.Floats) {
		t.Fatal("text-embedding-3-small did not go to the reference default")
	}
}

func TestEmbeddingsErrors(t *testing.T) {
	g := startEmbedGateway(t)
	many := make([]string, openai.MaxEmbeddingInputs+1)
	for i := range many {
		many[i] = "x"
	}
	for _, tc := range []struct {
		name, body  string
		status      int
		code, param string
	}{
		{"empty list", `{"model":"` + titanV2ID + `","input":[]}`, 400, "", "input"},
		{"empty string", `{"model":"` + titanV2ID + `","input":""}`, 400, "", "input"},
		{"empty element", `{"model":"` + titanV2ID + `","input":["a",""]}`, 400, "", "input[1]"},
		{"no input", `{"model":"` + titanV2ID + `"}`, 400, "", "input"},
		{"no model", `{"input":"x"}`, 400, "", "model"},
		{"float tokens", `{"model":"` + titanV2ID + `","input":[1,2.5]}`, 400, "", "input[1]"},
		{"string among tokens", `{"model":"` + titanV2ID + `","input":[[1],["a"]]}`, 400, "", "input[1][0]"},
		{"unknown token", `{"model":"` + titanV2ID + `","input":[100256]}`, 400, "", "input[0]"},
		{"too many", embedBody(titanV2ID, many, ""), 400, "", "input"},
		{"bad encoding", embedBody(titanV2ID, "x", `"encoding_format":"int8"`), 400, "", "encoding_format"},
		{"malformed JSON", `{"model":`, 400, "", ""},
		{"unknown model", embedBody("nope.embed-v9", "x", ""), 404, "model_not_found", "model"},
		{"chat model", embedBody(haiku, "x", ""), 404, "model_not_found", "model"},
		{"chat profile", embedBody(usHaiku, "x", ""), 404, "model_not_found", "model"},
		// Bedrock's own errors, through the emulator's directives and bedrock.MapError.
		{"bedrock validation", embedBody(titanV2ID, "[[emulate:error=ValidationException]] x", ""), 400, "", ""},
		{"bedrock throttling", embedBody(cohereMLID, []string{"a", "[[emulate:throttle]] b"}, ""), 429, "rate_limit_exceeded", ""},
		{"bedrock access denied", embedBody(titanV1ID, "[[emulate:error=AccessDeniedException]] x", ""), 403, "model_access_denied", ""},
		{"bedrock model error", embedBody(titanV2ID, []string{"a", "b", "[[emulate:error=ModelErrorException]] c"}, ""), 502, "upstream_error", ""},
		{"bedrock blank text", embedBody(titanV2ID, "   ", ""), 400, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := g.do("POST", "/embeddings", tc.body)
			if tc.status == 429 && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			e := wantError(t, resp, tc.status, tc.code)
			if tc.param != "" && (e.Error.Param == nil || *e.Error.Param != tc.param) {
				t.Errorf("param %v, want %q (%s)", e.Error.Param, tc.param, e.Error.Message)
			}
		})
	}
	wantError(t, g.do("GET", "/embeddings", ""), 405, "method_not_allowed")
	wantError(t, g.do("POST", "/embeddings", embedBody(titanV2ID, "x", ""), "Authorization", ""), 401, "invalid_api_key")
}

// TestEmbeddingsAccessLog: the access log line names the Bedrock model and the input tokens, like chat's.
func TestEmbeddingsAccessLog(t *testing.T) {
	g := startEmbedGateway(t)
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	srv := New(Options{Prefix: "/api/v1", APIKeys: []string{testKey}, MaxRequestBytes: 1 << 20}, g.srv.chat, log).
		WithEmbedder(g.srv.embed)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	g.URL = hs.URL + "/api/v1"
	g.embed(embedBody("text-embedding-3-small", []string{"abcdefgh", "abcd"}, ""))
	mu.Lock()
	defer mu.Unlock()
	var line struct {
		Route            string `json:"route"`
		Status           int    `json:"status"`
		Model            string `json:"model"`
		InputTokens      int    `json:"input_tokens"`
		BedrockRequestID string `json:"bedrock_request_id"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if line.Route != "/api/v1/embeddings" || line.Status != 200 || line.Model != titanV2ID || line.InputTokens != 3 || line.BedrockRequestID == "" {
		t.Fatalf("access log %s", buf.Bytes())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestEmbeddingsConcurrentRequests: Open WebUI may send its batches in parallel.
func TestEmbeddingsConcurrentRequests(t *testing.T) {
	g := startEmbedGateway(t)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			inputs := make([]string, 30)
			for j := range inputs {
				inputs[j] = fmt.Sprintf("request %d text %d", i, j)
			}
			model := []string{titanV2ID, cohereMLID, titanV1ID}[i%3]
			resp := g.do("POST", "/embeddings", embedBody(model, inputs, ""))
			l := decodeBody[embeddingList](t, resp)
			if resp.StatusCode != 200 || len(l.Data) != 30 {
				t.Errorf("request %d: %d, %d embeddings", i, resp.StatusCode, len(l.Data))
			}
		})
	}
	wg.Wait()
}
