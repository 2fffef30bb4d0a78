package emulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"go.uber.org/goleak"
)

// One server for the package's tests: starting one per test would work
// too, but sharing it keeps the run short and also exercises concurrency.
var shared *Server

func TestMain(m *testing.M) {
	var err error
	shared, err = Start(Config{})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = shared.Close()
	// Close must leave no server or client goroutine behind: the gateway's
	// own tests run goleak with the emulator in-process.
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func runtimeClient(t testing.TB) *bedrockruntime.Client {
	t.Helper()
	return bedrockruntime.NewFromConfig(shared.AWSConfig())
}

func controlClient(t testing.TB) *bedrock.Client {
	t.Helper()
	return bedrock.NewFromConfig(shared.AWSConfig())
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

const (
	haiku    = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
	sonnet45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
	novaLite = "amazon.nova-lite-v1:0"
	novaMic  = "amazon.nova-micro-v1:0"
	llama    = "meta.llama3-1-8b-instruct-v1:0"
	titanTxt = "amazon.titan-text-express-v1"
	r1       = "us.deepseek.r1-v1:0"
)

func userText(s string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

func converse(t testing.TB, in *bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
	t.Helper()
	return runtimeClient(t).Converse(testCtx(t), in)
}

// streamResult is everything a ConverseStream returned, in order.
type streamResult struct {
	events     []types.ConverseStreamOutput
	text       string
	reasoning  string
	signature  string
	toolInputs map[int]string // by contentBlockIndex
	toolStarts map[int]types.ToolUseBlockStart
	stop       types.StopReason
	usage      *types.TokenUsage
	sawStop    bool
	deltas     int
	err        error
}

func converseStream(t testing.TB, in *bedrockruntime.ConverseStreamInput) (*streamResult, error) {
	t.Helper()
	out, err := runtimeClient(t).ConverseStream(testCtx(t), in)
	if err != nil {
		return nil, err
	}
	return drain(out.GetStream()), nil
}

func drain(s *bedrockruntime.ConverseStreamEventStream) *streamResult {
	defer s.Close()
	r := &streamResult{toolInputs: map[int]string{}, toolStarts: map[int]types.ToolUseBlockStart{}}
	for ev := range s.Events() {
		r.events = append(r.events, ev)
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			if tu, ok := v.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
				r.toolStarts[int(*v.Value.ContentBlockIndex)] = tu.Value
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			idx := int(*v.Value.ContentBlockIndex)
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				r.text += d.Value
				r.deltas++
			case *types.ContentBlockDeltaMemberToolUse:
				r.toolInputs[idx] += *d.Value.Input
				r.deltas++
			case *types.ContentBlockDeltaMemberReasoningContent:
				switch rd := d.Value.(type) {
				case *types.ReasoningContentBlockDeltaMemberText:
					r.reasoning += rd.Value
					r.deltas++
				case *types.ReasoningContentBlockDeltaMemberSignature:
					r.signature = rd.Value
				}
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			r.stop = v.Value.StopReason
			r.sawStop = true
		case *types.ConverseStreamOutputMemberMetadata:
			r.usage = v.Value.Usage
		}
	}
	r.err = s.Err()
	return r
}

// apiErr asserts err is a smithy API error with the given code and a
// message containing want.
func apiErr(t testing.TB, err error, code, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got no error", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %T %v", code, err, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if !strings.Contains(ae.ErrorMessage(), want) {
		t.Fatalf("%s message %q does not contain %q", code, ae.ErrorMessage(), want)
	}
}

func weatherTool() types.Tool {
	return &types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name:        aws.String("get_weather"),
		Description: aws.String("Current weather for a city"),
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
			"type": "object",
			"properties": map[string]any{
				"city":  map[string]any{"type": "string"},
				"unit":  map[string]any{"type": "string", "enum": []any{"celsius", "fahrenheit"}},
				"days":  map[string]any{"type": "integer", "minimum": 1},
				"extra": map[string]any{"type": "boolean"},
			},
			"required": []any{"city", "unit", "days"},
		})},
	}}
}

func timeTool() types.Tool {
	return &types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name:        aws.String("get_time"),
		Description: aws.String("Current time in a zone"),
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
			"type": "object", "properties": map[string]any{"zone": map[string]any{"type": "string"}},
		})},
	}}
}
