package bedrock

import (
	"context"
	"net/http"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"

	"github.com/openwebui-bedrock/gateway/openai"
)

// RuntimeAPI is the part of the Bedrock runtime client the gateway uses.
type RuntimeAPI interface {
	Converse(context.Context, *bedrockruntime.ConverseInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseOutput, error)
	ConverseStream(context.Context, *bedrockruntime.ConverseStreamInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseStreamOutput, error)
	InvokeModel(context.Context, *bedrockruntime.InvokeModelInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelOutput, error)
}

// Service answers OpenAI chat requests from Bedrock.
type Service struct {
	Runtime      RuntimeAPI
	Catalogue    *Catalogue
	DefaultModel string
}

// Result describes a finished call, for access logs and metrics.
type Result struct {
	Model            string // the Bedrock model invoked
	Usage            *openai.Usage
	FinishReason     string
	BedrockRequestID string
}

// Resolve maps the requested model name to a catalogue entry. OpenAI model names (gpt-*) go to DEFAULT_MODEL so that
// clients hard-wired to OpenAI work unchanged.
func (s *Service) Resolve(name string, kind Kind) (*Model, *openai.Error) {
	id := name
	if kind == KindChat && strings.HasPrefix(name, "gpt-") {
		id = s.DefaultModel
	}
	if !s.Catalogue.Loaded() {
		e := openai.Errorf(http.StatusServiceUnavailable, "server_error", "catalogue_unavailable",
			"The model catalogue has not been loaded from Amazon Bedrock yet; retry shortly.")
		e.RetryAfter = 5
		return nil, e
	}
	m, ok := s.Catalogue.Lookup(id)
	if !ok || m.Kind != kind {
		return nil, openai.ModelNotFound(name)
	}
	return m, nil
}

func (s *Service) prepare(req *openai.ChatRequest) (*Model, *bedrockruntime.ConverseInput, *openai.Error) {
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	m, err := s.Resolve(req.Model, KindChat)
	if err != nil {
		return nil, nil, err
	}
	in, err := BuildConverse(req, m)
	if err != nil {
		return nil, nil, err
	}
	return m, in, nil
}

// Complete answers a non-streaming request.
func (s *Service) Complete(ctx context.Context, req *openai.ChatRequest) (*openai.ChatCompletion, Result, error) {
	m, in, oerr := s.prepare(req)
	if oerr != nil {
		return nil, Result{}, oerr
	}
	res := Result{Model: m.ID}
	out, err := s.Runtime.Converse(ctx, in)
	if err != nil {
		res.BedrockRequestID = RequestID(err)
		return nil, res, MapError(err)
	}
	res.BedrockRequestID, _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	resp, oerr := ToCompletion(out, NewCompletionID(), req.Model, time.Now().Unix())
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

// ChunkSink receives a stream. Open is called once Bedrock has accepted the request, before the first chunk, so that
// errors up to that point can still be sent as a plain HTTP error with the right status. Ping is called after
// PingEvery of silence (a keep-alive for proxies and clients with idle timeouts).
type ChunkSink interface {
	Open() error
	Send(*openai.ChatCompletionChunk) error
	Ping() error
	PingEvery() time.Duration
}

// Stream answers a streaming request. An error returned before sink.Open was called is an ordinary HTTP error;
// after that, the caller sends it as an error event. Cancelling ctx (the client went away) closes the Bedrock stream.
func (s *Service) Stream(ctx context.Context, req *openai.ChatRequest, sink ChunkSink) (res Result, _ error) {
	m, in, oerr := s.prepare(req)
	if oerr != nil {
		return res, oerr
	}
	res.Model = m.ID
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, err := s.Runtime.ConverseStream(ctx, StreamInput(in), ownEventStreamCodec)
	if err != nil {
		res.BedrockRequestID = RequestID(err)
		return res, MapError(err)
	}
	res.BedrockRequestID, _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	stream := out.GetStream()
	defer stream.Close()
	if err := sink.Open(); err != nil {
		return res, err
	}
	tr := &StreamTranslator{ID: NewCompletionID(), Model: req.Model, Created: time.Now().Unix(), IncludeUsage: req.IncludeUsage()}
	defer func() { res.Usage, res.FinishReason = tr.Usage(), tr.FinishReasonSent() }()

	ping := time.NewTimer(sink.PingEvery())
	defer ping.Stop()
	events := stream.Events()
	for {
		select {
		case ev, ok := <-events:
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
		case <-ping.C:
			if err := sink.Ping(); err != nil {
				return res, err
			}
			ping.Reset(sink.PingEvery())
		case <-ctx.Done():
			return res, MapError(ctx.Err())
		}
	}
}
