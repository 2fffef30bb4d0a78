// Package config turns the process environment into a validated Config. Variable names match
// aws-samples/bedrock-access-gateway so operators can swap this gateway in without touching their task definitions.
package config

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// Config is everything the gateway reads from its environment.
type Config struct {
	// API key sources, resolved at start-up in the reference gateway's order: SSM parameter, then Secrets Manager,
	// then the plain value.
	APIKey            string
	APIKeySecretARN   string
	APIKeyParamName   string
	RoutePrefix       string
	Region            string
	Port              int
	DefaultModel      string
	DefaultEmbedModel string
	CrossRegion       bool
	AppProfiles       bool
	PromptCaching     bool
	AllowedOrigins    []string
	Debug             bool

	// Settings this gateway adds; all optional.
	ModelRefresh    time.Duration // how often the model catalogue is reloaded in the background
	PingInterval    time.Duration // SSE keep-alive comment after this much silence
	MaxRequestBytes int64         // request bodies above this get 413
	MaxAttempts     int           // Bedrock attempts per call before the first byte (retries on throttling/5xx)
	CleartextHTTP2  bool          // BEDROCK_CLEARTEXT_HTTP2: h2c to a plain-http Bedrock endpoint (the emulator)
	ShutdownTimeout time.Duration // how long in-flight streams may drain after SIGTERM

	ReasoningOutput  string            // reasoning_content (default), think, or none
	GuardrailID      string            // GUARDRAIL_IDENTIFIER: applied to every chat unless the request names one
	GuardrailVersion string            // GUARDRAIL_VERSION
	ModelAllowlist   []string          // MODEL_ALLOWLIST: ids or globs; empty allows every model
	ModelAliases     map[string]string // MODEL_ALIASES: alias=target,…

	ReadHeaderTimeout time.Duration // READ_HEADER_TIMEOUT: request headers must arrive within this (slow-loris)
	BodyReadTimeout   time.Duration // BODY_READ_TIMEOUT: the whole request body must arrive within this
	IdleTimeout       time.Duration // IDLE_TIMEOUT: keep-alive connections idle longer are closed
	MaxMessages       int           // MAX_MESSAGES: messages per chat request
	MaxConcurrentKey  int           // MAX_CONCURRENT_REQUESTS_PER_KEY: 0 = unlimited
	RatePerMinuteKey  int           // RATE_LIMIT_PER_MINUTE_PER_KEY: 0 = unlimited

	MetricsAddr string // METRICS_ADDR: serve /metrics unauthenticated on this address too (e.g. :9090)

	ImageFetch           bool          // IMAGE_FETCH_ENABLED: fetch http(s) image URLs (SSRF-safe)
	ImageFetchAllowHosts []string      // hosts exempt from the private-address check (an internal image server)
	ImageFetchMaxBytes   int64         // per image
	ImageFetchTimeout    time.Duration // per image, whole fetch
}

// Getenv is the shape of os.Getenv, so tests pass a map instead of mutating the process environment.
type Getenv func(string) string

