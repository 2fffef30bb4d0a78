package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Default configuration: a fake key pair (never valid on AWS) and the
// region and account that ARNs use.
const (
	DefaultAccessKeyID     = "AKIAEMULATOREXAMPLE0"
	DefaultSecretAccessKey = "emulator/secret/key/EXAMPLE"
	DefaultRegion          = "us-east-1"
	DefaultAccountID       = "123456789012"
)

// Config configures an Emulator. The zero value is usable.
type Config struct {
	Region    string // default DefaultRegion; requests must be signed for it
	AccountID string // default DefaultAccountID; appears in profile ARNs
	// Credentials maps access key ids to secret keys the emulator accepts.
	// nil means the single default pair.
	Credentials map[string]string
	Logger      *slog.Logger // nil discards
}

// Emulator is a wire-faithful Amazon Bedrock (runtime and control plane)
// as an http.Handler.
type Emulator struct {
	region, account string
	creds           map[string]string
	log             *slog.Logger
	cat             *catalogue
	mux             *http.ServeMux
	stats           *counters

	reasoningKey []byte

	keyMu    sync.Mutex
	keyCache map[string][]byte

	cacheMu sync.Mutex
	cache   map[[32]byte]struct{}

	reqPrefix string
	reqSeq    atomic.Uint64
}

// maxBodyBytes bounds a request body (Bedrock's own limit is 20 MB for
// images and documents combined).
const maxBodyBytes = 25 << 20

// New builds an Emulator.
func New(cfg Config) *Emulator {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Credentials == nil {
		cfg.Credentials = map[string]string{DefaultAccessKeyID: DefaultSecretAccessKey}
	}
	creds := make(map[string]string, len(cfg.Credentials))
	for k, v := range cfg.Credentials {
		creds[k] = v
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	rk := sha256.Sum256([]byte("bedrock-emulator reasoning|" + cfg.AccountID + "|" + cfg.Region))
	var pfx [6]byte
	_, _ = rand.Read(pfx[:])
	e := &Emulator{
		region: cfg.Region, account: cfg.AccountID, creds: creds, log: cfg.Logger,
		cat: newCatalogue(cfg.Region, cfg.AccountID), stats: newCounters(),
		reasoningKey: rk[:], keyCache: map[string][]byte{}, cache: map[[32]byte]struct{}{},
		reqPrefix: hex.EncodeToString(pfx[:4]) + "-" + hex.EncodeToString(pfx[4:]) + "-4000-8000-",
	}
	e.routes()
	return e
}

// routes is the whole API surface.
func (e *Emulator) routes() {
	mux := http.NewServeMux()
	mux.Handle("POST /model/{modelId}/converse", e.signed(opConverse, e.handleConverse))
	mux.Handle("POST /model/{modelId}/converse-stream", e.signed(opConverseStream, e.handleConverseStream))
	mux.Handle("POST /model/{modelId}/invoke", e.signed(opInvokeModel, e.handleInvokeModel))
	mux.Handle("GET /foundation-models", e.signed(opListFoundationModels, e.handleListFoundationModels))
	mux.Handle("GET /foundation-models/{modelIdentifier}", e.signed(opGetFoundationModel, e.handleGetFoundationModel))
	mux.Handle("GET /inference-profiles", e.signed(opListInferenceProfiles, e.handleListInferenceProfiles))
	mux.Handle("GET /inference-profiles/{inferenceProfileIdentifier}", e.signed(opGetInferenceProfile, e.handleGetInferenceProfile))
	mux.HandleFunc("GET /_emulator/stats", e.handleStats) // unsigned: tooling reads it with curl
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		e.writeError(w, newError("UnknownOperationException", "The requested operation is not supported by the Bedrock emulator: "+r.Method+" "+r.URL.Path))
	})
	e.mux = mux
}

// ServeHTTP implements http.Handler.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", e.requestID())
	e.mux.ServeHTTP(w, r)
}

// Stats returns a snapshot of the counters.
func (e *Emulator) Stats() Stats { return e.stats.snapshot() }

func (e *Emulator) handleStats(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(e.Stats())
}

// requestID returns a UUID-shaped id: a random per-emulator prefix and a
// counter, cheaper than crypto/rand per request and still unique.
func (e *Emulator) requestID() string {
	n := e.reqSeq.Add(1)
	var b [12]byte
	for i := 11; i >= 0; i-- {
		b[i] = "0123456789abcdef"[n&0xF]
		n >>= 4
	}
	return e.reqPrefix + string(b[:])
}

// signedHandler receives the request body already read and verified.
type signedHandler func(w http.ResponseWriter, r *http.Request, body []byte, start time.Time)

// signed counts the operation, reads the body and verifies SigV4 before
// the handler runs.
func (e *Emulator) signed(op string, h signedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		e.stats.request(op)
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if err != nil {
			e.writeError(w, validation("Unable to read the request body."))
			return
		}
		if len(body) > maxBodyBytes {
			e.writeError(w, validation("The request body exceeds the maximum size."))
			return
		}
		if aerr := e.verifySigV4(r, body); aerr != nil {
			e.log.Info("rejected request", "op", op, "error", aerr.Type, "message", aerr.Message)
			e.writeError(w, aerr)
			return
		}
		if e.log.Enabled(r.Context(), slog.LevelDebug) {
			e.log.Debug("request", "op", op, "path", r.URL.EscapedPath(), "bytes", len(body))
		}
		h(w, r, body, start)
	})
}

// resolveModel maps the {modelId} path segment to a catalogue model,
// reproducing Bedrock's errors for unknown ids and for on-demand
// invocation of profile-only models.
func (e *Emulator) resolveModel(r *http.Request) (*model, *apiError) {
	id := r.PathValue("modelId")
	res, ok, refused := e.cat.resolve(id)
	if !ok {
		return nil, validation("The provided model identifier is invalid.")
	}
	if refused {
		return nil, validation("Invocation of model ID " + id + " with on-demand throughput isn't supported. " +
			"Retry your request with the ID or ARN of an inference profile that contains this model.")
	}
	return res.model, nil
}

func writeJSON(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
