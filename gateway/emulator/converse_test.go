package emulator

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

func TestConverseEcho(t *testing.T) {
	out, err := converse(t, &bedrockruntime.ConverseInput{
		ModelId:  aws.String(haiku),
		System:   []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "be brief"}},
		Messages: []types.Message{userText("hello there")},
	})
	if err != nil {
		t.Fatal(err)
	}
	msg := out.Output.(*types.ConverseOutputMemberMessage).Value
	if got := msg.Content[0].(*types.ContentBlockMemberText).Value; got != "You said: hello there" {
		t.Fatalf("reply %q", got)
	}
	if out.StopReason != types.StopReasonEndTurn {
		t.Fatalf("stop %s", out.StopReason)
	}
	u := out.Usage
	if *u.OutputTokens != 4 || *u.InputTokens != 2+3 || *u.TotalTokens != *u.InputTokens+*u.OutputTokens {
		t.Fatalf("usage %d %d %d", *u.InputTokens, *u.OutputTokens, *u.TotalTokens)
	}
}

func TestConverseStreamEcho(t *testing.T) {
	r, err := converseStream(t, &bedrockruntime.ConverseStreamInput{
		ModelId:  aws.String(haiku),
		Messages: []types.Message{userText("one two three four")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.err != nil || !r.sawStop {
		t.Fatalf("err %v stop %v", r.err, r.sawStop)
	}
	if r.text != "You said: one two three four" || r.deltas != 6 {
		t.Fatalf("text %q deltas %d", r.text, r.deltas)
	}
	if _, ok := r.events[0].(*types.ConverseStreamOutputMemberMessageStart); !ok {
		t.Fatalf("first event %T", r.events[0])
	}
	if *r.usage.OutputTokens != 6 {
		t.Fatalf("usage %+v", r.usage)
	}
	if !strings.HasPrefix(r.text, "You said") {
		t.Fatal(r.text)
	}
}
