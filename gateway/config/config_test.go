package config

import (
	"strings"
	"testing"
	"time"
)

func env(kv ...string) Getenv {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDefaultsMatchTheReferenceGateway(t *testing.T) {
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.RoutePrefix != "/api/v1" || c.Region != "us-west-2" || c.Port != 8080 || !c.CrossRegion || !c.AppProfiles ||
		c.PromptCaching || c.DefaultEmbedModel != "cohere.embed-multilingual-v3" || len(c.AllowedOrigins) != 1 || c.AllowedOrigins[0] != "*" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.ShutdownTimeout != 90*time.Second || c.MaxAttempts != 3 || c.PingInterval != 15*time.Second {
		t.Fatalf("gateway defaults: %+v", c)
	}
}

func TestParsesEverySetting(t *testing.T) {
	c, err := Load(env("API_KEY", "k", "API_ROUTE_PREFIX", "/v1", "AWS_REGION", "eu-west-1", "PORT", "80",
		"DEFAULT_MODEL", "m", "DEFAULT_EMBEDDING_MODEL", "e", "ENABLE_CROSS_REGION_INFERENCE", "false",
		"ENABLE_APPLICATION_INFERENCE_PROFILES", "0", "ENABLE_PROMPT_CACHING", "yes", "ALLOWED_ORIGINS", "https://a, https://b",
		"DEBUG", "true", "SSE_PING_INTERVAL", "5", "SHUTDOWN_TIMEOUT", "2m", "BEDROCK_MAX_ATTEMPTS", "1", "MAX_REQUEST_BYTES", "2048"))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIKey != "k" || c.RoutePrefix != "/v1" || c.Region != "eu-west-1" || c.Port != 80 || c.DefaultModel != "m" ||
		c.DefaultEmbedModel != "e" || c.CrossRegion || c.AppProfiles || !c.PromptCaching || !c.Debug ||
		strings.Join(c.AllowedOrigins, "|") != "https://a|https://b" || c.PingInterval != 5*time.Second ||
		c.ShutdownTimeout != 2*time.Minute || c.MaxAttempts != 1 || c.MaxRequestBytes != 2048 {
		t.Fatalf("%+v", c)
	}
	if c, _ := Load(env("AWS_DEFAULT_REGION", "ap-south-1")); c.Region != "ap-south-1" {
		t.Fatalf("AWS_DEFAULT_REGION fallback: %s", c.Region)
	}
}

func TestInvalidSettingsNameTheVariable(t *testing.T) {
	for _, kv := range [][2]string{
		{"PORT", "http"}, {"PORT", "70000"}, {"DEBUG", "maybe"}, {"ENABLE_PROMPT_CACHING", "2"},
		{"API_ROUTE_PREFIX", "api/v1"}, {"API_ROUTE_PREFIX", "/api/"}, {"SSE_PING_INTERVAL", "soon"},
		{"BEDROCK_MAX_ATTEMPTS", "0"}, {"MAX_REQUEST_BYTES", "-1"}, {"SHUTDOWN_TIMEOUT", "-5s"},
		{"REASONING_OUTPUT", "xml"}, {"MODEL_ALIASES", "fast"}, {"MODEL_ALLOWLIST", "anthropic.[x"}, {"GUARDRAIL_VERSION", "1"},
	} {
		_, err := Load(env(kv[0], kv[1]))
		if err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%s=%q: error %v does not name the variable", kv[0], kv[1], err)
		}
	}
	// Several bad settings are all reported at once.
	_, err := Load(env("PORT", "x", "DEBUG", "y"))
	if err == nil || !strings.Contains(err.Error(), "PORT") || !strings.Contains(err.Error(), "DEBUG") {
		t.Errorf("want both errors, got %v", err)
	}
}

func TestModelSettings(t *testing.T) {
	c, err := Load(env("MODEL_ALLOWLIST", "anthropic.*, us.*", "MODEL_ALIASES", "fast=amazon.nova-micro-v1:0, smart = us.anthropic.claude-sonnet-4-5-20250929-v1:0",
		"REASONING_OUTPUT", "THINK", "GUARDRAIL_IDENTIFIER", "gr-1", "GUARDRAIL_VERSION", "3"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.ModelAllowlist, "|") != "anthropic.*|us.*" || c.ModelAliases["fast"] != "amazon.nova-micro-v1:0" ||
		c.ModelAliases["smart"] != "us.anthropic.claude-sonnet-4-5-20250929-v1:0" || c.ReasoningOutput != "think" || c.GuardrailID != "gr-1" {
		t.Fatalf("%+v", c)
	}
}
