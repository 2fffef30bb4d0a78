package emulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	gwbedrock "github.com/openwebui-bedrock/gateway/bedrock"
)

// Server is an Emulator listening on a loopback port, for tests,
// benchmarks and the gateway's -emulator mode.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	Emulator *Emulator

	region    string
	transport *http.Transport // the client side of AWSConfig, closed with the server
	srv       *http.Server
	ln        net.Listener
	done      chan struct{}
	inwg      sync.WaitGroup // in-flight handlers, so Close leaves no goroutine behind
	once      sync.Once
}

// Start listens on 127.0.0.1:0 and serves HTTP/1.1 and HTTP/2 over
// cleartext (h2c with prior knowledge), as AWS SDKs for other languages
// may speak HTTP/2 to bedrock-runtime.
func Start(cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return Serve(ln, cfg), nil
}

// Serve is Start on a listener the caller opened (the standalone command
// uses it to honour -addr).
func Serve(ln net.Listener, cfg Config) *Server {
	e := New(cfg)
	s := &Server{URL: "http://" + ln.Addr().String(), Emulator: e, region: e.region, ln: ln, done: make(chan struct{}),
		transport: newLoopbackTransport()}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.inwg.Add(1)
			defer s.inwg.Done()
			e.ServeHTTP(w, r)
		}),
		Protocols:         &protocols,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s
}

// Close stops the server at once: open streams are cut, and Close returns
// when every handler has returned.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		err = s.srv.Close()
		<-s.done
		s.transport.CloseIdleConnections()
		waited := make(chan struct{})
		go func() { s.inwg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	})
	return err
}

// Shutdown stops accepting connections and waits for in-flight requests
// (streams included) until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}

// AWSConfig returns an aws.Config for the SDK clients (bedrockruntime and
// bedrock), built by hand so nothing is read from the environment, ~/.aws
// or instance metadata:
//   - static credentials DefaultAccessKeyID / DefaultSecretAccessKey (the
//     emulator must run with the default credentials for them to verify);
//   - Region set to the emulator's region;
//   - BaseEndpoint set to s.URL, so bedrockruntime.NewFromConfig and
//     bedrock.NewFromConfig reach the emulator with no further options;
//   - Retryer: aws.NopRetryer, so a test sees every error (throttling
//     included) on the first attempt instead of after jittered backoff;
//   - HTTPClient: the gateway's request-body-buffering client over this
//     server's own transport, which avoids the SDK's loopback stream
//     truncation (bedrock-wire.md gotcha 1: the SDK closes the request body
//     as soon as response headers arrive while net/http may still be
//     copying it).
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       s.region,
		Credentials:  credentials.NewStaticCredentialsProvider(DefaultAccessKeyID, DefaultSecretAccessKey, ""),
		BaseEndpoint: aws.String(s.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   gwbedrock.WrapHTTPClient(&http.Client{Transport: s.transport}),
	}
}

// newLoopbackTransport keeps enough idle connections for parallel tests
// and benchmarks against one host. Each Server has its own, so Close can
// drop its idle connections and leave no client goroutine behind (goleak).
func newLoopbackTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	return t
}
