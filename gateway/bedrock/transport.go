package bedrock

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"time"
)

// bufferingTransport hands net/http a request body the SDK cannot close under it.
//
// The SDK closes the request body as soon as response headers arrive. For ConverseStream, Bedrock (and the
// emulator) may answer before net/http has finished copying the body, and net/http then sees the closed body and
// tears the connection down, truncating the stream mid-way (aws-sdk-go-v2 #2737). Request bodies are small JSON
// documents already in memory, so buffering them is cheap and also lets net/http replay them on a retried
// connection.
type bufferingTransport struct{ next http.RoundTripper }

func (t bufferingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.next.RoundTrip(req)
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
	return t.next.RoundTrip(r2)
}

// NewHTTPClient is the HTTP client the gateway gives the SDK: request bodies buffered (see bufferingTransport) and
// a connection pool sized for many concurrent streams instead of net/http's 2 idle connections per host, which
// would make every burst of streams dial anew.
func NewHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: bufferingTransport{next: tr}}
}
