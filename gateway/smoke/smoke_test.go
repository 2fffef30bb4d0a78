package smoke

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the real gateway binary on its built-in emulator, as CI and operators do, rather than an
// in-process handler: the smoke test exists to check what ships.

const (
	testKey            = "smoke-test-key-0123456789"
	testEmbeddingModel = "cohere.embed-multilingual-v3" // the deployment default (DEFAULT_EMBEDDING_MODEL)
)

var gw struct {
	once    sync.Once
	dir     string
	url     string // origin, e.g. http://127.0.0.1:41234
	skip    string // why the gateway tests cannot run yet
	err     error
	cmd     *exec.Cmd
	logs    syncBuffer
	exited  chan struct{}
	exitErr error
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopGateway()
	if gw.dir != "" {
		os.RemoveAll(gw.dir)
	}
	os.Exit(code)
}

// gateway builds ./cmd/bedrock-gateway once per test binary (lazily, so the parser tests alone stay instant) and
// starts it with -emulator on a free loopback port, returning its origin.
func gateway(t *testing.T) string {
	t.Helper()
	gw.once.Do(startGateway)
	if gw.skip != "" {
		t.Skip(gw.skip)
	}
	if gw.err != nil {
		t.Fatalf("%v\ngateway output:\n%s", gw.err, gw.logs.String())
	}
	return gw.url
}

func startGateway() {
	pkg := filepath.Join("..", "cmd", "bedrock-gateway")
	if !hasGoFiles(pkg) {
		// The gateway's main is written in parallel with this package; until it exists there is nothing to run.
		gw.skip = "gateway/cmd/bedrock-gateway has no Go files yet"
		return
	}
	dir, err := os.MkdirTemp("", "smoke-gateway-")
	if err != nil {
		gw.err = err
		return
	}
	gw.dir = dir
	bin := filepath.Join(dir, "bedrock-gateway")
	build := exec.Command("go", "build", "-o", bin, "./cmd/bedrock-gateway")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		gw.err = fmt.Errorf("go build ./cmd/bedrock-gateway: %v\n%s", err, out)
		return
	}
	addr, err := freeAddr()
	if err != nil {
		gw.err = err
		return
	}
	cmd := exec.Command(bin, "-emulator", "-addr", addr)
	cmd.Env = append(os.Environ(), "API_KEY="+testKey)
	cmd.Stdout, cmd.Stderr = &gw.logs, &gw.logs
	if err := cmd.Start(); err != nil {
		gw.err = err
		return
	}
	gw.cmd, gw.exited = cmd, make(chan struct{})
	go func() { gw.exitErr = cmd.Wait(); close(gw.exited) }()
	gw.url = "http://" + addr
	gw.err = waitHealthy(gw.url+"/health", 60*time.Second)
}

func waitHealthy(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-gw.exited:
			return fmt.Errorf("gateway exited before becoming healthy: %v", gw.exitErr)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("gateway not healthy at %s after %s", url, limit)
}

func stopGateway() {
	if gw.cmd == nil || gw.cmd.Process == nil {
		return
	}
	_ = gw.cmd.Process.Signal(os.Interrupt)
	select {
	case <-gw.exited:
	case <-time.After(10 * time.Second):
		_ = gw.cmd.Process.Kill()
		<-gw.exited
	}
}

func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rows parses the printed table into check name → result, so tests assert on what an operator reads.
func rows(t *testing.T, out string) map[string]Status {
	t.Helper()
	got := map[string]Status{}
	for _, line := range strings.Split(out, "\n") {
		for _, st := range []Status{Pass, Fail, Skip} {
			if i := strings.Index(line, "  "+string(st)+"  "); i > 0 {
				got[strings.TrimSpace(line[:i])] = st
			}
		}
	}
	if len(got) == 0 {
		t.Fatalf("no table rows in output:\n%s", out)
	}
	return got
}

