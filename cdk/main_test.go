package main

// Test harness. CDK tests run serially (jsii is not goroutine-safe: no t.Parallel), assertion panics are recovered
// into test failures, and each option combination is synthesized once and shared by every test that reads it.

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// Option combinations. Between them every option is seen both on and off.
var combos = map[string]map[string]any{
	// Defaults, plus a GitHub repository so the OIDC pieces exist.
	"default": {
		"region":             "us-east-1",
		"githubRepo":         "acme/openwebui-bedrock",
		"githubEnvironments": "production",
	},
	// Everything switched the other way: HTTPS, VPC endpoints without NAT, scale-out, x86, alarms by e-mail,
	// adopted registry resources plus a deploy role, restricted CIDRs, custom tags, models and sizes.
	"full": {
		"region":                    "eu-west-1",
		"githubRepo":                "acme/openwebui-bedrock",
		"githubEnvironments":        []any{"production", "staging"},
		"createDeployRole":          true,
		"adoptExistingRepositories": true,
		"adoptExistingOidcProvider": true,
		"adoptExistingBuilderRole":  true,
		"natGateways":               0,
		"vpcEndpoints":              true,
		"allowedCidrs":              "203.0.113.0/24,198.51.100.0/24",
		"cpuArchitecture":           "x86_64",
		"gatewayMinTasks":           2,
		"gatewayMaxTasks":           6,
		"webuiReplicas":             3,
		"domainName":                "chat.example.com",
		"hostedZoneName":            "example.com",
		"hostedZoneId":              "Z0123456789ABCDEFGHIJ",
		"alarmEmail":                "ops@example.com",
		"logRetentionDays":          90,
		"imageTag":                  "0123abc",
		"webuiImageTag":             "v0.11.4-1",
		"defaultModel":              "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
		"embeddingModel":            "amazon.titan-embed-text-v2:0",
		"taskModel":                 "eu.amazon.nova-micro-v1:0",
		"webuiPersistentConfig":     false,
	},
	// No GitHub repository: the registry stack holds only the repositories; endpoints on with NAT still on.
	"minimal": {
		"region":       "us-west-2",
		"vpcEndpoints": "true",
		"natGateways":  "2",
	},
}

// synthesized is one combination's app: both stacks, their assertion templates and parsed JSON.
type synthesized struct {
	name     string
	stacks   *Stacks
	reg, app assertions.Template
	regJSON  map[string]any
	appJSON  map[string]any
}

var cache = map[string]*synthesized{}

// synth builds a combination once per test binary.
func synth(t *testing.T, name string) *synthesized {
	t.Helper()
	if s, ok := cache[name]; ok {
		return s
	}
	ctx, ok := combos[name]
	if !ok {
		t.Fatalf("no combination %q", name)
	}
	var s *synthesized
	guard(t, func() {
		app := NewCdkApp(ctx)
		stacks, err := NewOpenWebUIBedrock(app)
		if err != nil {
			t.Fatalf("combination %q: %v", name, err)
		}
		s = &synthesized{name: name, stacks: stacks}
		s.reg = assertions.Template_FromStack(stacks.Registry, nil)
		s.app = assertions.Template_FromStack(stacks.Application, nil)
		s.regJSON = toMap(t, s.reg)
		s.appJSON = toMap(t, s.app)
	})
	cache[name] = s
	return s
}

// guard turns a jsii panic (how CDK assertions fail) into a test failure with its message.
func guard(t *testing.T, fn func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%v", r)
		}
	}()
	fn()
}

// each runs fn for every named combination as a subtest.
func each(t *testing.T, names []string, fn func(t *testing.T, s *synthesized)) {
	t.Helper()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s := synth(t, name)
			guard(t, func() { fn(t, s) })
		})
	}
}

var allCombos = []string{"default", "full", "minimal"}