// Load reads and validates the configuration. Every error names the variable at fault.
func Load(getenv Getenv) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		APIKey:            getenv("API_KEY"),
		APIKeySecretARN:   getenv("API_KEY_SECRET_ARN"),
		APIKeyParamName:   getenv("API_KEY_PARAM_NAME"),
		RoutePrefix:       p.str("API_ROUTE_PREFIX", "/api/v1"),
		Region:            p.str("AWS_REGION", p.str("AWS_DEFAULT_REGION", "us-west-2")),
		Port:              p.integer("PORT", 8080, 1, 65535),
		DefaultModel:      p.str("DEFAULT_MODEL", "anthropic.claude-3-haiku-20240307-v1:0"),
		DefaultEmbedModel: p.str("DEFAULT_EMBEDDING_MODEL", "cohere.embed-multilingual-v3"),
		CrossRegion:       p.boolean("ENABLE_CROSS_REGION_INFERENCE", true),
		AppProfiles:       p.boolean("ENABLE_APPLICATION_INFERENCE_PROFILES", true),
		PromptCaching:     p.boolean("ENABLE_PROMPT_CACHING", false),
		AllowedOrigins:    p.list("ALLOWED_ORIGINS", []string{"*"}),
		Debug:             p.boolean("DEBUG", false),
		ModelRefresh:      p.duration("MODEL_REFRESH_INTERVAL", 10*time.Minute, time.Second),
		PingInterval:      p.duration("SSE_PING_INTERVAL", 15*time.Second, 10*time.Millisecond),
		MaxRequestBytes:   int64(p.integer("MAX_REQUEST_BYTES", 32<<20, 1024, 1<<30)),
		MaxAttempts:       p.integer("BEDROCK_MAX_ATTEMPTS", 3, 1, 10),
		CleartextHTTP2:    p.boolean("BEDROCK_CLEARTEXT_HTTP2", false),
		ShutdownTimeout:   p.duration("SHUTDOWN_TIMEOUT", 90*time.Second, 0),
		ReasoningOutput:   p.oneOf("REASONING_OUTPUT", "reasoning_content", "reasoning_content", "think", "none"),
		GuardrailID:       p.str("GUARDRAIL_IDENTIFIER", ""),
		GuardrailVersion:  p.str("GUARDRAIL_VERSION", ""),
		ModelAllowlist:    p.list("MODEL_ALLOWLIST", nil),
		ModelAliases:      p.pairs("MODEL_ALIASES"),

		ReadHeaderTimeout:    p.duration("READ_HEADER_TIMEOUT", 10*time.Second, 100*time.Millisecond),
		BodyReadTimeout:      p.duration("BODY_READ_TIMEOUT", 60*time.Second, 100*time.Millisecond),
		IdleTimeout:          p.duration("IDLE_TIMEOUT", 120*time.Second, time.Second),
		MaxMessages:          p.integer("MAX_MESSAGES", 2048, 1, 1_000_000),
		MaxConcurrentKey:     p.integer("MAX_CONCURRENT_REQUESTS_PER_KEY", 0, 0, 1_000_000),
		RatePerMinuteKey:     p.integer("RATE_LIMIT_PER_MINUTE_PER_KEY", 0, 0, 100_000_000),
		MetricsAddr:          p.str("METRICS_ADDR", ""),
		ImageFetch:           p.boolean("IMAGE_FETCH_ENABLED", true),
		ImageFetchAllowHosts: p.list("IMAGE_FETCH_ALLOW_HOSTS", nil),
		ImageFetchMaxBytes:   int64(p.integer("IMAGE_FETCH_MAX_BYTES", 3750000, 1024, 3932160)),
		ImageFetchTimeout:    p.duration("IMAGE_FETCH_TIMEOUT", 10*time.Second, 100*time.Millisecond),
	}
	if (c.GuardrailID == "") != (c.GuardrailVersion == "") {
		p.fail("GUARDRAIL_VERSION", c.GuardrailVersion, "GUARDRAIL_IDENTIFIER and GUARDRAIL_VERSION must be set together")
	}
	for _, g := range c.ModelAllowlist {
		if _, err := path.Match(g, ""); err != nil {
			p.fail("MODEL_ALLOWLIST", g, "not a valid glob pattern")
		}
	}
	if c.RoutePrefix != "" {
		if !strings.HasPrefix(c.RoutePrefix, "/") || strings.HasSuffix(c.RoutePrefix, "/") {
			p.fail("API_ROUTE_PREFIX", c.RoutePrefix, `must start with "/" and not end with "/" (e.g. /api/v1)`)
		}
	}
	if c.DefaultModel == "" {
		p.fail("DEFAULT_MODEL", "", "must not be empty")
	}
	return c, errors.Join(p.errs...)
}

type parser struct {
	getenv Getenv
	errs   []error
}

func (p *parser) fail(name, value, why string) {
	p.errs = append(p.errs, fmt.Errorf("invalid %s=%q: %s", name, value, why))
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) boolean(name string, def bool) bool {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	p.fail(name, v, "want true or false")
	return def
}

func (p *parser) integer(name string, def, lo, hi int) int {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail(name, v, fmt.Sprintf("want an integer from %d to %d", lo, hi))
		return def
	}
	return n
}

// duration accepts Go durations ("90s") and, like most ops tooling, a bare number of seconds.
func (p *parser) duration(name string, def, min time.Duration) time.Duration {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, err2 := strconv.ParseFloat(v, 64)
		if err2 != nil {
			p.fail(name, v, `want a duration such as "30s" or a number of seconds`)
			return def
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < min {
		p.fail(name, v, fmt.Sprintf("must be at least %s", min))
		return def
	}
	return d
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	p.fail(name, v, "want one of "+strings.Join(allowed, ", "))
	return def
}

// pairs parses "a=b,c=d".
func (p *parser) pairs(name string) map[string]string {
	out := map[string]string{}
	for _, kv := range p.list(name, nil) {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			p.fail(name, kv, "want alias=target pairs separated by commas")
			continue
		}
		out[k] = v
	}
	return out
}

func (p *parser) list(name string, def []string) []string {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
