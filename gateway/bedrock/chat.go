package bedrock

import (
	"context"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"

	"github.com/openwebui-bedrock/gateway/openai"
)

// RuntimeAPI is the part of the Bedrock runtime client the gateway uses.
type RuntimeAPI interface {
	Converse(context.Context, *bedrockruntime.ConverseInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseOutput, error)
	ConverseStream(context.Context, *bedrockruntime.ConverseStreamInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseStreamOutput, error)
	InvokeModel(context.Context, *bedrockruntime.InvokeModelInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelOutput, error)
}

// ImageFetcher downloads http(s) image URLs (SSRF-safe in production: package imagefetch).
type ImageFetcher interface {
	Fetch(ctx context.Context, url string) (data []byte, format string, err error)
}

// Service answers OpenAI chat requests from Bedrock.
type Service struct {
	Runtime      RuntimeAPI
	Catalogue    *Catalogue
	DefaultModel string
	Options      TranslateOptions
	Images       ImageFetcher // nil: http(s) image URLs are refused
}

// Result describes a finished call, for access logs and metrics.
type Result struct {
	Model            string // the catalogue id of the model invoked; empty if no model was resolved
	Usage            *openai.Usage
	FinishReason     string
	BedrockRequestID string
	Upstream         time.Duration // time in Bedrock calls: the whole Converse, or ConverseStream until it opened
}

// Resolve maps the requested model name to a catalogue entry. OpenAI model names (gpt-*) go to DEFAULT_MODEL so that
// clients hard-wired to OpenAI work unchanged.
func (s *Service) Resolve(name string) (*Model, *openai.Error) {
	id := name
	if strings.HasPrefix(name, "gpt-") {
		id = s.DefaultModel
	}
	return s.Catalogue.Resolve(id, name, KindChat)
}

func (s *Service) prepare(ctx context.Context, req *openai.ChatRequest) (*Call, *openai.Error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	m, err := s.Resolve(req.Model)
	if err != nil {
		return nil, err
	}
	opts := s.Options
	if urls := ImageURLs(req); len(urls) > 0 && m.Images {
		if len(urls) > maxImageURLs {
			return nil, openai.BadRequest("At most %d image URLs per request can be fetched; send more as data: URLs.", maxImageURLs).WithParam("messages")
		}
		if opts.Images, err = s.fetchImages(ctx, urls); err != nil {
			return nil, err
		}
	}
	return BuildConverse(req, m, opts)
}

// maxImageURLs bounds the fetches one request can trigger (Bedrock takes at most 20 images per request).
const maxImageURLs = 20

// fetchImages downloads a request's image URLs concurrently.
func (s *Service) fetchImages(ctx context.Context, urls []string) (map[string]Image, *openai.Error) {
	if s.Images == nil {
		return nil, openai.BadRequest("Image URLs are not enabled on this gateway; send images as data: URLs.").WithParam("messages")
	}
	out := make(map[string]Image, len(urls))
	errs := make([]error, len(urls))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, format, err := s.Images.Fetch(ctx, u)
			if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			out[u] = Image{Data: data, Format: format}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, openai.BadRequest("Could not use the image at %s: %v", urls[i], err).WithParam("messages").WithCause(err)
		}
	}
	return out, nil
}

// Complete answers a non-streaming request.
func (s *Service) Complete(ctx context.Context, req *openai.ChatRequest) (*openai.ChatCompletion, Result, error) {
	call, oerr := s.prepare(ctx, req)
	if oerr != nil {
		return nil, Result{}, oerr
	}
	return s.converse(ctx, req, call)
}

func (s *Service) converse(ctx context.Context, req *openai.ChatRequest, call *Call) (*openai.ChatCompletion, Result, error) {
	res := Result{Model: call.Model.ID}
	start := time.Now()
	out, err := s.Runtime.Converse(ctx, call.Input)
	res.Upstream = time.Since(start)
	if err != nil {
		res.BedrockRequestID = RequestID(err)
		return nil, res, MapError(err)
	}
	res.BedrockRequestID, _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	resp, oerr := ToCompletion(out, call, NewCompletionID(), req.Model, time.Now().Unix())
	if oerr != nil {
		return nil, res, oerr
	}
	res.Usage, res.FinishReason = resp.Usage, resp.Choices[0].FinishReason
	return resp, res, nil
}

// ownEventStreamCodec gives one ConverseStream call its own protocol instance. The SDK's client shares one
// event-stream codec (decoder and payload buffer) among all of its concurrent streams (smithy-go v1.28.x
// internal/eventstream.Codec), a data race that `go test -race` reports on every concurrent stream; the state is
// benign today, but a gateway multiplexing thousands of users' streams must not rest on that. The cost is one small
// allocation per stream.
func ownEventStreamCodec(o *bedrockruntime.Options) {
	o.Protocol = restjson1.New(schemas.AmazonBedrockFrontendService)
}

// ChunkSink receives a stream. Send may buffer; Flush pushes what was sent to the client. Open is called once Bedrock has accepted the request, before the first chunk, so that
// errors up to that point can still be sent as a plain HTTP error with the right status; it names the catalogue
// model serving the stream. Ping is called after
// PingEvery of silence (a keep-alive for proxies and clients with idle timeouts).
type ChunkSink interface {
	Open(model string) error
	Send(*openai.ChatCompletionChunk) error
	Flush() error
	Ping() error
	PingEvery() time.Duration
}

