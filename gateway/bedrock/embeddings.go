package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/openwebui-bedrock/gateway/openai"
	"github.com/openwebui-bedrock/gateway/tokenizer"
)

// Embeddings: one OpenAI request becomes one or more InvokeModel calls in the model family's native body.
//
//	Titan Text Embeddings v1/v2  {"inputText":…[,"dimensions":N,"normalize":true]} → {"embedding":[…],"inputTextTokenCount":N}
//	                             one text per call, so the inputs are fanned out concurrently
//	Cohere Embed v3              {"texts":[…≤96],"input_type":…,"truncate":"END"} → {"embeddings":[[…]],…}
//
// The calls of a request run at most Embedder.Concurrency at a time; each result is written to the slot of its
// input, so the response is in input order whatever order the calls finish in.

// Embedder answers OpenAI embeddings requests from Bedrock's embedding models.
type Embedder struct {
	Runtime   RuntimeAPI
	Catalogue *Catalogue
	// DefaultModel (DEFAULT_EMBEDDING_MODEL) is what OpenAI embedding names (text-embedding-*) resolve to, so that
	// clients hard-wired to OpenAI work unchanged.
	DefaultModel string
	// Concurrency bounds the InvokeModel calls one request has in flight; 0 means DefaultEmbedConcurrency. It keeps
	// one 2048-text request from opening 2048 connections and tripping Bedrock's throttling for everyone else.
	Concurrency int
}

// DefaultEmbedConcurrency is Embedder.Concurrency when unset.
const DefaultEmbedConcurrency = 8

// cohereMaxTexts is Cohere Embed v3's limit on texts per call on Bedrock.
const cohereMaxTexts = 96

// InputTokenCountHeader is the response header in which Bedrock reports an InvokeModel call's input tokens; the
// SDK's InvokeModelOutput does not expose it.
const InputTokenCountHeader = "X-Amzn-Bedrock-Input-Token-Count"

// embedFamily is the body dialect of an embedding model.
type embedFamily int

const (
	embedUnsupported embedFamily = iota
	embedTitanV1
	embedTitanV2
	embedCohereV3
)

// embedSpec is what a family accepts. nativeDims is the vector length without "dimensions"; a request for exactly
// that length is accepted by every family (clients such as LangChain send the model's size explicitly).
type embedSpec struct {
	name       string
	nativeDims int
	dims       []int // lengths selectable with "dimensions"; nil: only nativeDims
	perCall    int   // texts per InvokeModel call
}

var embedSpecs = map[embedFamily]embedSpec{
	embedTitanV1:  {name: "Titan Text Embeddings v1", nativeDims: 1536, perCall: 1},
	embedTitanV2:  {name: "Titan Text Embeddings v2", nativeDims: 1024, dims: []int{256, 512, 1024}, perCall: 1},
	embedCohereV3: {name: "Cohere Embed v3", nativeDims: 1024, perCall: cohereMaxTexts},
}

// embedFamilyOf classifies a foundation model id (the model behind a profile or alias).
func embedFamilyOf(baseModelID string) embedFamily {
	id := baseModelID
	switch {
	case strings.HasPrefix(id, "amazon.titan-embed-text-v2"):
		return embedTitanV2
	case strings.HasPrefix(id, "amazon.titan-embed-text-v1"), strings.HasPrefix(id, "amazon.titan-embed-g1-text"):
		return embedTitanV1
	case strings.HasPrefix(id, "cohere.embed-") && strings.Contains(id, "-v3"):
		return embedCohereV3
	}
	return embedUnsupported
}

// Resolve maps the requested name to an embedding model of the catalogue; text-embedding-* goes to DefaultModel.
// Chat models and unknown names are 404 model_not_found, as OpenAI answers for a model the endpoint cannot use.
func (e *Embedder) Resolve(name string) (*Model, *openai.Error) {
	id := name
	if strings.HasPrefix(name, "text-embedding-") {
		id = e.DefaultModel
	}
	m, err := e.Catalogue.Resolve(id, name, KindEmbedding)
	if err == nil || err.Status != http.StatusNotFound {
		return m, err
	}
	nf := openai.ModelNotFound(name)
	switch other, ok := e.Catalogue.Lookup(id); {
	case id != name:
		nf.Message = fmt.Sprintf("The model `%s` maps to the default embedding model `%s`, which is not an embedding model this gateway can invoke.", name, id)
	case ok && other.Kind == KindChat:
		nf.Message = fmt.Sprintf("The model `%s` is a chat model; it cannot create embeddings. Use it with /chat/completions.", name)
	}
	return nil, nf
}

