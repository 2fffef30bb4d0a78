package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/openwebui-bedrock/gateway/emulator"
)

// Import paths of the two programs under test (resolved through the workspace, so the commands run from the
// repository root or the gateway module).
const (
	GatewayPkg  = "github.com/openwebui-bedrock/gateway/cmd/bedrock-gateway"
	EmulatorPkg = "github.com/openwebui-bedrock/gateway/cmd/bedrock-emulator"
)

// Binaries are the gateway and emulator executables, built once per run.
type Binaries struct {
	Dir, Gateway, Emulator string
}

// Build compiles both programs into a new temporary directory.
func Build(ctx context.Context) (*Binaries, error) {
	dir, err := os.MkdirTemp("", "gateway-loadgen-")
	if err != nil {
		return nil, err
	}
	b := &Binaries{Dir: dir, Gateway: filepath.Join(dir, "bedrock-gateway"), Emulator: filepath.Join(dir, "bedrock-emulator")}
	for _, p := range [][2]string{{b.Gateway, GatewayPkg}, {b.Emulator, EmulatorPkg}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", p[0], p[1])
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("go build %s: %w", p[1], err)
		}
	}
	return b, nil
}

func (b *Binaries) Remove() { os.RemoveAll(b.Dir) }

// Child is a started process serving HTTP on loopback.
type Child struct {
	Cmd   *exec.Cmd
	URL   string        // http://127.0.0.1:port
	Ready time.Duration // from exec to the first healthy answer
	exit  chan error
}

func (c *Child) Pid() int { return c.Cmd.Process.Pid }

// Stop sends SIGTERM and waits up to the timeout, then kills.
func (c *Child) Stop(timeout time.Duration) error {
	if c == nil || c.Cmd.Process == nil {
		return nil
	}
	_ = c.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.exit:
		return err
	case <-time.After(timeout):
		_ = c.Cmd.Process.Kill()
		return fmt.Errorf("pid %d did not stop within %v; killed", c.Pid(), timeout)
	}
}

// Exited reports whether the child has exited (and how), without waiting.
func (c *Child) Exited() (bool, error) {
	select {
	case err := <-c.exit:
		c.exit <- err
		return true, err
	default:
		return false, nil
	}
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start execs bin and polls probe until it answers 200.
func start(bin string, args, env []string, probe string, stdout io.Writer) (*Child, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append(args, "-addr", addr)...)
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = os.Stderr
	probeClient := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://" + addr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Child{Cmd: cmd, URL: url, exit: make(chan error, 1)}
	go func() { c.exit <- cmd.Wait() }()
	deadline := t0.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if done, err := c.Exited(); done {
			return nil, fmt.Errorf("%s exited before it was ready: %v", filepath.Base(bin), err)
		}
		resp, err := probeClient.Get(url + probe)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				c.Ready = time.Since(t0)
				return c, nil
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	c.Stop(time.Second)
	return nil, fmt.Errorf("%s not ready within 30s", filepath.Base(bin))
}

// StartEmulator runs the standalone emulator; ready when GET /_emulator/stats answers.
func (b *Binaries) StartEmulator() (*Child, error) {
	return start(b.Emulator, nil, []string{"PATH=" + os.Getenv("PATH")}, "/_emulator/stats", io.Discard)
}

// APIKey is the key the gateway children accept.
const APIKey = "sk-loadgen-key"

// GatewayEnv is the environment of a gateway pointed at an emulator: nothing is read from ~/.aws or instance
// metadata. extra entries (KEY=value) are appended and win.
func GatewayEnv(emulatorURL string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"API_KEY=" + APIKey,
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + emulatorURL,
		"AWS_ENDPOINT_URL_BEDROCK=" + emulatorURL,
		"AWS_ACCESS_KEY_ID=" + emulator.DefaultAccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + emulator.DefaultSecretAccessKey,
		"AWS_REGION=" + emulator.DefaultRegion,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	return append(env, extra...)
}

// StartGateway runs the gateway against an emulator; ready when GET /health answers 200 (the model catalogue is
// loaded before the gateway listens). Access logs go to logs (nil: discarded by the OS, still written).
func (b *Binaries) StartGateway(emulatorURL string, logs io.Writer, extraEnv ...string) (*Child, error) {
	return start(b.Gateway, nil, GatewayEnv(emulatorURL, extraEnv...), "/health", logs)
}

// EmulatorStats reads GET /_emulator/stats.
func EmulatorStats(ctx context.Context, c *http.Client, url string) (emulator.Stats, error) {
	var s emulator.Stats
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/_emulator/stats", nil)
	resp, err := c.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, errors.New("stats: " + resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&s)
	return s, err
}

// NewClient is an HTTP/1.1 client for many concurrent requests to one host: no cap on connections per host and
// enough idle ones kept that a steady load never redials.
func NewClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxConnsPerHost:     0,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}).DialContext,
	}}
}

// ChatBody is an OpenAI chat request with one user message; extra is appended as top-level JSON fields.
func ChatBody(model, text string, stream bool, extra string) []byte {
	t, _ := json.Marshal(text)
	s := `{"model":` + strconv.Quote(model) + `,"stream":` + strconv.FormatBool(stream) + `,"messages":[{"role":"user","content":` + string(t) + `}]`
	if extra != "" {
		s += "," + extra
	}
	return []byte(s + "}")
}
