package main

import (
	"strings"
	"testing"
)

// Plain-Go tests of the context parser: no jsii, no synth.

func parse(ctx map[string]any) (*Config, error) {
	return ParseConfig(func(k string) any { return ctx[k] }, "")
}

func TestConfigDefaults(t *testing.T) {
	c, err := parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{keyRegion, c.Region, "us-east-1"},
		{keyGatewayImageTag, c.GatewayImageTag, "latest"},
		{keyWebUIImageTag, c.WebUIImageTag, "latest"},
		{keyGitHubRepo, c.GitHubRepo, ""},
		{keyCreateDeployRole, c.CreateDeployRole, false},
		{keyAdoptExistingRepositories, c.AdoptExistingRepositories, false},
		{keyAdoptExistingOidcProvider, c.AdoptExistingOidcProvider, false},
		{keyAdoptExistingBuilderRole, c.AdoptExistingBuilderRole, false},
		{keyNatGateways, c.NatGateways, 1},
		{keyVpcEndpoints, c.VpcEndpoints, false},
		{keyAllowedCidrs, strings.Join(c.AllowedCidrs, ","), "0.0.0.0/0"},
		{keyCPUArchitecture, c.CPUArchitecture, "arm64"},
		{keyGatewayMinTasks, c.GatewayMinTasks, 1},
		{keyGatewayMaxTasks, c.GatewayMaxTasks, 4},
		{keyWebUIReplicas, c.WebUIReplicas, 1},
		{keyDomainName, c.DomainName, ""},
		{keyAlarmEmail, c.AlarmEmail, ""},
		{keyLogRetentionDays, c.LogRetentionDays, 30},
		{keyDefaultModel, c.DefaultModel, defaultModel},
		{keyEmbeddingModel, c.EmbeddingModel, "cohere.embed-multilingual-v3"},
		{keyTaskModel, c.TaskModel, defaultTaskModel},
		{keyWebUIPersistentConfig, c.WebUIPersistentConfig, true},
		{keyBootstrapQualifier, c.BootstrapQualifier, "hnb659fds"},
	}
	for _, ch := range checks {
		wantEqual(t, ch.key, ch.got, ch.want)
	}
	if c.HTTPS() || c.ScaleOut() || c.NatFree() {
		t.Errorf("defaults must be HTTP, one replica, with NAT: %+v", c)
	}
}

func TestConfigRegionFromCLIEnvironment(t *testing.T) {
	c, err := ParseConfig(func(string) any { return nil }, "ap-southeast-2")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "region", c.Region, "ap-southeast-2")
	c, err = ParseConfig(func(k string) any { return map[string]any{"region": "eu-central-1"}[k] }, "ap-southeast-2")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "region (context wins)", c.Region, "eu-central-1")
}

// Context arrives typed from cdk.json and as strings from -c key=value: both must parse the same.
func TestConfigAcceptsStringsFromTheCommandLine(t *testing.T) {
	c, err := parse(map[string]any{
		"natGateways": "2", "vpcEndpoints": "true", "webuiReplicas": "3", "allowedCidrs": "10.0.0.0/8, 192.168.0.0/16",
		"githubRepo": "acme/app", "githubEnvironments": `["prod","staging"]`, "createDeployRole": "TRUE",
		"gatewayMinTasks": "2", "gatewayMaxTasks": "5", "logRetentionDays": "365", "imageTag": "abc123",
		"gatewayImageTag": "gw-1", "cpuArchitecture": "X86_64",
	})
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "natGateways", c.NatGateways, 2)
	wantEqual(t, "vpcEndpoints", c.VpcEndpoints, true)
	wantEqual(t, "webuiReplicas", c.WebUIReplicas, 3)
	wantEqual(t, "allowedCidrs", strings.Join(c.AllowedCidrs, "|"), "10.0.0.0/8|192.168.0.0/16")
	wantEqual(t, "githubEnvironments", strings.Join(c.GitHubEnvironments, "|"), "prod|staging")
	wantEqual(t, "createDeployRole", c.CreateDeployRole, true)
	wantEqual(t, "gatewayImageTag (override)", c.GatewayImageTag, "gw-1")
	wantEqual(t, "webuiImageTag (from imageTag)", c.WebUIImageTag, "abc123")
	wantEqual(t, "cpuArchitecture", c.CPUArchitecture, "x86_64")
	wantEqual(t, "logRetentionDays", c.LogRetentionDays, 365)
	if !c.ScaleOut() {
		t.Error("webuiReplicas=3 must be scale-out")
	}
}

