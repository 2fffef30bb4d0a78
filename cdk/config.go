package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Context keys. Every key is documented, with its default, in README.md.
const (
	keyRegion                    = "region"
	keyImageTag                  = "imageTag"
	keyGatewayImageTag           = "gatewayImageTag"
	keyWebUIImageTag             = "webuiImageTag"
	keyGitHubRepo                = "githubRepo"
	keyGitHubEnvironments        = "githubEnvironments"
	keyCreateDeployRole          = "createDeployRole"
	keyAdoptExistingRepositories = "adoptExistingRepositories"
	keyAdoptExistingOidcProvider = "adoptExistingOidcProvider"
	keyOidcProviderArn           = "oidcProviderArn"
	keyAdoptExistingBuilderRole  = "adoptExistingBuilderRole"
	keyNatGateways               = "natGateways"
	keyVpcEndpoints              = "vpcEndpoints"
	keyAllowedCidrs              = "allowedCidrs"
	keyCPUArchitecture           = "cpuArchitecture"
	keyGatewayMinTasks           = "gatewayMinTasks"
	keyGatewayMaxTasks           = "gatewayMaxTasks"
	keyWebUIReplicas             = "webuiReplicas"
	keyDomainName                = "domainName"
	keyHostedZoneName            = "hostedZoneName"
	keyHostedZoneID              = "hostedZoneId"
	keyAlarmEmail                = "alarmEmail"
	keyLogRetentionDays          = "logRetentionDays"
	keyDefaultModel              = "defaultModel"
	keyEmbeddingModel            = "embeddingModel"
	keyTaskModel                 = "taskModel"
	keyWebUIPersistentConfig     = "webuiPersistentConfig"
	// keyBootstrapQualifier is CDK's own key; read so the deploy role trusts the right bootstrap roles.
	keyBootstrapQualifier = "@aws-cdk/core:bootstrapQualifier"
)

// CPU architectures accepted by cpuArchitecture.
const (
	ArchARM64  = "arm64"
	ArchX86_64 = "x86_64"
)

// Defaults, also listed in README.md.
const (
	defaultRegion           = "us-east-1"
	defaultImageTag         = "latest"
	defaultNatGateways      = 1
	defaultGatewayMinTasks  = 1
	defaultGatewayMaxTasks  = 4
	defaultWebUIReplicas    = 1
	defaultLogRetentionDays = 30
	defaultModel            = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
	defaultEmbeddingModel   = "cohere.embed-multilingual-v3"
	defaultTaskModel        = "us.amazon.nova-micro-v1:0"
	defaultBootstrapQual    = "hnb659fds"
	maxGatewayTasks         = 20
	maxWebUIReplicas        = 10
)

// Config is the validated deployment configuration, parsed once from CDK context.
type Config struct {
	Region          string
	GatewayImageTag string
	WebUIImageTag   string

	GitHubRepo                string // owner/repo; empty: no OIDC provider or roles are created
	GitHubEnvironments        []string
	CreateDeployRole          bool
	AdoptExistingRepositories bool
	AdoptExistingOidcProvider bool
	OidcProviderArn           string // empty: the account's token.actions.githubusercontent.com provider
	AdoptExistingBuilderRole  bool
	BootstrapQualifier        string

	NatGateways  int
	VpcEndpoints bool
	AllowedCidrs []string

	CPUArchitecture string
	GatewayMinTasks int
	GatewayMaxTasks int
	WebUIReplicas   int

	DomainName     string
	HostedZoneName string
	HostedZoneID   string

	AlarmEmail       string
	LogRetentionDays int

	DefaultModel          string
	EmbeddingModel        string
	TaskModel             string
	WebUIPersistentConfig bool
}

// HTTPS reports whether a domain is configured (certificate, 443 listener, redirect, alias record).
func (c *Config) HTTPS() bool { return c.DomainName != "" }

// ScaleOut reports whether Open WebUI runs several replicas (PostgreSQL and Redis are then created).
func (c *Config) ScaleOut() bool { return c.WebUIReplicas > 1 }

// NatFree reports whether the private subnets have no route to the internet.
func (c *Config) NatFree() bool { return c.NatGateways == 0 }