// embedCall is one InvokeModel call: it embeds texts[first : first+count].
type embedCall struct {
	first, count int
	body         []byte
}

// embedPlan is the Bedrock calls one request becomes.
type embedPlan struct {
	family embedFamily
	texts  []string
	calls  []embedCall
}

// planEmbeddings translates a validated request for model m into InvokeModel bodies. It is pure: golden tests call it
// directly.
func planEmbeddings(req *openai.EmbeddingRequest, m *Model) (*embedPlan, *openai.Error) {
	fam := embedFamilyOf(m.BaseModelID)
	spec, ok := embedSpecs[fam]
	if !ok {
		return nil, openai.Errorf(http.StatusBadRequest, "invalid_request_error", "model_not_supported",
			"The embedding model `%s` is not supported by this gateway's /embeddings endpoint; use a Titan Text Embeddings (v1, v2) or Cohere Embed v3 model.", req.Model).WithParam("model")
	}
	if d := req.Dimensions; d != nil && *d != spec.nativeDims && !slices.Contains(spec.dims, *d) {
		choices := spec.dims
		if choices == nil {
			choices = []int{spec.nativeDims}
		}
		return nil, openai.BadRequest("Invalid 'dimensions': %d. %s (`%s`) produces %s dimensions.",
			*d, spec.name, m.ID, joinInts(choices)).WithParam("dimensions")
	}
	texts, oerr := inputTexts(&req.Input)
	if oerr != nil {
		return nil, oerr
	}
	p := &embedPlan{family: fam, texts: texts}
	for first := 0; first < len(texts); first += spec.perCall {
		n := min(spec.perCall, len(texts)-first)
		var body any
		switch fam {
		case embedTitanV1:
			body = titanEmbedBody{InputText: texts[first]}
		case embedTitanV2:
			// normalize: OpenAI's vectors are unit length and clients (Open WebUI's vector stores) may rank by dot
			// product. dimensions is sent only when asked for, leaving Bedrock's default otherwise.
			body = titanEmbedBody{InputText: texts[first], Dimensions: req.Dimensions, Normalize: aws.Bool(true)}
		case embedCohereV3:
			it := req.InputTypeValue()
			if it == "" {
				it = "search_document" // what a RAG pipeline's chunks are; Cohere requires a value
			}
			// truncate END: Cohere's context is 512 tokens; a long RAG chunk should lose its tail, not fail the batch.
			body = cohereEmbedBody{Texts: texts[first : first+n], InputType: it, Truncate: "END"}
		}
		b, err := marshalNoEscape(body)
		if err != nil {
			return nil, openai.BadRequest("The input cannot be encoded for Amazon Bedrock.").WithCause(err)
		}
		p.calls = append(p.calls, embedCall{first: first, count: n, body: b})
	}
	return p, nil
}

type titanEmbedBody struct {
	InputText  string `json:"inputText"`
	Dimensions *int   `json:"dimensions,omitempty"`
	Normalize  *bool  `json:"normalize,omitempty"`
}

type cohereEmbedBody struct {
	Texts     []string `json:"texts"`
	InputType string   `json:"input_type"`
	Truncate  string   `json:"truncate"`
}