// Every bad value fails with a message that names its key.
func TestConfigRejectsBadValuesNamingTheKey(t *testing.T) {
	cases := []struct {
		key  string
		ctx  map[string]any
		hint string
	}{
		{"region", map[string]any{"region": "mars-1"}, "AWS region"},
		{"imageTag", map[string]any{"imageTag": "has space"}, "image tag"},
		{"gatewayImageTag", map[string]any{"gatewayImageTag": "a:b"}, "image tag"},
		{"webuiImageTag", map[string]any{"webuiImageTag": "-x"}, "image tag"},
		{"githubRepo", map[string]any{"githubRepo": "no-slash"}, "owner/repo"},
		{"githubEnvironments", map[string]any{"githubRepo": "a/b", "githubEnvironments": "prod,bad env"}, "environment"},
		{"createDeployRole", map[string]any{"createDeployRole": true}, "githubRepo"},
		{"createDeployRole", map[string]any{"createDeployRole": "yes please"}, "true or false"},
		{"adoptExistingRepositories", map[string]any{"adoptExistingRepositories": 3.0}, "true or false"},
		{"adoptExistingOidcProvider", map[string]any{"adoptExistingOidcProvider": "maybe"}, "true or false"},
		{"oidcProviderArn", map[string]any{"adoptExistingOidcProvider": true, "oidcProviderArn": "arn:nope"}, "OIDC"},
		{"oidcProviderArn", map[string]any{"oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/x"}, "only used"},
		{"adoptExistingBuilderRole", map[string]any{"adoptExistingBuilderRole": "nah"}, "true or false"},
		{"natGateways", map[string]any{"natGateways": 3.0}, "between 0 and 2"},
		{"natGateways", map[string]any{"natGateways": "one"}, "whole number"},
		{"natGateways", map[string]any{"natGateways": 0.0}, "vpcEndpoints=true"},
		{"vpcEndpoints", map[string]any{"vpcEndpoints": "on"}, "true or false"},
		{"allowedCidrs", map[string]any{"allowedCidrs": "10.0.0.0/33"}, "IPv4 CIDR"},
		{"allowedCidrs", map[string]any{"allowedCidrs": "10.0.0.1/8"}, "host bits"},
		{"allowedCidrs", map[string]any{"allowedCidrs": "::/0"}, "IPv4 CIDR"},
		{"allowedCidrs", map[string]any{"allowedCidrs": ","}, "at least one"},
		{"allowedCidrs", map[string]any{"allowedCidrs": []any{1.0}}, "list of strings"},
		{"cpuArchitecture", map[string]any{"cpuArchitecture": "riscv64"}, "arm64 or x86_64"},
		{"gatewayMinTasks", map[string]any{"gatewayMinTasks": 0.0}, "between 1 and 20"},
		{"gatewayMaxTasks", map[string]any{"gatewayMinTasks": 5.0, "gatewayMaxTasks": 2.0}, "at least gatewayMinTasks"},
		{"gatewayMaxTasks", map[string]any{"gatewayMaxTasks": 1.5}, "whole number"},
		{"webuiReplicas", map[string]any{"webuiReplicas": 11.0}, "between 1 and 10"},
		{"webuiReplicas", map[string]any{"webuiReplicas": 0.0}, "between 1 and 10"},
		{"domainName", map[string]any{"hostedZoneName": "example.com", "hostedZoneId": "Z123"}, "required"},
		{"hostedZoneName", map[string]any{"domainName": "chat.example.com", "hostedZoneId": "Z123"}, "required"},
		{"hostedZoneId", map[string]any{"domainName": "chat.example.com", "hostedZoneName": "example.com"}, "required"},
		{"hostedZoneId", map[string]any{"domainName": "a.example.com", "hostedZoneName": "example.com",
			"hostedZoneId": "zone"}, "zone id"},
		{"domainName", map[string]any{"domainName": "chat.other.org", "hostedZoneName": "example.com",
			"hostedZoneId": "Z123"}, "not inside"},
		{"domainName", map[string]any{"domainName": "bad_name!", "hostedZoneName": "example.com",
			"hostedZoneId": "Z123"}, "DNS name"},
		{"alarmEmail", map[string]any{"alarmEmail": "not-an-address"}, "e-mail"},
		{"alarmEmail", map[string]any{"alarmEmail": "Ops <ops@example.com>"}, "plain e-mail"},
		{"logRetentionDays", map[string]any{"logRetentionDays": 31.0}, "must be one of"},
		{"logRetentionDays", map[string]any{"logRetentionDays": "forever"}, "whole number"},
		{"defaultModel", map[string]any{"defaultModel": "claude sonnet"}, "model"},
		{"embeddingModel", map[string]any{"embeddingModel": "a b"}, "model"},
		{"taskModel", map[string]any{"taskModel": " x y"}, "model"},
		{"webuiPersistentConfig", map[string]any{"webuiPersistentConfig": "sometimes"}, "true or false"},
		{"@aws-cdk/core:bootstrapQualifier", map[string]any{"@aws-cdk/core:bootstrapQualifier": "Bad-Q"}, "lowercase"},
	}
	for _, tc := range cases {
		t.Run(tc.key+"/"+tc.hint, func(t *testing.T) {
			_, err := parse(tc.ctx)
			if err == nil {
				t.Fatalf("%v: want an error", tc.ctx)
			}
			msg := err.Error()
			if !strings.Contains(msg, `context key "`+tc.key+`"`) || !strings.Contains(msg, tc.hint) {
				t.Errorf("%v: error does not name %q with %q:\n%s", tc.ctx, tc.key, tc.hint, msg)
			}
		})
	}
}

func TestConfigReportsEveryBadKeyAtOnce(t *testing.T) {
	_, err := parse(map[string]any{"natGateways": "x", "cpuArchitecture": "mips", "webuiReplicas": 99.0})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, key := range []string{"natGateways", "cpuArchitecture", "webuiReplicas"} {
		if !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("error does not mention %s: %v", key, err)
		}
	}
}

func TestConfigEmptyStringsMeanUnset(t *testing.T) {
	c, err := parse(map[string]any{"githubRepo": "", "domainName": " ", "alarmEmail": "", "imageTag": ""})
	if err != nil {
		t.Fatal(err)
	}
	if c.GitHubRepo != "" || c.HTTPS() || c.AlarmEmail != "" || c.GatewayImageTag != "latest" {
		t.Errorf("empty values must fall back to defaults: %+v", c)
	}
}

func TestRetentionDaysCoversEveryAcceptedValue(t *testing.T) {
	for _, d := range validRetentionDays {
		if retentionDays(d) == "" {
			t.Errorf("logRetentionDays=%d has no CloudWatch retention", d)
		}
	}
}
