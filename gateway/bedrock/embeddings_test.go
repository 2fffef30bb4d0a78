package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go"

	"github.com/openwebui-bedrock/gateway/openai"
)

var (
	titanV1  = Model{ID: "amazon.titan-embed-text-v1", InvokeID: "amazon.titan-embed-text-v1", BaseModelID: "amazon.titan-embed-text-v1", Kind: KindEmbedding}
	titanV2  = Model{ID: "amazon.titan-embed-text-v2:0", InvokeID: "amazon.titan-embed-text-v2:0", BaseModelID: "amazon.titan-embed-text-v2:0", Kind: KindEmbedding}
	cohereML = Model{ID: "cohere.embed-multilingual-v3", InvokeID: "cohere.embed-multilingual-v3", BaseModelID: "cohere.embed-multilingual-v3", Kind: KindEmbedding}
	titanImg = Model{ID: "amazon.titan-embed-image-v1", InvokeID: "amazon.titan-embed-image-v1", BaseModelID: "amazon.titan-embed-image-v1", Kind: KindEmbedding}
	chatM    = Model{ID: "anthropic.claude-3-haiku-20240307-v1:0", InvokeID: "anthropic.claude-3-haiku-20240307-v1:0", BaseModelID: "anthropic.claude-3-haiku-20240307-v1:0", Kind: KindChat}
)