// Stream answers a streaming request. An error returned before sink.Open was called is an ordinary HTTP error;
// after that, the caller sends it as an error event. Cancelling ctx (the client went away) closes the Bedrock stream.
func (s *Service) Stream(ctx context.Context, req *openai.ChatRequest, sink ChunkSink) (res Result, _ error) {
	call, oerr := s.prepare(ctx, req)
	if oerr != nil {
		return res, oerr
	}
	if call.streamViaConverse {
		return s.streamFromConverse(ctx, req, call, sink)
	}
	res.Model = call.Model.ID
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	out, err := s.Runtime.ConverseStream(ctx, StreamInput(call.Input), ownEventStreamCodec)
	res.Upstream = time.Since(start)
	if err != nil {
		res.BedrockRequestID = RequestID(err)
		return res, MapError(err)
	}
	res.BedrockRequestID, _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	stream := out.GetStream()
	defer stream.Close()
	if err := sink.Open(call.Model.ID); err != nil {
		return res, err
	}
	tr := &StreamTranslator{ID: NewCompletionID(), Model: req.Model, Created: time.Now().Unix(), IncludeUsage: req.IncludeUsage(), Call: call}
	defer func() { res.Usage, res.FinishReason = tr.Usage(), tr.FinishReasonSent() }()

	ping := time.NewTimer(sink.PingEvery())
	defer ping.Stop()
	events := stream.Events()
	for {
		var ev types.ConverseStreamOutput
		var ok bool
		select {
		case ev, ok = <-events:
		default:
			// Nothing is waiting: flush what was written, then block. Events that arrive in a burst share one
			// flush (one write system call) instead of one each.
			if err := sink.Flush(); err != nil {
				return res, err
			}
			select {
			case ev, ok = <-events:
			case <-ping.C:
				if err := sink.Ping(); err != nil {
					return res, err
				}
				ping.Reset(sink.PingEvery())
				continue
			case <-ctx.Done():
				return res, MapError(ctx.Err())
			}
		}
		if !ok {
			if err := stream.Err(); err != nil {
				return res, MapError(err)
			}
			if err := ctx.Err(); err != nil {
				return res, MapError(err)
			}
			return res, tr.End(sink.Send)
		}
		if err := tr.Event(ev, sink.Send); err != nil {
			return res, err
		}
		ping.Reset(sink.PingEvery())
	}
}

// streamFromConverse serves a stream for a model that cannot stream with tools (Llama on Bedrock): one Converse
// call, then the answer as a well-formed chunk sequence, so the client's streaming code path still works.
func (s *Service) streamFromConverse(ctx context.Context, req *openai.ChatRequest, call *Call, sink ChunkSink) (Result, error) {
	resp, res, err := s.converse(ctx, req, call)
	if err != nil {
		return res, err
	}
	if err := sink.Open(call.Model.ID); err != nil {
		return res, err
	}
	for _, c := range CompletionChunks(resp, req.IncludeUsage()) {
		if err := sink.Send(c); err != nil {
			return res, err
		}
	}
	return res, sink.Flush()
}

// CompletionChunks renders a finished completion as the chunks a stream of it would have carried.
func CompletionChunks(resp *openai.ChatCompletion, includeUsage bool) []*openai.ChatCompletionChunk {
	ch := resp.Choices[0]
	mk := func(d openai.Delta, finish *string) *openai.ChatCompletionChunk {
		return &openai.ChatCompletionChunk{ID: resp.ID, Object: "chat.completion.chunk", Created: resp.Created, Model: resp.Model,
			Choices: []openai.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}}
	}
	empty := ""
	out := []*openai.ChatCompletionChunk{mk(openai.Delta{Role: "assistant", Content: &empty}, nil)}
	if r := ch.Message.ReasoningContent; r != "" {
		splitText(r, func(s string) error { out = append(out, mk(openai.Delta{ReasoningContent: &s}, nil)); return nil })
	}
	if len(ch.Message.ThinkingBlocks) > 0 {
		out = append(out, mk(openai.Delta{ThinkingBlocks: ch.Message.ThinkingBlocks}, nil))
	}
	if c := ch.Message.Content; c != nil && *c != "" {
		splitText(*c, func(s string) error { out = append(out, mk(openai.Delta{Content: &s}, nil)); return nil })
	}
	for i, tc := range ch.Message.ToolCalls {
		idx := i
		out = append(out, mk(openai.Delta{ToolCalls: []openai.ToolCall{{Index: &idx, ID: tc.ID, Type: "function",
			Function: openai.FunctionCall{Name: tc.Function.Name, Arguments: ""}}}}, nil))
		splitText(tc.Function.Arguments, func(s string) error {
			out = append(out, mk(openai.Delta{ToolCalls: []openai.ToolCall{{Index: &idx, Function: openai.FunctionCall{Arguments: s}}}}, nil))
			return nil
		})
	}
	finish := ch.FinishReason
	out = append(out, mk(openai.Delta{}, &finish))
	if includeUsage {
		out = append(out, &openai.ChatCompletionChunk{ID: resp.ID, Object: "chat.completion.chunk", Created: resp.Created,
			Model: resp.Model, Choices: []openai.ChunkChoice{}, Usage: resp.Usage})
	}
	return out
}
