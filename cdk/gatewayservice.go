package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsservicediscovery"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

const (
	// GatewayServiceName is the Cloud Map service: the gateway answers at bedrock-gateway.internal.
	GatewayServiceName = "bedrock-gateway"
	GatewayPort        = 80
	GatewayRoutePrefix = "/api/v1"
	// GatewayUser is the non-root identity the gateway runs as (the distroless "nonroot" user).
	GatewayUser = "65532:65532"
	// The gateway drains in-flight streams on SIGTERM; Fargate allows at most 120 s before SIGKILL. The gateway's
	// own drain deadline (SHUTDOWN_TIMEOUT) ends 10 s earlier so it exits cleanly instead of being killed.
	gatewayStopTimeoutSeconds = 120
	gatewayDrainSeconds       = 110
	gatewayCPUTargetPercent   = 60
)

// GatewayInternalURL is the OpenAI-compatible base URL Open WebUI uses inside the VPC.
var GatewayInternalURL = fmt.Sprintf("http://%s.%s:%d%s", GatewayServiceName, CloudMapNamespace, GatewayPort,
	GatewayRoutePrefix)

// GatewayServiceProps configures the private gateway service.
type GatewayServiceProps struct {
	Config     *Config
	Network    *Network
	Cluster    *Cluster
	Secrets    *Secrets
	Repository awsecr.IRepository
	LogGroup   awslogs.ILogGroup
}

// GatewayService is the bedrock-gateway on Fargate in the private subnets, registered in Cloud Map.
type GatewayService struct {
	constructs.Construct
	Service       awsecs.FargateService
	TaskRole      awsiam.Role
	SecurityGroup awsec2.SecurityGroup
	Container     awsecs.ContainerDefinition
}

