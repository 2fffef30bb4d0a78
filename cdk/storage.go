package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsefs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const (
	// WebUIDataPath is where Open WebUI keeps SQLite, uploads and its vector store.
	WebUIDataPath = "/app/backend/data"
	// Every file written through the access point is owned by this POSIX identity, whatever user the container is.
	webUIDataUID = "1000"
	webUIDataGID = "1000"
)

// StorageProps configures Open WebUI's file system.
type StorageProps struct {
	Network *Network
}

// Storage is an encrypted EFS file system with mount targets in the private subnets and one access point for
// Open WebUI's data. It is retained when the stack is deleted and backed up daily by AWS Backup.
type Storage struct {
	constructs.Construct
	FileSystem    awsefs.FileSystem
	AccessPoint   awsefs.AccessPoint
	SecurityGroup awsec2.SecurityGroup
}

// NewStorage builds the file system; AllowFrom opens NFS to one security group.
func NewStorage(scope constructs.Construct, id string, props *StorageProps) *Storage {
	c := constructs.NewConstruct(scope, jsii.String(id))
	sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Network.Vpc,
		Description:      jsii.String("Open WebUI data (EFS): NFS from Open WebUI only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	fs := awsefs.NewFileSystem(c, jsii.String("FileSystem"), &awsefs.FileSystemProps{
		Vpc:                         props.Network.Vpc,
		VpcSubnets:                  props.Network.PrivateSubnets,
		SecurityGroup:               sg,
		Encrypted:                   jsii.Bool(true),
		EnableAutomaticBackups:      jsii.Bool(true),
		PerformanceMode:             awsefs.PerformanceMode_GENERAL_PURPOSE,
		ThroughputMode:              awsefs.ThroughputMode_ELASTIC,
		LifecyclePolicy:             awsefs.LifecyclePolicy_AFTER_30_DAYS,
		OutOfInfrequentAccessPolicy: awsefs.OutOfInfrequentAccessPolicy_AFTER_1_ACCESS,
		// Users' chats, uploads and settings survive a stack deletion.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// The file-system policy has no Allow: anonymous (non-IAM) NFS clients get nothing, and a client mounts only if
	// its own IAM role allows it (the Open WebUI task role, only through the access point). TLS is mandatory. It
	// replaces the policy CDK would add, which lets every IAM principal write through a mount target.
	fs.Node().DefaultChild().(awscdk.CfnResource).AddPropertyOverride(jsii.String("FileSystemPolicy"), map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "DenyUnencryptedTransport",
			"Effect":    "Deny",
			"Principal": map[string]any{"AWS": "*"},
			"Action":    "*",
			"Resource":  "*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		}},
	})
	ap := fs.AddAccessPoint(jsii.String("WebUIData"), &awsefs.AccessPointOptions{
		Path: jsii.String("/open-webui"),
		CreateAcl: &awsefs.Acl{
			OwnerUid: jsii.String(webUIDataUID), OwnerGid: jsii.String(webUIDataGID), Permissions: jsii.String("750"),
		},
		PosixUser: &awsefs.PosixUser{Uid: jsii.String(webUIDataUID), Gid: jsii.String(webUIDataGID)},
	})
	return &Storage{Construct: c, FileSystem: fs, AccessPoint: ap, SecurityGroup: sg}
}

// AllowFrom opens NFS (2049) to the given security group only.
func (s *Storage) AllowFrom(peer awsec2.ISecurityGroup, description string) {
	s.SecurityGroup.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(2049)), jsii.String(description), nil)
}

// GrantAccessPoint lets a task role mount and write the file system, only through the access point.
func (s *Storage) GrantAccessPoint(role awsiam.IRole) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("MountOpenWebUIDataThroughItsAccessPoint"),
		Actions:   jsii.Strings("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"),
		Resources: &[]*string{s.FileSystem.FileSystemArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"elasticfilesystem:AccessPointArn": s.AccessPoint.AccessPointArn()},
		},
	}))
}
