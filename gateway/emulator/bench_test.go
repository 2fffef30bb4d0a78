package emulator

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// The emulator is the floor of the gateway's benchmarks: these measure the
// real SDK against it over loopback, serially.

func BenchmarkConverse(b *testing.B) {
	c := runtimeClient(b)
	in := &bedrockruntime.ConverseInput{ModelId: aws.String(novaMic), Messages: []types.Message{userText("benchmark me please")}}
	for b.Loop() {
		if _, err := c.Converse(testCtx(b), in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConverseStream(b *testing.B) {
	c := runtimeClient(b)
	in := &bedrockruntime.ConverseStreamInput{ModelId: aws.String(novaMic), Messages: []types.Message{userText("[[emulate:words=10]]")}}
	for b.Loop() {
		out, err := c.ConverseStream(testCtx(b), in)
		if err != nil {
			b.Fatal(err)
		}
		if r := drain(out.GetStream()); !r.sawStop {
			b.Fatal("no messageStop")
		}
	}
}