// NewGatewayService builds the task role (Bedrock invoke on models and inference profiles only), the task definition
// (non-root, port 80, API key from Secrets Manager, binary health check, 120 s stop window) and the service
// (no public IP, circuit breaker with rollback, CPU autoscaling).
func NewGatewayService(scope constructs.Construct, id string, props *GatewayServiceProps) *GatewayService {
	c := constructs.NewConstruct(scope, jsii.String(id))
	cfg := props.Config
	stack := awscdk.Stack_Of(c)

	role := awsiam.NewRole(c, jsii.String("TaskRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("bedrock-gateway task: invoke Bedrock models and list the catalogue"),
	})
	// Any region: cross-region inference profiles route to foundation models in other regions.
	modelArns := []string{
		fmt.Sprintf("arn:%s:bedrock:*::foundation-model/*", *stack.Partition()),
		fmt.Sprintf("arn:%s:bedrock:*:%s:inference-profile/*", *stack.Partition(), *stack.Account()),
		fmt.Sprintf("arn:%s:bedrock:*:%s:application-inference-profile/*", *stack.Partition(), *stack.Account()),
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeModelsAndInferenceProfiles"),
		Actions:   jsii.Strings("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
		Resources: jsii.Strings(modelArns...),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ListTheModelCatalogue"),
		Actions:   jsii.Strings("bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles"),
		Resources: jsii.Strings("*"),
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("bedrock:ListFoundationModels and bedrock:ListInferenceProfiles support no " +
				"resource-level permissions and require *."),
			AppliesTo: &[]any{"Resource::*"},
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("The gateway serves whichever models the operator enabled in Bedrock, in any region " +
				"a cross-region inference profile routes to; invoke is limited to the foundation-model, " +
				"inference-profile and application-inference-profile resource types of this account."),
			AppliesTo: &[]any{map[string]any{"regex": "/^Resource::arn:[^:]+:bedrock:\\*:(<AWS::AccountId>)?:" +
				"(foundation-model|inference-profile|application-inference-profile)\\/\\*$/"}},
		},
	}, jsii.Bool(true))

	td := awsecs.NewFargateTaskDefinition(c, jsii.String("TaskDefinition"), &awsecs.FargateTaskDefinitionProps{
		Cpu:             jsii.Number(512),
		MemoryLimitMiB:  jsii.Number(1024),
		TaskRole:        role,
		ExecutionRole:   props.Cluster.ExecutionRole,
		RuntimePlatform: runtimePlatform(cfg.CPUArchitecture),
	})
	container := td.AddContainer(jsii.String("gateway"), &awsecs.ContainerDefinitionOptions{
		Image:                  awsecs.ContainerImage_FromEcrRepository(props.Repository, jsii.String(cfg.GatewayImageTag)),
		Essential:              jsii.Bool(true),
		User:                   jsii.String(GatewayUser),
		ReadonlyRootFilesystem: jsii.Bool(true),
		PortMappings: &[]*awsecs.PortMapping{{
			Name: jsii.String("http"), ContainerPort: jsii.Number(GatewayPort), Protocol: awsecs.Protocol_TCP,
		}},
		// Lets a non-root process bind port 80 even without the binary's cap_net_bind_service (network-namespace
		// sysctl; Fargate platform 1.4.0+ accepts every net.* key).
		SystemControls: &[]*awsecs.SystemControl{{
			Namespace: jsii.String("net.ipv4.ip_unprivileged_port_start"), Value: jsii.String("0"),
		}},
		Environment: &map[string]*string{
			"AWS_REGION":                            stack.Region(),
			"PORT":                                  jsii.String(fmt.Sprint(GatewayPort)),
			"API_ROUTE_PREFIX":                      jsii.String(GatewayRoutePrefix),
			"DEFAULT_MODEL":                         jsii.String(cfg.DefaultModel),
			"DEFAULT_EMBEDDING_MODEL":               jsii.String(cfg.EmbeddingModel),
			"ENABLE_CROSS_REGION_INFERENCE":         jsii.String("true"),
			"ENABLE_APPLICATION_INFERENCE_PROFILES": jsii.String("true"),
			"SHUTDOWN_TIMEOUT":                      jsii.String(fmt.Sprintf("%ds", gatewayDrainSeconds)),
		},
		Secrets: &map[string]awsecs.Secret{
			"API_KEY": awsecs.Secret_FromSecretsManager(props.Secrets.GatewayAPIKey, jsii.String(GatewayAPIKeyField)),
		},
		// The image has no shell: the binary probes http://127.0.0.1:$PORT/health itself.
		HealthCheck: &awsecs.HealthCheck{
			Command:     jsii.Strings("CMD", "/bedrock-gateway", "healthcheck"),
			Interval:    awscdk.Duration_Seconds(jsii.Number(15)),
			Timeout:     awscdk.Duration_Seconds(jsii.Number(5)),
			Retries:     jsii.Number(3),
			StartPeriod: awscdk.Duration_Seconds(jsii.Number(15)),
		},
		StopTimeout: awscdk.Duration_Seconds(jsii.Number(gatewayStopTimeoutSeconds)),
		Logging: awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{
			LogGroup:     props.LogGroup,
			StreamPrefix: jsii.String("gateway"),
		}),
	})
	suppressPlainEnvironment(td)

	sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Network.Vpc,
		Description:      jsii.String("bedrock-gateway: HTTP from Open WebUI only; out to AWS APIs and image URLs"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to Bedrock, ECR, Secrets Manager, CloudWatch Logs and https image URLs"), nil)
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(80)),
		jsii.String("http image URLs in chat requests (the gateway's SSRF-safe fetcher)"), nil)

	service := awsecs.NewFargateService(c, jsii.String("Service"), &awsecs.FargateServiceProps{
		Cluster:           props.Cluster.Cluster,
		TaskDefinition:    td,
		DesiredCount:      jsii.Number(float64(cfg.GatewayMinTasks)),
		AssignPublicIp:    jsii.Bool(false),
		VpcSubnets:        props.Network.PrivateSubnets,
		SecurityGroups:    &[]awsec2.ISecurityGroup{sg},
		PlatformVersion:   awsecs.FargatePlatformVersion_LATEST,
		MinHealthyPercent: jsii.Number(100),
		MaxHealthyPercent: jsii.Number(200),
		CircuitBreaker:    &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		CloudMapOptions: &awsecs.CloudMapOptions{
			Name:          jsii.String(GatewayServiceName),
			DnsRecordType: awsservicediscovery.DnsRecordType_A,
			DnsTtl:        awscdk.Duration_Seconds(jsii.Number(10)),
		},
	})
	scaling := service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(float64(cfg.GatewayMinTasks)),
		MaxCapacity: jsii.Number(float64(cfg.GatewayMaxTasks)),
	})
	scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(gatewayCPUTargetPercent),
		ScaleInCooldown:          awscdk.Duration_Seconds(jsii.Number(300)),
		ScaleOutCooldown:         awscdk.Duration_Seconds(jsii.Number(60)),
	})
	return &GatewayService{Construct: c, Service: service, TaskRole: role, SecurityGroup: sg, Container: container}
}

// AllowFrom lets one security group reach the gateway's port.
func (g *GatewayService) AllowFrom(peer awsec2.ISecurityGroup, description string) {
	g.SecurityGroup.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(GatewayPort)), jsii.String(description), nil)
}

func suppressPlainEnvironment(td awsecs.TaskDefinition) {
	cdknag.NagSuppressions_AddResourceSuppressions(td, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-ECS2"),
		Reason: jsii.String("The plain environment holds only non-secret settings (region, ports, URLs, model ids, " +
			"feature switches); every credential is injected as an ECS secret from Secrets Manager."),
	}}, nil)
}
