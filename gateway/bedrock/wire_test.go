package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
)

// captureTransport records the request the real SDK would send and answers nothing, so golden tests compare the
// exact JSON that goes on the wire (the SDK's own serializer), not a re-rendering of our structs.
type captureTransport struct{ body []byte }

var errCaptured = errors.New("captured")

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.body, _ = io.ReadAll(r.Body)
	return nil, errCaptured
}

// wireJSON serializes in with the real SDK and returns the body as a generic JSON value.
func wireJSON(t *testing.T, in *bedrockruntime.ConverseInput) any {
	t.Helper()
	ct := &captureTransport{}
	client := bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String("http://capture.invalid"),
		HTTPClient:   &http.Client{Transport: ct},
		Retryer:      aws.NopRetryer{},
	})
	_, err := client.Converse(context.Background(), in)
	if !errors.Is(err, errCaptured) {
		t.Fatalf("serializing Converse input: %v", err)
	}
	return normJSON(t, ct.body)
}

func normJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return v
}

func jsonEqual(t *testing.T, got any, want string) bool {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(normJSON(t, []byte(want)))
	return bytes.Equal(g, w)
}

func pretty(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
