package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const (
	webUIDataVolume = "data"
	// Open WebUI's first boot runs database migrations before /health answers.
	webUIHealthGraceSeconds = 600
)

// WebUIServiceProps configures the Open WebUI service.
type WebUIServiceProps struct {
	Config       *Config
	Network      *Network
	Cluster      *Cluster
	Secrets      *Secrets
	Storage      *Storage
	LoadBalancer *LoadBalancer
	SharedState  *SharedState // non-nil when webuiReplicas > 1
	Repository   awsecr.IRepository
	LogGroup     awslogs.ILogGroup
}

// WebUIService is Open WebUI on Fargate in the private subnets, behind the ALB target group, with its data on EFS.
type WebUIService struct {
	constructs.Construct
	Service       awsecs.FargateService
	TaskRole      awsiam.Role
	SecurityGroup awsec2.SecurityGroup
	Container     awsecs.ContainerDefinition
}

// NewWebUIService builds the task role (its EFS access point only), the task definition (EFS at /app/backend/data,
// the gateway as its OpenAI connection and embeddings engine, secrets from Secrets Manager) and the service.
func NewWebUIService(scope constructs.Construct, id string, props *WebUIServiceProps) *WebUIService {
	c := constructs.NewConstruct(scope, jsii.String(id))
	cfg := props.Config

	role := awsiam.NewRole(c, jsii.String("TaskRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("Open WebUI task: mount its EFS access point, nothing else"),
	})
	props.Storage.GrantAccessPoint(role)

	td := awsecs.NewFargateTaskDefinition(c, jsii.String("TaskDefinition"), &awsecs.FargateTaskDefinitionProps{
		Cpu:             jsii.Number(1024),
		MemoryLimitMiB:  jsii.Number(4096),
		TaskRole:        role,
		ExecutionRole:   props.Cluster.ExecutionRole,
		RuntimePlatform: runtimePlatform(cfg.CPUArchitecture),
		Volumes: &[]*awsecs.Volume{{
			Name: jsii.String(webUIDataVolume),
			EfsVolumeConfiguration: &awsecs.EfsVolumeConfiguration{
				FileSystemId:      props.Storage.FileSystem.FileSystemId(),
				TransitEncryption: jsii.String("ENABLED"),
				AuthorizationConfig: &awsecs.AuthorizationConfig{
					AccessPointId: props.Storage.AccessPoint.AccessPointId(),
					Iam:           jsii.String("ENABLED"),
				},
			},
		}},
	})

	apiKey := awsecs.Secret_FromSecretsManager(props.Secrets.GatewayAPIKey, jsii.String(GatewayAPIKeyField))
	secrets := map[string]awsecs.Secret{
		"OPENAI_API_KEY":     apiKey,
		"RAG_OPENAI_API_KEY": apiKey,
		"WEBUI_SECRET_KEY":   awsecs.Secret_FromSecretsManager(props.Secrets.WebUISecretKey, nil),
	}
	container := td.AddContainer(jsii.String("open-webui"), &awsecs.ContainerDefinitionOptions{
		Image:        awsecs.ContainerImage_FromEcrRepository(props.Repository, jsii.String(cfg.WebUIImageTag)),
		Essential:    jsii.Bool(true),
		PortMappings: &[]*awsecs.PortMapping{{Name: jsii.String("http"), ContainerPort: jsii.Number(webUIPort)}},
		Environment:  webUIEnvironment(cfg, props.LoadBalancer.URL),
		Secrets:      &secrets,
		HealthCheck: &awsecs.HealthCheck{
			Command: jsii.Strings("CMD-SHELL",
				fmt.Sprintf("curl --silent --fail --max-time 4 http://localhost:%d%s > /dev/null || exit 1",
					webUIPort, webUIHealthPath)),
			Interval:    awscdk.Duration_Seconds(jsii.Number(30)),
			Timeout:     awscdk.Duration_Seconds(jsii.Number(5)),
			Retries:     jsii.Number(5),
			StartPeriod: awscdk.Duration_Seconds(jsii.Number(300)),
		},
		StopTimeout: awscdk.Duration_Seconds(jsii.Number(30)),
		Logging: awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{
			LogGroup:     props.LogGroup,
			StreamPrefix: jsii.String("open-webui"),
		}),
	})
	container.AddMountPoints(&awsecs.MountPoint{
		ContainerPath: jsii.String(WebUIDataPath), SourceVolume: jsii.String(webUIDataVolume), ReadOnly: jsii.Bool(false),
	})
	if s := props.SharedState; s != nil {
		db := awsecs.Secret_FromSecretsManager(s.DatabaseURLSecret, nil)
		redis := awsecs.Secret_FromSecretsManager(s.RedisURLSecret, nil)
		container.AddSecret(jsii.String("DATABASE_URL"), db)
		container.AddSecret(jsii.String("PGVECTOR_DB_URL"), db)
		container.AddSecret(jsii.String("REDIS_URL"), redis)
		container.AddSecret(jsii.String("WEBSOCKET_REDIS_URL"), redis)
	}
	suppressPlainEnvironment(td)

	sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:         props.Network.Vpc,
		Description: jsii.String("Open WebUI: HTTP from the load balancer only"),
		// Outbound: the gateway, EFS, the databases, and HTTPS for web search, image pulls and AWS APIs.
		AllowAllOutbound: jsii.Bool(true),
	})

	// One task on SQLite must never overlap another during a deployment; several replicas roll.
	minHealthy, maxHealthy := 0.0, 100.0
	if cfg.ScaleOut() {
		minHealthy, maxHealthy = 100, 200
	}
	service := awsecs.NewFargateService(c, jsii.String("Service"), &awsecs.FargateServiceProps{
		Cluster:                props.Cluster.Cluster,
		TaskDefinition:         td,
		DesiredCount:           jsii.Number(float64(cfg.WebUIReplicas)),
		AssignPublicIp:         jsii.Bool(false),
		VpcSubnets:             props.Network.PrivateSubnets,
		SecurityGroups:         &[]awsec2.ISecurityGroup{sg},
		PlatformVersion:        awsecs.FargatePlatformVersion_LATEST,
		MinHealthyPercent:      jsii.Number(minHealthy),
		MaxHealthyPercent:      jsii.Number(maxHealthy),
		HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(webUIHealthGraceSeconds)),
		CircuitBreaker:         &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
	})
	// Registers the tasks in the target group and opens 8080 from the ALB's security group (and only from it).
	service.AttachToApplicationTargetGroup(props.LoadBalancer.WebUITargets)
	return &WebUIService{Construct: c, Service: service, TaskRole: role, SecurityGroup: sg, Container: container}
}

