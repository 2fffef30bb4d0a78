package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ApplicationStackProps configures the application stack.
type ApplicationStackProps struct {
	awscdk.StackProps
	Config *Config
}

// NewApplicationStack builds OpenWebUIBedrockApp. It reads like the architecture:
// users → ALB (public subnets) → Open WebUI (private, EFS) → bedrock-gateway.internal (private) → Bedrock.
func NewApplicationStack(scope constructs.Construct, id string, props *ApplicationStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	cfg := props.Config
	retention := retentionDays(cfg.LogRetentionDays)

	network := NewNetwork(stack, "Network", &NetworkProps{
		NatGateways: cfg.NatGateways, VpcEndpoints: cfg.VpcEndpoints, LogRetention: retention,
	})
	var https *HTTPS
	if cfg.HTTPS() {
		https = NewHTTPS(stack, "Https", &HTTPSProps{
			DomainName: cfg.DomainName, HostedZoneName: cfg.HostedZoneName, HostedZoneID: cfg.HostedZoneID,
		})
	}
	lb := NewLoadBalancer(stack, "LoadBalancer", &LoadBalancerProps{
		Network: network, AllowedCidrs: cfg.AllowedCidrs, HTTPS: https, AccessLogDays: cfg.LogRetentionDays,
		StickySessions: cfg.ScaleOut(),
	})
	storage := NewStorage(stack, "Storage", &StorageProps{Network: network})
	secrets := NewSecrets(stack, "Secrets")
	var shared *SharedState
	if cfg.ScaleOut() {
		shared = NewSharedState(stack, "SharedState", &SharedStateProps{Network: network})
	}
	cluster := NewCluster(stack, "Ecs", &ClusterProps{Network: network})

	// The repositories belong to the registry stack (or were adopted); referenced by name, no cross-stack export.
	gatewayRepo := awsecr.Repository_FromRepositoryName(stack, jsii.String("GatewayRepository"), jsii.String(GatewayRepositoryName))
	webuiRepo := awsecr.Repository_FromRepositoryName(stack, jsii.String("WebUIRepository"), jsii.String(WebUIRepositoryName))
	gatewayLogs := newLogGroup(stack, "GatewayLogs", retention)
	webuiLogs := newLogGroup(stack, "WebUILogs", retention)

	gateway := NewGatewayService(stack, "Gateway", &GatewayServiceProps{
		Config: cfg, Network: network, Cluster: cluster, Secrets: secrets, Repository: gatewayRepo,
		LogGroup: gatewayLogs,
	})
	webui := NewWebUIService(stack, "WebUI", &WebUIServiceProps{
		Config: cfg, Network: network, Cluster: cluster, Secrets: secrets, Storage: storage, LoadBalancer: lb,
		SharedState: shared, Repository: webuiRepo, LogGroup: webuiLogs,
	})
	cluster.SuppressExecutionRoleWildcard()
	// Who may talk to whom: ALB → Open WebUI is opened by the target group; the rest is explicit.
	gateway.AllowFrom(webui.SecurityGroup, "Open WebUI to the gateway")
	storage.AllowFrom(webui.SecurityGroup, "Open WebUI to its data")
	if shared != nil {
		shared.AllowFrom(webui.SecurityGroup, "Open WebUI to its shared state")
	}

	ops := NewObservability(stack, "Operations", &ObservabilityProps{
		AlarmEmail: cfg.AlarmEmail, LoadBalancer: lb, Gateway: gateway, WebUI: webui, GatewayLogGroup: gatewayLogs,
	})

	output := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{
			Value: value, Description: jsii.String(description),
		})
	}
	output("WebUIUrl", "Open WebUI (sign up first: the first account becomes the admin)", lb.URL)
	output("AlbUrl", "The URL users open on the load balancer (https://domainName with HTTPS)", lb.URL)
	output("AlbDnsName", "The load balancer's DNS name (target of the domain's alias record)",
		lb.Alb.LoadBalancerDnsName())
	output("GatewayInternalUrl", "OpenAI-compatible base URL of the gateway inside the VPC",
		jsii.String(GatewayInternalURL))
	output("GatewayApiKeySecretArn", "Secret {\"api_key\": ...}: the gateway's bearer key",
		secrets.GatewayAPIKey.SecretArn())
	output("WebUISecretKeyArn", "Secret: Open WebUI's WEBUI_SECRET_KEY", secrets.WebUISecretKey.SecretArn())
	output("ClusterName", "ECS cluster", cluster.Cluster.ClusterName())
	output("GatewayServiceName", "ECS service of the gateway", gateway.Service.ServiceName())
	output("WebUIServiceName", "ECS service of Open WebUI", webui.Service.ServiceName())
	output("FileSystemId", "EFS file system with Open WebUI's data (retained on delete)",
		storage.FileSystem.FileSystemId())
	output("DashboardName", "CloudWatch dashboard", ops.Dashboard.DashboardName())
	if ops.AlarmTopic != nil {
		output("AlarmTopicArn", "SNS topic of the alarms (confirm the e-mail subscription)",
			ops.AlarmTopic.TopicArn())
	}
	if shared != nil {
		output("DatabaseUrlSecretArn", "Secret: Open WebUI DATABASE_URL", shared.DatabaseURLSecret.SecretArn())
		output("RedisUrlSecretArn", "Secret: Open WebUI REDIS_URL", shared.RedisURLSecret.SecretArn())
	}
	return stack
}

func newLogGroup(scope constructs.Construct, id string, retention awslogs.RetentionDays) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

// retentionDays maps logRetentionDays (already validated) to CloudWatch's enumeration.
func retentionDays(days int) awslogs.RetentionDays {
	return map[int]awslogs.RetentionDays{
		0: awslogs.RetentionDays_INFINITE, 1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
		5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS,
		30: awslogs.RetentionDays_ONE_MONTH, 60: awslogs.RetentionDays_TWO_MONTHS,
		90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
		150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS,
		365: awslogs.RetentionDays_ONE_YEAR, 400: awslogs.RetentionDays_THIRTEEN_MONTHS,
		545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS,
		2192: awslogs.RetentionDays_SIX_YEARS, 2557: awslogs.RetentionDays_SEVEN_YEARS,
		2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}[days]
}
