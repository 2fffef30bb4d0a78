// Package tracing sets up optional OpenTelemetry tracing over OTLP/HTTP. It is off unless an OTLP endpoint is
// configured with the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, plus
// OTEL_EXPORTER_OTLP_HEADERS etc., read by the exporter itself); off, the global tracer is a no-op and costs
// nothing measurable. Spans use the OpenTelemetry GenAI semantic-convention names.
package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope.
const Name = "github.com/openwebui-bedrock/gateway"

// GenAI semantic-convention attribute keys (https://opentelemetry.io/docs/specs/semconv/gen-ai/).
const (
	OperationName     = attribute.Key("gen_ai.operation.name")
	ProviderName      = attribute.Key("gen_ai.provider.name")
	RequestModel      = attribute.Key("gen_ai.request.model")
	RequestMaxTokens  = attribute.Key("gen_ai.request.max_tokens")
	RequestTemp       = attribute.Key("gen_ai.request.temperature")
	RequestTopP       = attribute.Key("gen_ai.request.top_p")
	ResponseModel     = attribute.Key("gen_ai.response.model")
	ResponseID        = attribute.Key("gen_ai.response.id")
	FinishReasons     = attribute.Key("gen_ai.response.finish_reasons")
	UsageInputTokens  = attribute.Key("gen_ai.usage.input_tokens")
	UsageOutputTokens = attribute.Key("gen_ai.usage.output_tokens")
)

// Enabled reports whether the environment configures an OTLP endpoint.
func Enabled(getenv func(string) string) bool {
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the global tracer provider and W3C trace-context propagation, and returns the function that
// flushes and stops it.
func Setup(ctx context.Context, service, version string) (func(context.Context) error, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, _ := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", service), attribute.String("service.version", version)))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}

// Tracer is the gateway's tracer (a no-op until Setup runs).
func Tracer() trace.Tracer { return otel.Tracer(Name) }
