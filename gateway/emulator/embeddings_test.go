package emulator

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
)

func invoke(t *testing.T, model string, body any) (map[string]any, error) {
	t.Helper()
	out, err := runtimeClient(t).InvokeModel(testCtx(t), &bedrockruntime.InvokeModelInput{ModelId: aws.String(model),
		ContentType: aws.String("application/json"), Accept: aws.String("application/json"), Body: mustJSON(body)})
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out.Body, &m); err != nil {
		t.Fatal(err)
	}
	return m, nil
}

func norm(v []any) float64 {
	s := 0.0
	for _, x := range v {
		s += x.(float64) * x.(float64)
	}
	return math.Sqrt(s)
}

func TestTitanEmbeddings(t *testing.T) {
	v1, err := invoke(t, "amazon.titan-embed-text-v1", map[string]any{"inputText": "hello world"})
	if err != nil {
		t.Fatal(err)
	}
	if len(v1["embedding"].([]any)) != 1536 || v1["inputTextTokenCount"].(float64) != 3 {
		t.Fatalf("v1 %d", len(v1["embedding"].([]any)))
	}
	_, err = invoke(t, "amazon.titan-embed-text-v1", map[string]any{"inputText": "x", "dimensions": 256})
	apiErr(t, err, "ValidationException", "extraneous key [dimensions] is not permitted")

	v2, err := invoke(t, "amazon.titan-embed-text-v2:0", map[string]any{"inputText": "hello world", "dimensions": 256, "normalize": true})
	if err != nil {
		t.Fatal(err)
	}
	vec := v2["embedding"].([]any)
	if len(vec) != 256 || math.Abs(norm(vec)-1) > 1e-3 {
		t.Fatalf("v2 len %d norm %f", len(vec), norm(vec))
	}
	again, _ := invoke(t, "amazon.titan-embed-text-v2:0", map[string]any{"inputText": "hello world", "dimensions": 256})
	if again["embedding"].([]any)[0] != vec[0] {
		t.Fatal("embeddings must be deterministic")
	}
	def, _ := invoke(t, "amazon.titan-embed-text-v2:0", map[string]any{"inputText": "hello"})
	if len(def["embedding"].([]any)) != 1024 {
		t.Fatal("default 1024 dims")
	}
	_, err = invoke(t, "amazon.titan-embed-text-v2:0", map[string]any{"inputText": "x", "dimensions": 300})
	apiErr(t, err, "ValidationException", "dimensions")
	_, err = invoke(t, "amazon.titan-embed-text-v2:0", map[string]any{"inputText": "x [[emulate:throttle]]"})
	apiErr(t, err, "ThrottlingException", "Too many requests")
}

func TestCohereEmbeddings(t *testing.T) {
	for _, m := range []string{"cohere.embed-english-v3", "cohere.embed-multilingual-v3"} {
		out, err := invoke(t, m, map[string]any{"texts": []string{"a", "b", "c"}, "input_type": "search_document", "truncate": "END"})
		if err != nil {
			t.Fatal(err)
		}
		embs := out["embeddings"].([]any)
		if len(embs) != 3 || len(embs[0].([]any)) != 1024 || out["response_type"] != "embeddings_floats" || len(out["texts"].([]any)) != 3 {
			t.Fatalf("%s: %v", m, out["response_type"])
		}
	}
	out, err := invoke(t, "cohere.embed-english-v3", map[string]any{"texts": []string{"a"}, "input_type": "search_query",
		"embedding_types": []string{"float", "int8", "ubinary"}})
	if err != nil {
		t.Fatal(err)
	}
	by := out["embeddings"].(map[string]any)
	if out["response_type"] != "embeddings_by_type" || len(by["int8"].([]any)[0].([]any)) != 1024 || len(by["ubinary"].([]any)[0].([]any)) != 128 {
		t.Fatalf("%v", out["response_type"])
	}
	_, err = invoke(t, "cohere.embed-english-v3", map[string]any{"texts": []string{"a"}})
	apiErr(t, err, "ValidationException", "input_type")
	_, err = invoke(t, "cohere.embed-english-v3", map[string]any{"texts": make([]string, 97), "input_type": "search_query"})
	apiErr(t, err, "ValidationException", "96")
	_, err = invoke(t, haiku, map[string]any{"anthropic_version": "bedrock-2023-05-31"})
	apiErr(t, err, "ValidationException", "embedding models only")
}