// ContextGetter returns the raw context value for a key, or nil when unset.
type ContextGetter func(key string) any

// CloudWatch Logs accepts only these retention periods (0 = never expire).
var validRetentionDays = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
	2557, 2922, 3288, 3653}

var (
	imageTagRe     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	githubRepoRe   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	githubEnvRe    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)
	oidcArnRe      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/.+$`)
	hostedZoneIDRe = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	dnsNameRe      = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
	modelIDRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,999}$`)
	qualifierRe    = regexp.MustCompile(`^[a-z0-9]{1,10}$`)
	regionRe       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
)

// parser collects one error per bad key so that a synth reports every problem at once.
type parser struct {
	get  ContextGetter
	errs []string
}

func (p *parser) fail(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Sprintf("context key %q: %s", key, fmt.Sprintf(format, args...)))
}

func (p *parser) raw(key string) (any, bool) {
	v := p.get(key)
	if v == nil {
		return nil, false
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return nil, false
	}
	return v, true
}

func (p *parser) str(key, def string) string {
	v, ok := p.raw(key)
	if !ok {
		return def
	}
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case float64, bool:
		return fmt.Sprint(t)
	default:
		p.fail(key, "must be a string, got %T", v)
		return def
	}
}

func (p *parser) boolean(key string, def bool) bool {
	v, ok := p.raw(key)
	if !ok {
		return def
	}
	switch t := v.(type) {
	case bool:
		return t
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(t))
		if err != nil {
			p.fail(key, "must be true or false, got %q", t)
			return def
		}
		return b
	default:
		p.fail(key, "must be true or false, got %v", v)
		return def
	}
}

func (p *parser) integer(key string, def, lo, hi int) int {
	v, ok := p.raw(key)
	if !ok {
		return def
	}
	var n int
	switch t := v.(type) {
	case float64:
		if t != float64(int(t)) {
			p.fail(key, "must be a whole number, got %v", t)
			return def
		}
		n = int(t)
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil {
			p.fail(key, "must be a whole number, got %q", t)
			return def
		}
		n = i
	default:
		p.fail(key, "must be a whole number, got %v", v)
		return def
	}
	if n < lo || n > hi {
		p.fail(key, "must be between %d and %d, got %d", lo, hi, n)
		return def
	}
	return n
}