func embedReq(t *testing.T, body string) *openai.EmbeddingRequest {
	t.Helper()
	var r openai.EmbeddingRequest
	if err := openai.Decode(strings.NewReader(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	return &r
}

func numberedTexts(n int, format string) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf(format, i)
	}
	return s
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestPlanEmbeddingsGolden: OpenAI request → the exact InvokeModel bodies, and which inputs each call embeds.
func TestPlanEmbeddingsGolden(t *testing.T) {
	type call struct {
		first, count int
		body         string
	}
	cohere200 := numberedTexts(200, "chunk %d")
	cohereCalls := []call{
		{0, 96, `{"texts":` + mustJSON(cohere200[:96]) + `,"input_type":"search_document","truncate":"END"}`},
		{96, 96, `{"texts":` + mustJSON(cohere200[96:192]) + `,"input_type":"search_document","truncate":"END"}`},
		{192, 8, `{"texts":` + mustJSON(cohere200[192:]) + `,"input_type":"search_document","truncate":"END"}`},
	}
	for _, tc := range []struct {
		name  string
		model Model
		req   string
		want  []call
	}{
		{"titan v1 one text per call", titanV1, `{"model":"x","input":["a","b"]}`,
			[]call{{0, 1, `{"inputText":"a"}`}, {1, 1, `{"inputText":"b"}`}}},
		{"titan v1 native dimensions accepted", titanV1, `{"model":"x","input":"a","dimensions":1536}`,
			[]call{{0, 1, `{"inputText":"a"}`}}},
		{"titan v2 normalizes, default dimensions", titanV2, `{"model":"x","input":"a"}`,
			[]call{{0, 1, `{"inputText":"a","normalize":true}`}}},
		{"titan v2 dimensions", titanV2, `{"model":"x","input":["a","b"],"dimensions":256}`,
			[]call{{0, 1, `{"inputText":"a","dimensions":256,"normalize":true}`}, {1, 1, `{"inputText":"b","dimensions":256,"normalize":true}`}}},
		{"titan v2 html stays as sent", titanV2, `{"model":"x","input":"<a href=\"x\">&amp;</a>"}`,
			[]call{{0, 1, `{"inputText":"<a href=\"x\">&amp;</a>","normalize":true}`}}},
		{"cohere batches of 96", cohereML, `{"model":"x","input":` + mustJSON(cohere200) + `}`, cohereCalls},
		{"cohere input_type", cohereML, `{"model":"x","input":"q","input_type":"search_query"}`,
			[]call{{0, 1, `{"texts":["q"],"input_type":"search_query","truncate":"END"}`}}},
		{"cohere input_type in extra_body", cohereML, `{"model":"x","input":["a","b"],"extra_body":{"input_type":"classification"},"dimensions":1024}`,
			[]call{{0, 2, `{"texts":["a","b"],"input_type":"classification","truncate":"END"}`}}},
		{"token ids", titanV2, `{"model":"x","input":[15339,1917]}`,
			[]call{{0, 1, `{"inputText":"hello world","normalize":true}`}}},
		{"token id arrays", cohereML, `{"model":"x","input":[[9906,1917],[69896,127,102],[15339,100257]]}`,
			[]call{{0, 3, `{"texts":["Hello world","café","hello<|endoftext|>"],"input_type":"search_document","truncate":"END"}`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planEmbeddings(embedReq(t, tc.req), &tc.model)
			if err != nil {
				t.Fatal(err)
			}
			var got []call
			for _, c := range p.calls {
				got = append(got, call{c.first, c.count, string(c.body)})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d calls, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("call %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestPlanEmbeddingsErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		model     Model
		req       string
		status    int
		param     string
		code, msg string
	}{
		{"titan v1 dimensions", titanV1, `{"model":"x","input":"a","dimensions":256}`, 400, "dimensions", "", "produces 1536 dimensions"},
		{"titan v2 odd dimensions", titanV2, `{"model":"x","input":"a","dimensions":300}`, 400, "dimensions", "", "256, 512 or 1024"},
		{"cohere dimensions", cohereML, `{"model":"x","input":"a","dimensions":512}`, 400, "dimensions", "", "produces 1024"},
		{"unknown token", titanV2, `{"model":"x","input":[15339,100256]}`, 400, "input[1]", "", "100256"},
		{"unknown nested token", cohereML, `{"model":"x","input":[[1],[2,200000]]}`, 400, "input[1][1]", "", "200000"},
		{"blank tokens", titanV2, `{"model":"x","input":[220,198]}`, 400, "input", "", "blank"},
		{"blank nested tokens", titanV2, `{"model":"x","input":[[1],[256]]}`, 400, "input[1]", "", "blank"},
		{"unsupported family", titanImg, `{"model":"x","input":"a"}`, 400, "model", "model_not_supported", "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planEmbeddings(embedReq(t, tc.req), &tc.model)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Status != tc.status || err.Param == nil || *err.Param != tc.param || !strings.Contains(err.Message, tc.msg) ||
				(tc.code != "" && (err.Code == nil || *err.Code != tc.code)) {
				t.Fatalf("%+v param=%v code=%v", err, deref(err.Param), deref(err.Code))
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestEmbedFamilyOf(t *testing.T) {
	for id, want := range map[string]embedFamily{
		"amazon.titan-embed-text-v1":               embedTitanV1,
		"amazon.titan-embed-text-v1:2:8k":          embedTitanV1,
		"amazon.titan-embed-g1-text-02":            embedTitanV1,
		"amazon.titan-embed-text-v2:0":             embedTitanV2,
		"cohere.embed-english-v3":                  embedCohereV3,
		"cohere.embed-multilingual-v3:0:8k":        embedCohereV3,
		"cohere.embed-v4:0":                        embedUnsupported,
		"amazon.titan-embed-image-v1":              embedUnsupported,
		"amazon.nova-2-multimodal-embeddings-v1:0": embedUnsupported,
	} {
		if got := embedFamilyOf(id); got != want {
			t.Errorf("%s: %v, want %v", id, got, want)
		}
	}
}

// TestParseEmbeddingResponsesGolden: Bedrock response bodies → vectors and token counts.
func TestParseEmbeddingResponsesGolden(t *testing.T) {
	v, n, err := parseTitanEmbedding([]byte(`{"embedding":[0.5,-0.25,0.125],"inputTextTokenCount":7}`))
	if err != nil || n != 7 || mustJSON(v) != `[0.5,-0.25,0.125]` {
		t.Fatalf("titan: %v %d %v", v, n, err)
	}
	// Titan v2 with embeddingTypes also carries embeddingsByType; the top-level embedding is the float vector.
	v, n, err = parseTitanEmbedding([]byte(`{"embedding":[1],"inputTextTokenCount":1,"embeddingsByType":{"float":[1]}}`))
	if err != nil || n != 1 || len(v) != 1 {
		t.Fatalf("titan by type: %v %d %v", v, n, err)
	}
	for _, bad := range []string{`{}`, `{"embedding":[],"inputTextTokenCount":1}`, `{"embedding":[1]}`, `{"embedding":"x","inputTextTokenCount":1}`, `<html>`} {
		if _, _, err := parseTitanEmbedding([]byte(bad)); err == nil {
			t.Errorf("titan %s accepted", bad)
		}
	}

	vs, err := parseCohereEmbeddings([]byte(`{"id":"r","texts":["a","b"],"embeddings":[[0.5],[-1]],"response_type":"embeddings_floats"}`), 2)
	if err != nil || mustJSON(vs) != `[[0.5],[-1]]` {
		t.Fatalf("cohere floats: %v %v", vs, err)
	}
	vs, err = parseCohereEmbeddings([]byte(`{"id":"r","texts":["a"],"embeddings":{"float":[[0.25]],"int8":[[3]]},"response_type":"embeddings_by_type"}`), 1)
	if err != nil || mustJSON(vs) != `[[0.25]]` {
		t.Fatalf("cohere by type: %v %v", vs, err)
	}
	for _, bad := range []string{`{"embeddings":[[1]]}`, `{"embeddings":[[1],[]]}`, `{"embeddings":{"int8":[[1],[2]]}}`, `{}`, `[`} {
		if _, err := parseCohereEmbeddings([]byte(bad), 2); err == nil {
			t.Errorf("cohere %s accepted", bad)
		}
	}
}

// TestToEmbeddingListGolden: vectors → the OpenAI response body, float and base64.
func TestToEmbeddingListGolden(t *testing.T) {
	vecs := [][]float32{{1, 0.5}, {-2, 0}}
	b, _ := json.Marshal(toEmbeddingList("text-embedding-3-small", vecs, 9, false))
	want := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1,0.5]},{"object":"embedding","index":1,"embedding":[-2,0]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":9,"total_tokens":9}}`
	if string(b) != want {
		t.Fatalf("float:\n%s\nwant\n%s", b, want)
	}
	b, _ = json.Marshal(toEmbeddingList("m", vecs, 9, true))
	// 1.0f = 00 00 80 3f, 0.5f = 00 00 00 3f, -2.0f = 00 00 00 c0, 0 = 00 00 00 00 (little-endian).
	want = `{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPwAAAD8="},{"object":"embedding","index":1,"embedding":"AAAAwAAAAAA="}],"model":"m","usage":{"prompt_tokens":9,"total_tokens":9}}`
	if string(b) != want {
		t.Fatalf("base64:\n%s\nwant\n%s", b, want)
	}
}

func TestEstimateTokens(t *testing.T) {
	if n := estimateTokens([]string{"a", "abcd", "abcde", strings.Repeat("x", 400)}); n != 1+1+2+100 {
		t.Fatalf("%d", n)
	}
}

// fakeRuntime answers InvokeModel like the emulator's embedding models: each vector is [first rune code, length].
// The embedded RuntimeAPI is nil: calling anything else panics, which is what a test wants.
type fakeRuntime struct {
	RuntimeAPI
	delay    func(texts []string) time.Duration
	fail     func(texts []string) error
	calls    atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64
	mu       sync.Mutex
	bodies   []string
}

func (f *fakeRuntime) InvokeModel(ctx context.Context, in *bedrockruntime.InvokeModelInput, _ ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelOutput, error) {
	f.calls.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, string(in.Body))
	f.mu.Unlock()
	if aws.ToString(in.ContentType) != "application/json" || aws.ToString(in.Accept) != "application/json" {
		return nil, errors.New("content type/accept not set")
	}
	var req struct {
		InputText string   `json:"inputText"`
		Texts     []string `json:"texts"`
	}
	json.Unmarshal(in.Body, &req)
	ts := req.Texts
	if req.Texts == nil {
		ts = []string{req.InputText}
	}
	if f.delay != nil {
		select {
		case <-time.After(f.delay(ts)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(ts); err != nil {
			return nil, err
		}
	}
	vec := func(s string) []float32 { return []float32{float32([]rune(s)[0]), float32(len(s))} }
	if req.Texts != nil {
		vs := make([][]float32, len(ts))
		for i, s := range ts {
			vs[i] = vec(s)
		}
		b, _ := json.Marshal(map[string]any{"id": "x", "texts": ts, "embeddings": vs, "response_type": "embeddings_floats"})
		return &bedrockruntime.InvokeModelOutput{Body: b}, nil
	}
	b, _ := json.Marshal(map[string]any{"embedding": vec(req.InputText), "inputTextTokenCount": len(req.InputText)})
	return &bedrockruntime.InvokeModelOutput{Body: b}, nil
}

func testCatalogue(models ...Model) *Catalogue {
	c := NewCatalogue(nil, CatalogueOptions{}, nil)
	c.publish(models, time.Now())
	return c
}

func newTestEmbedder(rt RuntimeAPI) *Embedder {
	return &Embedder{Runtime: rt, Catalogue: testCatalogue(titanV1, titanV2, cohereML, titanImg, chatM), DefaultModel: titanV2.ID}
}

// distinct returns n inputs whose fake vectors identify them: input i starts with rune 0x100+i.
func distinct(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = string(rune(0x100+i)) + strings.Repeat("x", i%7)
	}
	return s
}

func checkOrder(t *testing.T, l *openai.EmbeddingList, inputs []string) {
	t.Helper()
	if len(l.Data) != len(inputs) {
		t.Fatalf("%d embeddings for %d inputs", len(l.Data), len(inputs))
	}
	for i, d := range l.Data {
		if d.Index != i || d.Object != "embedding" || d.Embedding.Floats[0] != float32([]rune(inputs[i])[0]) || d.Embedding.Floats[1] != float32(len(inputs[i])) {
			t.Fatalf("data[%d] = %+v, not input %d", i, d, i)
		}
	}
}

func TestEmbedTitanFanOutKeepsOrderAndBound(t *testing.T) {
	rt := &fakeRuntime{delay: func([]string) time.Duration { return time.Duration(rand.IntN(3)) * time.Millisecond }}
	e := newTestEmbedder(rt)
	e.Concurrency = 3
	inputs := distinct(200)
	l, res, err := e.Embed(context.Background(), embedReq(t, `{"model":"text-embedding-3-small","input":`+mustJSON(inputs)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, l, inputs)
	if rt.calls.Load() != 200 || rt.peak.Load() > 3 || rt.peak.Load() < 2 {
		t.Fatalf("calls %d, peak concurrency %d (bound 3)", rt.calls.Load(), rt.peak.Load())
	}
	tokens := 0
	for _, s := range inputs {
		tokens += len(s)
	}
	if l.Usage.PromptTokens != tokens || l.Usage.TotalTokens != tokens || res.Usage.PromptTokens != tokens {
		t.Fatalf("usage %+v, want %d (the sum of inputTextTokenCount)", l.Usage, tokens)
	}
	if l.Model != "text-embedding-3-small" || l.Object != "list" || res.Model != titanV2.ID {
		t.Fatalf("model %q object %q result model %q", l.Model, l.Object, res.Model)
	}
}

func TestEmbedCohereBatchesKeepOrder(t *testing.T) {
	// Later batches answer first.
	rt := &fakeRuntime{delay: func(ts []string) time.Duration { return time.Duration(300-len(ts)) * 50 * time.Microsecond }}
	e := newTestEmbedder(rt)
	inputs := distinct(200)
	l, _, err := e.Embed(context.Background(), embedReq(t, `{"model":"cohere.embed-multilingual-v3","encoding_format":"base64","input":`+mustJSON(inputs)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, l, inputs)
	if rt.calls.Load() != 3 {
		t.Fatalf("%d calls, want 3 batches", rt.calls.Load())
	}
	if !l.Data[0].Embedding.Base64 {
		t.Fatal("base64 not requested from the vector")
	}
	if l.Usage.PromptTokens != estimateTokens(inputs) {
		t.Fatalf("usage %d, want the estimate %d", l.Usage.PromptTokens, estimateTokens(inputs))
	}
}

func TestEmbedFirstFailureCancelsTheRest(t *testing.T) {
	rt := &fakeRuntime{
		delay: func(ts []string) time.Duration {
			if ts[0] == "boom" {
				return 0
			}
			return 20 * time.Millisecond
		},
		fail: func(ts []string) error {
			if ts[0] == "boom" {
				return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Too many requests, please wait before trying again."}
			}
			return nil
		},
	}
	e := newTestEmbedder(rt)
	inputs := append(distinct(5), "boom")
	inputs = append(inputs, distinct(100)...)
	start := time.Now()
	_, _, err := e.Embed(context.Background(), embedReq(t, `{"model":"amazon.titan-embed-text-v1","input":`+mustJSON(inputs)+`}`))
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.Status != 429 || oe.RetryAfter == 0 {
		t.Fatalf("err %v, want the throttling as 429", err)
	}
	if n := rt.calls.Load(); n > 20 {
		t.Fatalf("%d calls made after the failure; the rest should be cancelled", n)
	}
	if time.Since(start) > time.Second {
		t.Fatal("siblings were not cancelled")
	}
}

func TestEmbedClientGoneIs499(t *testing.T) {
	rt := &fakeRuntime{delay: func([]string) time.Duration { return time.Second }}
	e := newTestEmbedder(rt)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, _, err := e.Embed(ctx, embedReq(t, `{"model":"amazon.titan-embed-text-v1","input":["a","b","c"]}`))
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.Status != 499 {
		t.Fatalf("%v", err)
	}
}

func TestEmbedUnreadableResponseIs502(t *testing.T) {
	rt := &badBodyRuntime{}
	e := newTestEmbedder(rt)
	_, _, err := e.Embed(context.Background(), embedReq(t, `{"model":"cohere.embed-multilingual-v3","input":["a","b"]}`))
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.Status != 502 || oe.Code == nil || *oe.Code != "upstream_error" {
		t.Fatalf("%v", err)
	}
}

type badBodyRuntime struct{ RuntimeAPI }

func (badBodyRuntime) InvokeModel(context.Context, *bedrockruntime.InvokeModelInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelOutput, error) {
	return &bedrockruntime.InvokeModelOutput{Body: []byte(`{"embeddings":[[1]]}`)}, nil // one vector for two texts
}

func TestEmbedderResolve(t *testing.T) {
	e := newTestEmbedder(nil)
	for name, want := range map[string]string{
		"text-embedding-3-small":       titanV2.ID,
		"text-embedding-ada-002":       titanV2.ID,
		"amazon.titan-embed-text-v1":   titanV1.ID,
		"cohere.embed-multilingual-v3": cohereML.ID,
	} {
		m, err := e.Resolve(name)
		if err != nil || m.ID != want {
			t.Errorf("%s: %v %v", name, m, err)
		}
	}
	for name, msg := range map[string]string{
		"nope":                   "does not exist",
		chatM.ID:                 "is a chat model",
		"gpt-4o":                 "does not exist",
		"text-embedding-3-large": "",
	} {
		if name == "text-embedding-3-large" {
			e := newTestEmbedder(nil)
			e.DefaultModel = "missing.embed-v1"
			_, err := e.Resolve(name)
			if err == nil || err.Status != 404 || !strings.Contains(err.Message, "default embedding model `missing.embed-v1`") {
				t.Errorf("%s with a missing default: %v", name, err)
			}
			continue
		}
		_, err := e.Resolve(name)
		if err == nil || err.Status != 404 || *err.Code != "model_not_found" || !strings.Contains(err.Message, msg) {
			t.Errorf("%s: %v", name, err)
		}
	}
	empty := &Embedder{Catalogue: NewCatalogue(nil, CatalogueOptions{}, nil)}
	if _, err := empty.Resolve("x"); err == nil || err.Status != 503 {
		t.Errorf("unloaded catalogue: %v", err)
	}
}

// TestInputTokenHeaderIsRead drives the real SDK against a stub Bedrock: the header Bedrock sends with InvokeModel
// is the usage when the body has no count (Cohere), and its absence falls back to the estimate.
func TestInputTokenHeaderIsRead(t *testing.T) {
	var sendHeader atomic.Bool
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Texts []string }
		json.NewDecoder(r.Body).Decode(&req)
		vs := make([][]float32, len(req.Texts))
		for i := range vs {
			vs[i] = []float32{1}
		}
		if sendHeader.Load() {
			w.Header().Set(InputTokenCountHeader, "42")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"embeddings": vs, "response_type": "embeddings_floats"})
	}))
	defer stub.Close()
	cfg := StaticConfig("us-east-1", stub.URL, "AKID", "SECRET", 1)
	e := newTestEmbedder(bedrockruntime.NewFromConfig(cfg))
	req := `{"model":"cohere.embed-multilingual-v3","input":["abcdefgh","x"]}`

	sendHeader.Store(true)
	l, _, err := e.Embed(context.Background(), embedReq(t, req))
	if err != nil || l.Usage.PromptTokens != 42 {
		t.Fatalf("with header: %+v %v", l, err)
	}
	sendHeader.Store(false)
	l, _, err = e.Embed(context.Background(), embedReq(t, req))
	if err != nil || l.Usage.PromptTokens != 3 {
		t.Fatalf("without header: %+v %v", l, err)
	}
}

func TestEmbedBodiesOnTheWire(t *testing.T) {
	rt := &fakeRuntime{}
	e := newTestEmbedder(rt)
	if _, _, err := e.Embed(context.Background(), embedReq(t, `{"model":"text-embedding-3-small","input":"hi","dimensions":512}`)); err != nil {
		t.Fatal(err)
	}
	if len(rt.bodies) != 1 || !bytes.Equal([]byte(rt.bodies[0]), []byte(`{"inputText":"hi","dimensions":512,"normalize":true}`)) {
		t.Fatalf("%q", rt.bodies)
	}
}
