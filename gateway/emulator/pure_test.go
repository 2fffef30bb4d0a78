package emulator

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"
)

func TestParseDirectives(t *testing.T) {
	cases := []struct {
		in, text string
		check    func(d directives) bool
	}{
		{"plain text", "plain text", func(d directives) bool { return !d.hasAny && d.words == -1 }},
		{"a [[emulate:throttle]] b", "a b", func(d directives) bool { return d.throttle }},
		{"[[emulate:error=ModelTimeoutException]]x", "x", func(d directives) bool { return d.errorName == "ModelTimeoutException" }},
		{"go [[emulate:error-after=3]][[emulate:cut-after=5]]", "go", func(d directives) bool { return d.errorAfter == 3 && d.cutAfter == 5 }},
		{"[[emulate:delay-ms=20]] [[emulate:words=9]] hi", "hi", func(d directives) bool { return d.delayMs == 20 && d.words == 9 }},
		{"[[emulate:tool=get_time]] [[emulate:tools=2]]", "", func(d directives) bool { return d.tool == "get_time" && d.tools == 2 }},
		{"[[emulate:stop=max_tokens]] [[emulate:guardrail]]", "", func(d directives) bool { return d.stop == "max_tokens" && d.guardrail }},
		{"[[emulate:words=-4]] unterminated [[emulate:x", "unterminated [[emulate:x", func(d directives) bool { return d.words == -1 }},
	}
	for _, c := range cases {
		d := noDirectives()
		if got := parseDirectives(c.in, &d); got != c.text || !c.check(d) {
			t.Errorf("%q: text %q directives %+v", c.in, got, d)
		}
	}
}

func TestExampleFromSchema(t *testing.T) {
	cases := []struct{ schema, want string }{
		{`{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}}}`, `{"a":1,"b":"sample b"}`},
		{`{"type":"object","properties":{"q":{"type":"string"},"n":{"type":"number","maximum":1}},"required":["q"]}`, `{"q":"sample q"}`},
		{`{"type":"object","properties":{"u":{"enum":["c","f"]},"k":{"const":7},"d":{"type":"string","default":"x"}},"required":["u","k","d"]}`, `{"u":"c","k":7,"d":"x"}`},
		{`{"type":"object","properties":{"l":{"type":"array","items":{"type":"boolean"},"minItems":2}},"required":["l"]}`, `{"l":[true,true]}`},
		{`{"type":"object","properties":{"o":{"type":"object","properties":{"z":{"type":["null","integer"],"minimum":5}},"required":["z"]}},"required":["o"]}`, `{"o":{"z":5}}`},
		{`{"type":"object","properties":{"e":{"type":"string","format":"email"},"a":{"anyOf":[{"type":"null"},{"type":"boolean"}]}},"required":["e","a"]}`, `{"e":"user@example.com","a":true}`},
		{`{}`, `{}`},
		{`not json`, `{}`},
	}
	for _, c := range cases {
		got := string(exampleFromSchema(json.RawMessage(c.schema)))
		if got != c.want {
			t.Errorf("%s: got %s want %s", c.schema, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("invalid JSON %s", got)
		}
	}
}

func TestChunking(t *testing.T) {
	b := wordBlock(blockText, "You said:  two  spaces é")
	if strings.Join(b.chunks, "") != "You said:  two  spaces é" || len(b.chunks) != 5 {
		t.Fatalf("%q", b.chunks)
	}
	f := fragments(`{"city":"Zürich, Schweiz"}`, 5)
	if strings.Join(f, "") != `{"city":"Zürich, Schweiz"}` || len(f) < 2 {
		t.Fatalf("%q", f)
	}
	for _, p := range f {
		if !json.Valid(mustJSON(p)) {
			t.Fatalf("fragment %q", p)
		}
	}
	if f := fragments(`{}`, 12); len(f) != 2 {
		t.Fatalf("%q", f)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "quote \" back \\ slash", "ctl \x00\x01\x1f \n\r\t", "utf8 é ✓ 😀", "bad \xff byte", "<html>&"} {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if got != want {
			t.Fatalf("%q round-tripped to %q", s, got)
		}
	}
}

func TestCanonicalPieces(t *testing.T) {
	if got := awsEscape("/model/arn%3Aaws%3Abedrock%2Fx/converse", false); got != "/model/arn%253Aaws%253Abedrock%252Fx/converse" {
		t.Fatal(got)
	}
	if got := canonicalQuery("b=2&a=x y&a=1&byProvider=Mistral%20AI"); got != "a=1&a=x%20y&b=2&byProvider=Mistral%20AI" {
		t.Fatal(got)
	}
	a, ok := parseAuthorization("AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	if !ok || a.accessKey != "AK" || a.region != "us-east-1" || a.service != "bedrock" || len(a.signedHeaders) != 2 || a.signature != "abc" {
		t.Fatalf("%+v", a)
	}
	if _, ok := parseAuthorization("Bearer x"); ok {
		t.Fatal("bearer accepted")
	}
	r := httptest.NewRequest("GET", "/foundation-models?byProvider=x", nil)
	r.Header.Set("X-Amz-Date", "20250101T000000Z")
	r.Header.Add("X-Multi", "a  b")
	r.Header.Add("X-Multi", " c ")
	want := "GET\n/foundation-models\nbyProvider=x\nhost:example.com\nx-amz-date:20250101T000000Z\nx-multi:a b,c\n\nhost;x-amz-date;x-multi\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got := canonicalRequest(r, []string{"host", "x-amz-date", "x-multi"}, nil); got != want {
		t.Fatalf("%q", got)
	}
}

func TestCapabilityTable(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range models {
		if seen[m.ID] {
			t.Fatalf("duplicate %s", m.ID)
		}
		seen[m.ID] = true
		if m.OutputModality == "TEXT" && (m.MaxOutputTokens == 0 || m.DefaultOutputTokens == 0 || m.DefaultOutputTokens > m.MaxOutputTokens) {
			t.Fatalf("%s: token limits", m.ID)
		}
		if !m.OnDemand && len(m.Profiles) == 0 {
			t.Fatalf("%s is not invocable", m.ID)
		}
		if m.OutputModality == "EMBEDDING" && (m.Embed == embedNone || m.EmbedDims == 0) {
			t.Fatalf("%s: embedding family", m.ID)
		}
	}
}

// TestParallelStreams runs many streams over HTTP/1.1 at once on one
// client: none may end without messageStop (the loopback truncation
// gotcha).
//
// smithy-go v1.28.9 shares one event-stream Codec per client protocol and
// writes its fields on every decoded frame, so concurrent ConverseStreams
// on one client are a data race under -race (benign in practice: the
// buffer it resets is always nil). Giving each call its own protocol
// instance, as below, avoids it.
func TestParallelStreams(t *testing.T) {
	perCall := func(o *bedrockruntime.Options) { o.Protocol = restjson1.New(schemas.AmazonBedrockFrontendService) }
	c := runtimeClient(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				out, err := c.ConverseStream(testCtx(t), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(novaMic),
					Messages: []types.Message{userText("parallel [[emulate:words=12]]")}}, perCall)
				ok := err == nil
				if ok {
					r := drain(out.GetStream())
					ok = r.err == nil && r.sawStop && r.deltas == 12
				}
				if !ok {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if failures > 0 {
		t.Fatalf("%d of %d streams failed", failures, workers*each)
	}
}