func wantRows(t *testing.T, out string, want map[string]Status) {
	t.Helper()
	got := rows(t, out)
	for check, st := range want {
		if got[check] != st {
			t.Errorf("check %q: got %q, want %q", check, got[check], st)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

func run(t *testing.T, opts Options) (string, error) {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	var out bytes.Buffer
	err := Run(context.Background(), opts, &out)
	return out.String(), err
}

func TestRunPassesAgainstGateway(t *testing.T) {
	origin := gateway(t)
	for _, url := range []string{origin + "/api/v1", origin} { // with the prefix, and a bare origin
		t.Run(url, func(t *testing.T) {
			out, err := run(t, Options{URL: url, Key: testKey})
			if err != nil {
				t.Fatalf("Run: %v\n%s\ngateway output:\n%s", err, out, gw.logs.String())
			}
			wantRows(t, out, map[string]Status{
				"health": Pass, "auth (wrong key → 401)": Pass, "models": Pass, "model lookup": Pass,
				"chat": Pass, "chat stream": Pass, "embeddings": Skip,
			})
			if !strings.Contains(out, "smoke result: PASS") {
				t.Errorf("no PASS summary:\n%s", out)
			}
		})
	}
}

func TestRunEmbeddingsAgainstGateway(t *testing.T) {
	origin := gateway(t)
	out, err := run(t, Options{URL: origin + "/api/v1", Key: testKey, EmbeddingModel: testEmbeddingModel})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	wantRows(t, out, map[string]Status{"embeddings": Pass})
	if !strings.Contains(out, "2 vectors of 1024 dimensions") {
		t.Errorf("embeddings detail should name the vectors:\n%s", out)
	}
}

func TestRunTakesTheKeyFromAPIKeyEnv(t *testing.T) {
	origin := gateway(t)
	t.Setenv("API_KEY", testKey)
	out, err := run(t, Options{URL: origin + "/api/v1"})
	if err != nil {
		t.Fatalf("Run with API_KEY from the environment: %v\n%s", err, out)
	}
	t.Setenv("API_KEY", "")
	if _, err := run(t, Options{URL: origin + "/api/v1"}); err == nil || !strings.Contains(err.Error(), "no API key") {
		t.Fatalf("want a missing-key error, got %v", err)
	}
}

func TestRunFailsWithWrongKey(t *testing.T) {
	origin := gateway(t)
	out, err := run(t, Options{URL: origin + "/api/v1", Key: "not-the-key", Model: "anthropic.claude-3-haiku-20240307-v1:0"})
	if err == nil {
		t.Fatalf("Run passed with a wrong key:\n%s", out)
	}
	wantRows(t, out, map[string]Status{
		"health": Pass, "auth (wrong key → 401)": Pass, // the gateway itself is fine…
		"models": Fail, "model lookup": Fail, "chat": Fail, "chat stream": Fail, // …the key is not
	})
	if !strings.Contains(out, "HTTP 401") || !strings.Contains(out, "smoke result: FAIL") {
		t.Errorf("table should show the 401 and a FAIL summary:\n%s", out)
	}
	if !strings.Contains(err.Error(), "checks failed") {
		t.Errorf("error should summarise the failures: %v", err)
	}
}

func TestRunFailsWithUnknownModel(t *testing.T) {
	origin := gateway(t)
	out, err := run(t, Options{URL: origin + "/api/v1", Key: testKey, Model: "no-such-model"})
	if err == nil {
		t.Fatalf("Run passed with an unknown model:\n%s", out)
	}
	wantRows(t, out, map[string]Status{"models": Pass, "model lookup": Fail, "chat": Fail, "chat stream": Fail})
	if !strings.Contains(out, "HTTP 404") {
		t.Errorf("table should show the 404:\n%s", out)
	}
}

func TestRunFailsWithWrongURL(t *testing.T) {
	origin := gateway(t)
	closed, err := freeAddr() // nothing listens there once freeAddr returns
	if err != nil {
		t.Fatal(err)
	}
	t.Run("nothing listening", func(t *testing.T) {
		out, err := run(t, Options{URL: "http://" + closed + "/api/v1", Key: testKey, Timeout: 5 * time.Second})
		if err == nil {
			t.Fatalf("Run passed against a closed port:\n%s", out)
		}
		wantRows(t, out, map[string]Status{"health": Fail, "models": Fail, "chat": Fail, "chat stream": Fail})
		if !strings.Contains(out, "connection refused") {
			t.Errorf("table should say why:\n%s", out)
		}
	})
	t.Run("wrong prefix", func(t *testing.T) {
		out, err := run(t, Options{URL: origin + "/v1", Key: testKey})
		if err == nil {
			t.Fatalf("Run passed with a wrong route prefix:\n%s", out)
		}
		wantRows(t, out, map[string]Status{"health": Pass, "models": Fail})
	})
	t.Run("not a URL", func(t *testing.T) {
		out, err := run(t, Options{URL: "localhost:8080", Key: testKey})
		if err == nil || !strings.Contains(out, "scheme") {
			t.Fatalf("want a URL error, got %v:\n%s", err, out)
		}
	})
}