// marshalNoEscape is json.Marshal without HTML escaping: <, > and & stay as they are, as the client sent them.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// inputTexts is the request's input as text. Token arrays are cl100k_base ids (what OpenAI clients such as LangChain
// send after tokenizing for text-embedding-*); Bedrock's models take text, so the ids are decoded back offline.
func inputTexts(in *openai.EmbeddingInput) ([]string, *openai.Error) {
	if in.Tokens == nil {
		return in.Texts, nil
	}
	texts := make([]string, len(in.Tokens))
	for i, ids := range in.Tokens {
		s, err := tokenizer.CL100K().Decode(ids)
		var ue *tokenizer.UnknownTokenError
		switch {
		case errors.As(err, &ue):
			param := fmt.Sprintf("input[%d]", ue.Index)
			if len(in.Tokens) > 1 {
				param = fmt.Sprintf("input[%d][%d]", i, ue.Index)
			}
			return nil, openai.BadRequest("Invalid token id %d in '%s': it is not in the cl100k_base vocabulary.", ue.ID, param).WithParam(param)
		case err != nil:
			// The embedded rank file failed to parse: a broken build, but still not the client's retryable 500.
			return nil, openai.Errorf(http.StatusBadRequest, "invalid_request_error", "tokens_unsupported",
				"Token-array input cannot be decoded by this gateway; send the input as text.").WithParam("input").WithCause(err)
		}
		if strings.TrimSpace(s) == "" {
			param := "input"
			if len(in.Tokens) > 1 {
				param = fmt.Sprintf("input[%d]", i)
			}
			return nil, openai.BadRequest("'%s' decodes to blank text, which has no embedding.", param).WithParam(param)
		}
		texts[i] = s
	}
	return texts, nil
}

// parseTitanEmbedding reads a Titan response body: the vector and its input token count.
func parseTitanEmbedding(body []byte) ([]float32, int, error) {
	var out struct {
		Embedding           []float32 `json:"embedding"`
		InputTextTokenCount *int      `json:"inputTextTokenCount"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, 0, err
	}
	if len(out.Embedding) == 0 {
		return nil, 0, errors.New("no embedding in the response")
	}
	if out.InputTextTokenCount == nil {
		return nil, 0, errors.New("no inputTextTokenCount in the response")
	}
	return out.Embedding, *out.InputTextTokenCount, nil
}

// parseCohereEmbeddings reads a Cohere v3 response body with want vectors. Both response types are read:
// embeddings_floats (a list of vectors, what the gateway asks for) and embeddings_by_type ({"float":[…]}).
func parseCohereEmbeddings(body []byte, want int) ([][]float32, error) {
	var out struct {
		Embeddings   json.RawMessage `json:"embeddings"`
		ResponseType string          `json:"response_type"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err
	}
	var vecs [][]float32
	if raw := bytes.TrimSpace(out.Embeddings); len(raw) > 0 && raw[0] == '{' {
		var byType struct {
			Float [][]float32 `json:"float"`
		}
		if err := json.Unmarshal(raw, &byType); err != nil {
			return nil, err
		}
		vecs = byType.Float
	} else if err := json.Unmarshal(raw, &vecs); err != nil {
		return nil, err
	}
	if len(vecs) != want {
		return nil, fmt.Errorf("%d embeddings for %d texts", len(vecs), want)
	}
	for i, v := range vecs {
		if len(v) == 0 {
			return nil, fmt.Errorf("embedding %d is empty", i)
		}
	}
	return vecs, nil
}

// estimateTokens is the input token count when Bedrock reports none (Cohere's body has no count, and the header may
// be absent): one token per four bytes of UTF-8, at least one per text. It is an estimate of the order of the real
// count for English text, not an exact figure; it is only used for usage reporting.
func estimateTokens(texts []string) int {
	n := 0
	for _, t := range texts {
		n += max(1, (len(t)+3)/4)
	}
	return n
}

// toEmbeddingList builds the OpenAI response; vecs[i] is the embedding of input i.
func toEmbeddingList(model string, vecs [][]float32, tokens int, base64 bool) *openai.EmbeddingList {
	list := &openai.EmbeddingList{Object: "list", Model: model, Data: make([]openai.Embedding, len(vecs)),
		Usage: openai.EmbeddingsUsage{PromptTokens: tokens, TotalTokens: tokens}}
	for i, v := range vecs {
		list.Data[i] = openai.Embedding{Object: "embedding", Index: i, Embedding: openai.Vector{Floats: v, Base64: base64}}
	}
	return list
}