// list accepts a JSON array (cdk.json), a JSON array in a string, or a comma-separated string (-c key=a,b).
func (p *parser) list(key string, def []string) []string {
	v, ok := p.raw(key)
	if !ok {
		return def
	}
	var items []string
	switch t := v.(type) {
	case []any:
		for _, it := range t {
			s, ok := it.(string)
			if !ok {
				p.fail(key, "must be a list of strings, got an item %v", it)
				return def
			}
			items = append(items, s)
		}
	case string:
		s := strings.TrimSpace(t)
		if strings.HasPrefix(s, "[") {
			if err := json.Unmarshal([]byte(s), &items); err != nil {
				p.fail(key, "must be a JSON list of strings or a comma-separated string: %v", err)
				return def
			}
		} else {
			items = strings.Split(s, ",")
		}
	default:
		p.fail(key, "must be a list of strings, got %T", v)
		return def
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// ParseConfig reads and validates every context key. The error names each bad key. envRegion is the region the
// CLI derived from the caller's AWS configuration (CDK_DEFAULT_REGION), used when the region key is not set.
func ParseConfig(get ContextGetter, envRegion string) (*Config, error) {
	p := &parser{get: get}
	c := &Config{}

	if envRegion == "" {
		envRegion = defaultRegion
	}
	c.Region = p.str(keyRegion, envRegion)
	if !regionRe.MatchString(c.Region) {
		p.fail(keyRegion, "must be an AWS region such as us-east-1, got %q", c.Region)
	}

	imageTag := p.str(keyImageTag, defaultImageTag)
	c.GatewayImageTag = p.str(keyGatewayImageTag, imageTag)
	c.WebUIImageTag = p.str(keyWebUIImageTag, imageTag)
	for key, tag := range map[string]string{keyImageTag: imageTag, keyGatewayImageTag: c.GatewayImageTag,
		keyWebUIImageTag: c.WebUIImageTag} {
		if !imageTagRe.MatchString(tag) {
			p.fail(key, "must be a container image tag ([A-Za-z0-9_.-], at most 128 characters), got %q", tag)
		}
	}

	c.GitHubRepo = p.str(keyGitHubRepo, "")
	if c.GitHubRepo != "" && !githubRepoRe.MatchString(c.GitHubRepo) {
		p.fail(keyGitHubRepo, "must be owner/repo, got %q", c.GitHubRepo)
	}
	c.GitHubEnvironments = p.list(keyGitHubEnvironments, nil)
	for _, env := range c.GitHubEnvironments {
		if !githubEnvRe.MatchString(env) {
			p.fail(keyGitHubEnvironments, "environment names may use letters, digits, '.', '_' and '-', got %q", env)
		}
	}
	c.CreateDeployRole = p.boolean(keyCreateDeployRole, false)
	if c.CreateDeployRole && c.GitHubRepo == "" {
		p.fail(keyCreateDeployRole, "needs %q (owner/repo) so the role can trust that repository", keyGitHubRepo)
	}
	c.AdoptExistingRepositories = p.boolean(keyAdoptExistingRepositories, false)
	c.AdoptExistingOidcProvider = p.boolean(keyAdoptExistingOidcProvider, false)
	c.OidcProviderArn = p.str(keyOidcProviderArn, "")
	if c.OidcProviderArn != "" {
		if !oidcArnRe.MatchString(c.OidcProviderArn) {
			p.fail(keyOidcProviderArn, "must be an IAM OIDC provider ARN, got %q", c.OidcProviderArn)
		}
		if !c.AdoptExistingOidcProvider {
			p.fail(keyOidcProviderArn, "is only used with %s=true", keyAdoptExistingOidcProvider)
		}
	}
	c.AdoptExistingBuilderRole = p.boolean(keyAdoptExistingBuilderRole, false)
	c.BootstrapQualifier = p.str(keyBootstrapQualifier, defaultBootstrapQual)
	if !qualifierRe.MatchString(c.BootstrapQualifier) {
		p.fail(keyBootstrapQualifier, "must be 1-10 lowercase letters or digits, got %q", c.BootstrapQualifier)
	}

	c.NatGateways = p.integer(keyNatGateways, defaultNatGateways, 0, 2)
	c.VpcEndpoints = p.boolean(keyVpcEndpoints, false)
	if c.NatGateways == 0 && !c.VpcEndpoints {
		p.fail(keyNatGateways, "0 needs %s=true: without NAT the tasks reach ECR, Secrets Manager, CloudWatch Logs "+
			"and Bedrock only through VPC endpoints", keyVpcEndpoints)
	}
	c.AllowedCidrs = p.list(keyAllowedCidrs, []string{"0.0.0.0/0"})
	if len(c.AllowedCidrs) == 0 {
		p.fail(keyAllowedCidrs, "must list at least one IPv4 CIDR")
	}
	for _, cidr := range c.AllowedCidrs {
		ip, ipnet, err := net.ParseCIDR(cidr)
		if err != nil || ip.To4() == nil {
			p.fail(keyAllowedCidrs, "%q is not an IPv4 CIDR such as 203.0.113.0/24", cidr)
			continue
		}
		if !ip.Equal(ipnet.IP) {
			p.fail(keyAllowedCidrs, "%q has host bits set; did you mean %s?", cidr, ipnet.String())
		}
	}

	c.CPUArchitecture = strings.ToLower(p.str(keyCPUArchitecture, ArchARM64))
	if c.CPUArchitecture != ArchARM64 && c.CPUArchitecture != ArchX86_64 {
		p.fail(keyCPUArchitecture, "must be %s or %s, got %q", ArchARM64, ArchX86_64, c.CPUArchitecture)
	}
	c.GatewayMinTasks = p.integer(keyGatewayMinTasks, defaultGatewayMinTasks, 1, maxGatewayTasks)
	c.GatewayMaxTasks = p.integer(keyGatewayMaxTasks, max(defaultGatewayMaxTasks, c.GatewayMinTasks), 1, maxGatewayTasks)
	if c.GatewayMaxTasks < c.GatewayMinTasks {
		p.fail(keyGatewayMaxTasks, "must be at least %s (%d), got %d", keyGatewayMinTasks, c.GatewayMinTasks,
			c.GatewayMaxTasks)
	}
	c.WebUIReplicas = p.integer(keyWebUIReplicas, defaultWebUIReplicas, 1, maxWebUIReplicas)

	c.DomainName = strings.TrimSuffix(strings.ToLower(p.str(keyDomainName, "")), ".")
	c.HostedZoneName = strings.TrimSuffix(strings.ToLower(p.str(keyHostedZoneName, "")), ".")
	c.HostedZoneID = p.str(keyHostedZoneID, "")
	p.validateDomain(c)

	c.AlarmEmail = p.str(keyAlarmEmail, "")
	if c.AlarmEmail != "" {
		if a, err := mail.ParseAddress(c.AlarmEmail); err != nil || a.Address != c.AlarmEmail {
			p.fail(keyAlarmEmail, "must be a plain e-mail address such as ops@example.com, got %q", c.AlarmEmail)
		}
	}
	c.LogRetentionDays = p.integer(keyLogRetentionDays, defaultLogRetentionDays, 0, 3653)
	if !containsInt(validRetentionDays, c.LogRetentionDays) {
		p.fail(keyLogRetentionDays, "must be one of %v (0 = never expire), got %d", validRetentionDays,
			c.LogRetentionDays)
	}

	c.DefaultModel = p.str(keyDefaultModel, defaultModel)
	c.EmbeddingModel = p.str(keyEmbeddingModel, defaultEmbeddingModel)
	c.TaskModel = p.str(keyTaskModel, defaultTaskModel)
	for key, id := range map[string]string{keyDefaultModel: c.DefaultModel, keyEmbeddingModel: c.EmbeddingModel,
		keyTaskModel: c.TaskModel} {
		if !modelIDRe.MatchString(id) {
			p.fail(key, "must be a Bedrock model or inference-profile id without spaces, got %q", id)
		}
	}
	c.WebUIPersistentConfig = p.boolean(keyWebUIPersistentConfig, true)

	if len(p.errs) > 0 {
		sort.Strings(p.errs)
		return nil, errors.New("invalid configuration:\n  " + strings.Join(p.errs, "\n  "))
	}
	return c, nil
}

func (p *parser) validateDomain(c *Config) {
	set := 0
	for _, v := range []string{c.DomainName, c.HostedZoneName, c.HostedZoneID} {
		if v != "" {
			set++
		}
	}
	if set == 0 {
		return
	}
	if c.DomainName == "" {
		p.fail(keyDomainName, "is required for HTTPS together with %s and %s", keyHostedZoneName, keyHostedZoneID)
	}
	if c.HostedZoneName == "" {
		p.fail(keyHostedZoneName, "is required with %s (the Route 53 public hosted zone, e.g. example.com)",
			keyDomainName)
	}
	if c.HostedZoneID == "" {
		p.fail(keyHostedZoneID, "is required with %s (e.g. Z0123456789ABCDEFGHIJ; the app does no account "+
			"look-ups, so synth stays offline)", keyDomainName)
	}
	if c.DomainName != "" && !dnsNameRe.MatchString(c.DomainName) {
		p.fail(keyDomainName, "must be a DNS name such as chat.example.com, got %q", c.DomainName)
	}
	if c.HostedZoneName != "" && !dnsNameRe.MatchString(c.HostedZoneName) {
		p.fail(keyHostedZoneName, "must be a DNS name such as example.com, got %q", c.HostedZoneName)
	}
	if c.HostedZoneID != "" && !hostedZoneIDRe.MatchString(c.HostedZoneID) {
		p.fail(keyHostedZoneID, "must be a Route 53 zone id such as Z0123456789ABCDEFGHIJ, got %q", c.HostedZoneID)
	}
	if c.DomainName != "" && c.HostedZoneName != "" && c.DomainName != c.HostedZoneName &&
		!strings.HasSuffix(c.DomainName, "."+c.HostedZoneName) {
		p.fail(keyDomainName, "%q is not inside %s %q", c.DomainName, keyHostedZoneName, c.HostedZoneName)
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