func toMap(t *testing.T, tmpl assertions.Template) map[string]any {
	t.Helper()
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// --- plain-Go views of a template ------------------------------------------------------------------------------

type resource struct {
	ID    string
	Type  string
	Props map[string]any
	Raw   map[string]any
}

func resourcesOf(tmpl map[string]any, typ string) []resource {
	var out []resource
	for id, r := range tmpl["Resources"].(map[string]any) {
		rm := r.(map[string]any)
		if rm["Type"] != typ {
			continue
		}
		props, _ := rm["Properties"].(map[string]any)
		out = append(out, resource{ID: id, Type: typ, Props: props, Raw: rm})
	}
	return out
}

func onlyResource(t *testing.T, tmpl map[string]any, typ string, match func(r resource) bool) resource {
	t.Helper()
	var found []resource
	for _, r := range resourcesOf(tmpl, typ) {
		if match == nil || match(r) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s matching, found %d", typ, len(found))
	}
	return found[0]
}

// securityGroup finds a security group by (a prefix of) its description.
func securityGroup(t *testing.T, tmpl map[string]any, descPrefix string) resource {
	t.Helper()
	return onlyResource(t, tmpl, "AWS::EC2::SecurityGroup", func(r resource) bool {
		d, _ := r.Props["GroupDescription"].(string)
		return strings.HasPrefix(d, descPrefix)
	})
}

// ingress lists every ingress rule of a security group: inline ones and AWS::EC2::SecurityGroupIngress resources.
func ingress(tmpl map[string]any, sg resource) []map[string]any {
	var rules []map[string]any
	if inline, ok := sg.Props["SecurityGroupIngress"].([]any); ok {
		for _, r := range inline {
			rules = append(rules, r.(map[string]any))
		}
	}
	for _, r := range resourcesOf(tmpl, "AWS::EC2::SecurityGroupIngress") {
		if refersTo(r.Props["GroupId"], sg.ID) {
			rules = append(rules, r.Props)
		}
	}
	return rules
}

// refersTo reports whether a CloudFormation value is a Ref or GetAtt of the logical id.
func refersTo(v any, id string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if ref, ok := m["Ref"]; ok {
		return ref == id
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		return ga[0] == id
	}
	return false
}

// containerDef returns the container definition with the given name, and its task definition.
func containerDef(t *testing.T, tmpl map[string]any, name string) (map[string]any, resource) {
	t.Helper()
	for _, td := range resourcesOf(tmpl, "AWS::ECS::TaskDefinition") {
		for _, c := range td.Props["ContainerDefinitions"].([]any) {
			cm := c.(map[string]any)
			if cm["Name"] == name {
				return cm, td
			}
		}
	}
	t.Fatalf("no container %q", name)
	return nil, resource{}
}

func envOf(c map[string]any) map[string]any {
	out := map[string]any{}
	if env, ok := c["Environment"].([]any); ok {
		for _, e := range env {
			em := e.(map[string]any)
			out[em["Name"].(string)] = em["Value"]
		}
	}
	return out
}

func secretsOf(c map[string]any) map[string]any {
	out := map[string]any{}
	if secrets, ok := c["Secrets"].([]any); ok {
		for _, e := range secrets {
			em := e.(map[string]any)
			out[em["Name"].(string)] = em["ValueFrom"]
		}
	}
	return out
}

// js renders any CloudFormation value as compact JSON, for substring checks on intrinsic functions.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func wantContains(t *testing.T, what string, haystack any, needles ...string) {
	t.Helper()
	s := js(haystack)
	if str, ok := haystack.(string); ok {
		s = str
	}
	for _, n := range needles {
		if !strings.Contains(s, n) {
			t.Errorf("%s: %s does not contain %q", what, s, n)
		}
	}
}

func outputValue(t *testing.T, tmpl map[string]any, id string) any {
	t.Helper()
	outs, _ := tmpl["Outputs"].(map[string]any)
	o, ok := outs[id].(map[string]any)
	if !ok {
		t.Fatalf("no output %q", id)
	}
	return o["Value"]
}

func hasOutput(tmpl map[string]any, id string) bool {
	outs, _ := tmpl["Outputs"].(map[string]any)
	_, ok := outs[id]
	return ok
}

// obj is shorthand for the maps the assertions matchers take.
type obj = map[string]any
