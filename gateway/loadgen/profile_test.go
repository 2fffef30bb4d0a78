package loadgen

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	bedrockctl "github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/emulator"
	"github.com/openwebui-bedrock/gateway/server"
)

// These benchmarks exist to profile the gateway in one process:
//
//	go test ./gateway/loadgen -run '^$' -bench Gateway -cpuprofile cpu.out
//	go tool pprof -tagfocus role=gateway -top cpu.out
//
// The emulator, the gateway and the load client each run under a pprof label (role=emulator|gateway|client); every
// goroutine they start inherits it (connections, handlers, the SDK's transport), so -tagfocus separates the
// gateway's own cost from its surroundings. Background GC workers carry no label.

type inProcess struct {
	url    string
	client *http.Client
}

func startInProcess(b *testing.B) *inProcess {
	b.Helper()
	var emu *emulator.Server
	var err error
	pprof.Do(context.Background(), pprof.Labels("role", "emulator"), func(context.Context) {
		emu, err = emulator.Start(emulator.Config{})
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { emu.Close() })
	var hs *httptest.Server
	pprof.Do(context.Background(), pprof.Labels("role", "gateway"), func(ctx context.Context) {
		cfg := bedrock.StaticConfig(emulator.DefaultRegion, emu.URL, emulator.DefaultAccessKeyID, emulator.DefaultSecretAccessKey, 1)
		cat := bedrock.NewCatalogue(bedrockctl.NewFromConfig(cfg), bedrock.CatalogueOptions{CrossRegion: true, AppProfiles: true}, slog.New(slog.DiscardHandler))
		if err = cat.Refresh(ctx); err != nil {
			return
		}
		svc := &bedrock.Service{Runtime: bedrockruntime.NewFromConfig(cfg), Catalogue: cat, DefaultModel: "anthropic.claude-3-haiku-20240307-v1:0"}
		// Access logs as in production: JSON lines to a file (here /dev/null, still encoded and written).
		devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		srv := server.New(server.Options{Prefix: "/api/v1", APIKeys: []string{APIKey}, AllowedOrigins: []string{"*"},
			MaxRequestBytes: 32 << 20}, svc, slog.New(slog.NewJSONHandler(devnull, nil)))
		hs = httptest.NewServer(srv.Handler())
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(hs.Close)
	return &inProcess{url: hs.URL + "/api/v1/chat/completions", client: NewClient(256)}
}

func (p *inProcess) post(b *testing.B, body []byte) *http.Response {
	req, _ := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
	return resp
}

func parallel(b *testing.B, conc int, fn func()) {
	pprof.Do(context.Background(), pprof.Labels("role", "client"), func(context.Context) {
		var wg sync.WaitGroup
		work := make(chan struct{})
		for range conc {
			wg.Go(func() {
				for range work {
					fn()
				}
			})
		}
		for b.Loop() {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
	})
}

func BenchmarkGatewayChat(b *testing.B) {
	p := startInProcess(b)
	body := ChatBody("anthropic.claude-3-haiku-20240307-v1:0", "benchmark me please", false, "")
	parallel(b, 8, func() {
		resp := p.post(b, body)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})
}

func BenchmarkGatewayStream64(b *testing.B) {
	p := startInProcess(b)
	body := ChatBody("anthropic.claude-3-haiku-20240307-v1:0", "[[emulate:words=64]] stream", true, "")
	parallel(b, 8, func() {
		resp := p.post(b, body)
		res := ReadSSE(resp.Body, startTime(), nil)
		resp.Body.Close()
		if err := res.Verify(ExpectFinish, 64); err != nil {
			b.Error(err)
		}
	})
}

func startTime() (t time.Time) { return time.Now() }
