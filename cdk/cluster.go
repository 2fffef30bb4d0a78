package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsservicediscovery"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// CloudMapNamespace is the private DNS namespace the gateway registers in.
const CloudMapNamespace = "internal"

// ClusterProps configures the ECS cluster.
type ClusterProps struct {
	Network *Network
}

// Cluster is the ECS cluster (Container Insights on), its Cloud Map private DNS namespace `internal`, and the task
// execution role shared by both services (ECR pull, logs and the services' secrets are granted to it as the task
// definitions use them).
type Cluster struct {
	constructs.Construct
	Cluster       awsecs.Cluster
	ExecutionRole awsiam.Role
}

// NewCluster builds the cluster, the namespace and the execution role.
func NewCluster(scope constructs.Construct, id string, props *ClusterProps) *Cluster {
	c := constructs.NewConstruct(scope, jsii.String(id))
	cluster := awsecs.NewCluster(c, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc:                 props.Network.Vpc,
		ContainerInsightsV2: awsecs.ContainerInsights_ENABLED,
		DefaultCloudMapNamespace: &awsecs.CloudMapNamespaceOptions{
			Name: jsii.String(CloudMapNamespace),
			Type: awsservicediscovery.NamespaceType_DNS_PRIVATE,
			Vpc:  props.Network.Vpc,
		},
	})
	role := awsiam.NewRole(c, jsii.String("TaskExecutionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("ECS task execution: pull images from ECR, write logs, read the task secrets"),
	})
	return &Cluster{Construct: c, Cluster: cluster, ExecutionRole: role}
}

// SuppressExecutionRoleWildcard records why the execution role's policy has one wildcard. Call it after every task
// definition has been granted its pulls, logs and secrets: the policy only exists once something is granted.
func (c *Cluster) SuppressExecutionRoleWildcard() {
	cdknag.NagSuppressions_AddResourceSuppressions(c.ExecutionRole, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("ecr:GetAuthorizationToken (granted with the image pull) has no resource-level " +
			"permissions and must be granted on *; image pulls, logs and secrets are limited to their resources."),
		AppliesTo: &[]any{"Resource::*"},
	}}, jsii.Bool(true))
}

// runtimePlatform maps cpuArchitecture to the Fargate runtime platform (Graviton by default).
func runtimePlatform(arch string) *awsecs.RuntimePlatform {
	cpu := awsecs.CpuArchitecture_ARM64()
	if arch == ArchX86_64 {
		cpu = awsecs.CpuArchitecture_X86_64()
	}
	return &awsecs.RuntimePlatform{CpuArchitecture: cpu, OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX()}
}
