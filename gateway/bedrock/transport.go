package bedrock

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// bufferingClient hands net/http a request body the SDK cannot close under it.
//
// The SDK closes the request body as soon as response headers arrive. For ConverseStream, Bedrock (and the
// emulator) may answer before net/http has finished copying the body, and net/http then sees the closed body and
// tears the connection down, truncating the stream mid-way (aws-sdk-go-v2 #2737). Request bodies are small JSON
// documents already in memory, so buffering them is cheap and also lets net/http replay them on a retried
// connection.
type bufferingClient struct{ next aws.HTTPClient }

func (c bufferingClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.next.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	r2 := req.Clone(req.Context())
	r2.ContentLength = int64(len(body))
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return c.next.Do(r2)
}

// poolOptions size the connection pool for many concurrent streams instead of the SDK's 10 idle connections per
// host, which would make every burst of streams dial (and TLS-handshake) anew.
func poolOptions(tr *http.Transport) {
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 1024
	// HTTP/1.1 holds one connection per in-flight stream; the SDK's default cap of 2048 per host would queue
	// stream 2049 behind another stream's end (measured with gateway-bench's 5,000-stream phase).
	tr.MaxConnsPerHost = 0
	tr.IdleConnTimeout = 90 * time.Second
}

// NewHTTPClient is the HTTP client the gateway gives the SDK.
func NewHTTPClient() aws.HTTPClient {
	return WrapHTTPClient(nil)
}

// NewCleartextHTTP2Client speaks HTTP/2 without TLS (h2c, prior knowledge) to plain-http endpoints such as the
// emulator. Against AWS the SDK already negotiates HTTP/2 over TLS, where concurrent streams share connections;
// this makes the emulator path behave the same instead of holding one HTTP/1.1 connection (and its two goroutines
// and buffers) per stream.
func NewCleartextHTTP2Client() aws.HTTPClient {
	bc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		poolOptions(tr)
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	})
	return bufferingClient{next: bc}
}

// WrapHTTPClient adapts the client the SDK's config loader built (which may carry AWS_CA_BUNDLE and proxy settings,
// and must stay a BuildableClient for the loader to apply them) into the gateway's client.
func WrapHTTPClient(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	if bc, ok := c.(*awshttp.BuildableClient); ok {
		c = bc.WithTransportOptions(poolOptions)
	}
	return bufferingClient{next: c}
}
