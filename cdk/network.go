package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// vpcCidr is the VPC's address range: 2 × /24 public and 2 × /20 private subnets are carved from it.
const vpcCidr = "10.40.0.0/16"

// NetworkProps configures the VPC.
type NetworkProps struct {
	NatGateways  int
	VpcEndpoints bool
	LogRetention awslogs.RetentionDays
}

// Network is a two-AZ VPC: two public subnets (ALB, NAT) and two private ones (tasks, EFS, databases).
type Network struct {
	constructs.Construct
	Vpc            awsec2.Vpc
	PrivateSubnets *awsec2.SubnetSelection
	PublicSubnets  *awsec2.SubnetSelection
}

// Interface endpoints that let the tasks run without NAT: image pulls (ECR api + dkr, layers from S3), logs, secrets
// and Bedrock (runtime for inference, control plane for the model catalogue).
var interfaceEndpoints = []struct {
	id      string
	service func() awsec2.InterfaceVpcEndpointAwsService
}{
	{"BedrockRuntime", awsec2.InterfaceVpcEndpointAwsService_BEDROCK_RUNTIME},
	{"Bedrock", awsec2.InterfaceVpcEndpointAwsService_BEDROCK},
	{"EcrApi", awsec2.InterfaceVpcEndpointAwsService_ECR},
	{"EcrDocker", awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER},
	{"Logs", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS},
	{"SecretsManager", awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER},
}

// NewNetwork builds the VPC, its flow log and, optionally, the VPC endpoints.
func NewNetwork(scope constructs.Construct, id string, props *NetworkProps) *Network {
	c := constructs.NewConstruct(scope, jsii.String(id))
	privateType := awsec2.SubnetType_PRIVATE_WITH_EGRESS
	if props.NatGateways == 0 {
		privateType = awsec2.SubnetType_PRIVATE_ISOLATED
	}
	vpc := awsec2.NewVpc(c, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses: awsec2.IpAddresses_Cidr(jsii.String(vpcCidr)),
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(float64(props.NatGateways)),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("private"), SubnetType: privateType, CidrMask: jsii.Number(20)},
		},
		// Restricting the default security group needs a Lambda-backed custom resource; nothing here uses it.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	flowLogs := awslogs.NewLogGroup(c, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
		Retention: props.LogRetention,
		// Kept after teardown: flow logs are security records (they still expire with the retention).
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogs, nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})

	n := &Network{
		Construct:      c,
		Vpc:            vpc,
		PrivateSubnets: &awsec2.SubnetSelection{SubnetType: privateType},
		PublicSubnets:  &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
	}
	if props.VpcEndpoints {
		vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{
			Service: awsec2.GatewayVpcEndpointAwsService_S3(),
			Subnets: &[]*awsec2.SubnetSelection{n.PrivateSubnets},
		})
		sg := awsec2.NewSecurityGroup(c, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              vpc,
			Description:      jsii.String("VPC interface endpoints: HTTPS from inside the VPC only"),
			AllowAllOutbound: jsii.Bool(false),
		})
		sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(vpcCidr)), awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS from the VPC"), nil)
		for _, e := range interfaceEndpoints {
			vpc.AddInterfaceEndpoint(jsii.String(e.id), &awsec2.InterfaceVpcEndpointOptions{
				Service:           e.service(),
				PrivateDnsEnabled: jsii.Bool(true),
				Subnets:           n.PrivateSubnets,
				SecurityGroups:    &[]awsec2.ISecurityGroup{sg},
				Open:              jsii.Bool(false),
			})
		}
	}
	return n
}
