package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	gwbedrock "github.com/openwebui-bedrock/gateway/bedrock"
)

func TestSigV4Rejections(t *testing.T) {
	cases := []struct {
		name, key, secret, region, code, msg string
	}{
		{"wrong secret", DefaultAccessKeyID, "not-the-secret", DefaultRegion, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"unknown key", "AKIAUNKNOWN000000000", DefaultSecretAccessKey, DefaultRegion, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"wrong region", DefaultAccessKeyID, DefaultSecretAccessKey, "eu-west-1", "InvalidSignatureException", "Credential should be scoped to a valid region."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := shared.AWSConfig()
			cfg.Credentials = credentials.NewStaticCredentialsProvider(c.key, c.secret, "")
			cfg.Region = c.region
			_, err := bedrockruntime.NewFromConfig(cfg).Converse(testCtx(t), &bedrockruntime.ConverseInput{
				ModelId: aws.String("us." + haiku), Messages: []types.Message{userText("hi")}})
			apiErr(t, err, c.code, c.msg)
			_, err = bedrock.NewFromConfig(cfg).ListFoundationModels(testCtx(t), &bedrock.ListFoundationModelsInput{ByProvider: aws.String("Amazon")})
			apiErr(t, err, c.code, "")
		})
	}

	resp, err := http.Post(shared.URL+"/model/"+haiku+"/converse", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" || resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Fatalf("unsigned: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestCustomCredentialsAndRegion(t *testing.T) {
	s, err := Start(Config{Region: "eu-central-1", Credentials: map[string]string{"AKIDTEAM": "team-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := s.AWSConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDTEAM", "team-secret", "")
	out, err := bedrockruntime.NewFromConfig(cfg).Converse(testCtx(t), &bedrockruntime.ConverseInput{
		ModelId: aws.String("eu.anthropic.claude-3-7-sonnet-20250219-v1:0"), Messages: []types.Message{userText("hi")}})
	if err != nil || out.StopReason != types.StopReasonEndTurn {
		t.Fatal(err)
	}
	_, err = bedrockruntime.NewFromConfig(s.AWSConfig()).Converse(testCtx(t), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userText("hi")}})
	apiErr(t, err, "UnrecognizedClientException", "")
}

// TestH2C drives the real SDK over HTTP/2 without TLS (prior knowledge),
// as AWS SDKs that prefer HTTP/2 would (the standard library's own
// unencrypted HTTP/2; x/net/http2 with AllowHTTP speaks the same).
func TestH2C(t *testing.T) {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	std := &http.Transport{Protocols: &protocols}
	defer std.CloseIdleConnections()
	for name, rt := range map[string]http.RoundTripper{"net/http": std} {
		t.Run(name, func(t *testing.T) {
			var proto string
			cfg := shared.AWSConfig()
			cfg.HTTPClient = gwbedrock.WrapHTTPClient(&http.Client{Transport: protoSpy{rt, &proto}})
			r, err := drainStream(t, bedrockruntime.NewFromConfig(cfg), "h2 [[emulate:words=5]]")
			if err != nil || !r.sawStop || r.deltas != 5 {
				t.Fatalf("%v %+v", err, r)
			}
			if proto != "HTTP/2.0" {
				t.Fatalf("spoke %s", proto)
			}
		})
	}
}

type protoSpy struct {
	next  http.RoundTripper
	proto *string
}

func (p protoSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	if resp != nil {
		*p.proto = resp.Proto
	}
	return resp, err
}

func drainStream(t *testing.T, c *bedrockruntime.Client, text string) (*streamResult, error) {
	out, err := c.ConverseStream(testCtx(t), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(novaMic), Messages: []types.Message{userText(text)}})
	if err != nil {
		return nil, err
	}
	return drain(out.GetStream()), nil
}

func TestStatsEndpoint(t *testing.T) {
	if _, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(novaMic), Messages: []types.Message{userText("x")}}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(shared.URL + "/_emulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if s.Requests[opConverse] < 1 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%+v", s)
	}
	var raw map[string]any
	_ = json.Unmarshal(mustJSON(s), &raw)
	for _, k := range []string{"requests", "streams_active", "streams_completed", "streams_cancelled", "rejected"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("missing %s", k)
		}
	}
}