// webUIEnvironment is Open WebUI's non-secret configuration.
func webUIEnvironment(cfg *Config, url *string) *map[string]*string {
	env := map[string]*string{
		"WEBUI_URL":                jsii.String(*url),
		"OPENAI_API_BASE_URL":      jsii.String(GatewayInternalURL),
		"ENABLE_OPENAI_API":        jsii.String("true"),
		"ENABLE_OLLAMA_API":        jsii.String("false"),
		"DEFAULT_MODELS":           jsii.String(cfg.DefaultModel),
		"TASK_MODEL_EXTERNAL":      jsii.String(cfg.TaskModel),
		"RAG_EMBEDDING_ENGINE":     jsii.String("openai"),
		"RAG_OPENAI_API_BASE_URL":  jsii.String(GatewayInternalURL),
		"RAG_EMBEDDING_MODEL":      jsii.String(cfg.EmbeddingModel),
		"ENABLE_PERSISTENT_CONFIG": jsii.String(fmt.Sprint(cfg.WebUIPersistentConfig)),
	}
	if cfg.ScaleOut() {
		env["ENABLE_WEBSOCKET_SUPPORT"] = jsii.String("true")
		env["WEBSOCKET_MANAGER"] = jsii.String("redis")
		env["VECTOR_DB"] = jsii.String("pgvector")
	}
	if cfg.NatFree() {
		// No internet from the private subnets: do not try to download models or check for updates.
		env["OFFLINE_MODE"] = jsii.String("true")
		env["HF_HUB_OFFLINE"] = jsii.String("1")
	}
	return &env
}