func upstreamUnreadable(err error) *openai.Error {
	return openai.Errorf(http.StatusBadGateway, "server_error", "upstream_error",
		"Amazon Bedrock returned an embedding response the gateway could not read.").WithCause(err)
}

// captureInputTokens records the InputTokenCountHeader of the call's response into dst (left at -1 when absent).
func captureInputTokens(dst *int) func(*bedrockruntime.Options) {
	return func(o *bedrockruntime.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("GatewayInputTokenCount",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleDeserialize(ctx, in)
					if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Header != nil {
						if n, perr := strconv.Atoi(resp.Header.Get(InputTokenCountHeader)); perr == nil && n >= 0 {
							*dst = n
						}
					}
					return out, md, err
				}), middleware.After)
		})
	}
}

// Embed answers an embeddings request. Every error it returns is an *openai.Error.
func (e *Embedder) Embed(ctx context.Context, req *openai.EmbeddingRequest) (_ *openai.EmbeddingList, res Result, _ error) {
	if oerr := req.Validate(); oerr != nil {
		return nil, Result{}, oerr
	}
	m, oerr := e.Resolve(req.Model)
	if oerr != nil {
		return nil, Result{}, oerr
	}
	res.Model = m.ID
	plan, oerr := planEmbeddings(req, m)
	if oerr != nil {
		return nil, res, oerr
	}

	vecs := make([][]float32, len(plan.texts))
	tokens := make([]int, len(plan.calls))
	ids := make([]string, len(plan.calls))
	start := time.Now()
	defer func() { res.Upstream = time.Since(start) }()
	err := e.fanOut(ctx, len(plan.calls), func(ctx context.Context, i int) error {
		c := plan.calls[i]
		header := -1
		out, err := e.Runtime.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
			ModelId: aws.String(m.InvokeID), Body: c.body,
			ContentType: aws.String("application/json"), Accept: aws.String("application/json"),
		}, captureInputTokens(&header))
		if err != nil {
			ids[i] = RequestID(err)
			return err
		}
		ids[i], _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		switch plan.family {
		case embedCohereV3:
			vs, err := parseCohereEmbeddings(out.Body, c.count)
			if err != nil {
				return upstreamUnreadable(err)
			}
			copy(vecs[c.first:], vs)
			tokens[i] = header
			if header < 0 {
				tokens[i] = estimateTokens(plan.texts[c.first : c.first+c.count])
			}
		default:
			v, n, err := parseTitanEmbedding(out.Body)
			if err != nil {
				return upstreamUnreadable(err)
			}
			vecs[c.first], tokens[i] = v, n
		}
		return nil
	})
	// One id for the access log: the failing call's, else the first call's.
	res.BedrockRequestID = ids[0]
	if err != nil {
		var fe *failedCall
		if errors.As(err, &fe) {
			res.BedrockRequestID, err = ids[fe.index], fe.err
		}
		return nil, res, MapError(err)
	}
	total := 0
	for _, n := range tokens {
		total += n
	}
	res.Usage = &openai.Usage{PromptTokens: total, TotalTokens: total}
	return toEmbeddingList(req.Model, vecs, total, req.Base64()), res, nil
}

type failedCall struct {
	index int
	err   error
}

func (f *failedCall) Error() string { return f.err.Error() }
func (f *failedCall) Unwrap() error { return f.err }

// fanOut runs call(0..n-1) on at most Concurrency workers. The first failure cancels the calls still running and is
// returned (as *failedCall); the cancellations it causes are not reported over it.
func (e *Embedder) fanOut(ctx context.Context, n int, call func(context.Context, int) error) error {
	if n == 1 {
		if err := call(ctx, 0); err != nil {
			return &failedCall{0, err}
		}
		return nil
	}
	workers := e.Concurrency
	if workers <= 0 {
		workers = DefaultEmbedConcurrency
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		once       sync.Once
		first      error
		wg         sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := call(ctx, i); err != nil {
					once.Do(func() { first = &failedCall{i, err}; cancel() })
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if first == nil && done.Load() < int64(n) {
		// The caller's context ended between calls: nothing failed, but not every input was embedded.
		return &failedCall{0, context.Cause(ctx)}
	}
	return first
}
