package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticache"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

const (
	webUIDatabaseName = "openwebui"
	webUIDatabaseUser = "openwebui"
	postgresPort      = 5432
	redisPort         = 6379
	// Characters that would need percent-encoding inside a URL are never generated, so the URLs below can embed
	// the password and token verbatim.
	urlUnsafeCharacters = " %+~`#$&*()|[]{}:;<>?!'/@\"\\=,^"
)

// SharedStateProps configures the scale-out data tier.
type SharedStateProps struct {
	Network *Network
}

// SharedState is what several Open WebUI replicas need to share: Aurora Serverless v2 PostgreSQL (users, chats and
// the pgvector store) and a Redis replication group (websocket sessions). Their connection URLs, which contain the
// credentials, are Secrets Manager secrets assembled by CloudFormation from dynamic references, so no password ever
// appears in the template or in a plain environment variable.
type SharedState struct {
	constructs.Construct
	Cluster            awsrds.DatabaseCluster
	DatabaseSG         awsec2.SecurityGroup
	RedisSG            awsec2.SecurityGroup
	DatabaseURLSecret  awssecretsmanager.Secret
	RedisURLSecret     awssecretsmanager.Secret
	RedisAuthToken     awssecretsmanager.Secret
	ReplicationGroupID *string
}

// NewSharedState builds PostgreSQL and Redis in the private subnets; AllowFrom opens both to one security group.
func NewSharedState(scope constructs.Construct, id string, props *SharedStateProps) *SharedState {
	c := constructs.NewConstruct(scope, jsii.String(id))
	vpc := props.Network.Vpc
	s := &SharedState{Construct: c}

	s.DatabaseSG = awsec2.NewSecurityGroup(c, jsii.String("DatabaseSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: vpc, Description: jsii.String("Open WebUI PostgreSQL: from Open WebUI only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	s.Cluster = awsrds.NewDatabaseCluster(c, jsii.String("Postgres"), &awsrds.DatabaseClusterProps{
		Engine: awsrds.DatabaseClusterEngine_AuroraPostgres(&awsrds.AuroraPostgresClusterEngineProps{
			Version: awsrds.AuroraPostgresEngineVersion_VER_16_6(),
		}),
		Credentials: awsrds.Credentials_FromGeneratedSecret(jsii.String(webUIDatabaseUser),
			&awsrds.CredentialsBaseOptions{ExcludeCharacters: jsii.String(urlUnsafeCharacters)}),
		DefaultDatabaseName:     jsii.String(webUIDatabaseName),
		Writer:                  awsrds.ClusterInstance_ServerlessV2(jsii.String("writer"), nil),
		ServerlessV2MinCapacity: jsii.Number(0.5),
		ServerlessV2MaxCapacity: jsii.Number(4),
		Vpc:                     vpc,
		VpcSubnets:              props.Network.PrivateSubnets,
		SecurityGroups:          &[]awsec2.ISecurityGroup{s.DatabaseSG},
		Port:                    jsii.Number(postgresPort),
		StorageEncrypted:        jsii.Bool(true),
		DeletionProtection:      jsii.Bool(true),
		Backup:                  &awsrds.BackupProps{Retention: awscdk.Duration_Days(jsii.Number(7))},
		CloudwatchLogsExports:   jsii.Strings("postgresql"),
		RemovalPolicy:           awscdk.RemovalPolicy_SNAPSHOT,
	})
	dbSecret := s.Cluster.Secret()
	suppressRotation(s.Cluster) // the generated credentials are a child of the cluster
	cdknag.NagSuppressions_AddResourceSuppressions(s.Cluster, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-RDS6"), Reason: jsii.String("Open WebUI connects with a static " +
			"DATABASE_URL (SQLAlchemy) and cannot mint IAM auth tokens; access is limited to its security group.")},
	}, jsii.Bool(true))

	// postgresql://user:password@host:port/db, resolved by CloudFormation at deploy time.
	databaseURL := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("postgresql://"),
		dbSecret.SecretValueFromJson(jsii.String("username")).UnsafeUnwrap(), jsii.String(":"),
		dbSecret.SecretValueFromJson(jsii.String("password")).UnsafeUnwrap(), jsii.String("@"),
		s.Cluster.ClusterEndpoint().SocketAddress(), jsii.String("/" + webUIDatabaseName),
	})
	s.DatabaseURLSecret = awssecretsmanager.NewSecret(c, jsii.String("DatabaseUrl"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Open WebUI DATABASE_URL (Aurora PostgreSQL), assembled from the cluster secret"),
		// Only dynamic references ({{resolve:secretsmanager:...}}) are in this value, never the password itself.
		SecretStringValue: awscdk.SecretValue_UnsafePlainText(databaseURL),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	suppressRotation(s.DatabaseURLSecret)

	s.RedisSG = awsec2.NewSecurityGroup(c, jsii.String("RedisSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: vpc, Description: jsii.String("Open WebUI Redis: from Open WebUI only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	s.RedisAuthToken = awssecretsmanager.NewSecret(c, jsii.String("RedisAuthToken"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Open WebUI Redis AUTH token"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			ExcludePunctuation: jsii.Bool(true),
			PasswordLength:     jsii.Number(64),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	suppressRotation(s.RedisAuthToken)
	subnetIDs := []any{}
	for _, id := range *vpc.SelectSubnets(props.Network.PrivateSubnets).SubnetIds {
		subnetIDs = append(subnetIDs, id)
	}
	subnets := awselasticache.NewCfnSubnetGroup(c, jsii.String("RedisSubnets"), &awselasticache.CfnSubnetGroupProps{
		Description: jsii.String("Open WebUI Redis: private subnets"),
		SubnetIds:   &subnetIDs,
	})
	redis := awselasticache.NewCfnReplicationGroup(c, jsii.String("Redis"), &awselasticache.CfnReplicationGroupProps{
		ReplicationGroupDescription: jsii.String("Open WebUI websocket and session state"),
		Engine:                      jsii.String("redis"),
		EngineVersion:               jsii.String("7.1"),
		CacheNodeType:               jsii.String("cache.t4g.micro"),
		NumCacheClusters:            jsii.Number(2),
		AutomaticFailoverEnabled:    jsii.Bool(true),
		MultiAzEnabled:              jsii.Bool(true),
		CacheSubnetGroupName:        subnets.Ref(),
		SecurityGroupIds:            &[]*string{s.RedisSG.SecurityGroupId()},
		Port:                        jsii.Number(redisPort),
		AtRestEncryptionEnabled:     jsii.Bool(true),
		TransitEncryptionEnabled:    jsii.Bool(true),
		AuthToken:                   s.RedisAuthToken.SecretValue().UnsafeUnwrap(),
		SnapshotRetentionLimit:      jsii.Number(1),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(redis, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-AEC5"), Reason: jsii.String("The port is not a security control here: the " +
			"replication group is in private subnets and only Open WebUI's security group may connect; AUTH and TLS " +
			"are on."),
	}}, nil)
	s.ReplicationGroupID = redis.Ref()

	// rediss://:token@primary:port/0 (TLS), resolved by CloudFormation at deploy time.
	redisURL := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("rediss://:"), s.RedisAuthToken.SecretValue().UnsafeUnwrap(), jsii.String("@"),
		redis.AttrPrimaryEndPointAddress(), jsii.String(":"), redis.AttrPrimaryEndPointPort(), jsii.String("/0"),
	})
	s.RedisURLSecret = awssecretsmanager.NewSecret(c, jsii.String("RedisUrl"), &awssecretsmanager.SecretProps{
		Description:       jsii.String("Open WebUI REDIS_URL (ElastiCache, TLS + AUTH), assembled from the token secret"),
		SecretStringValue: awscdk.SecretValue_UnsafePlainText(redisURL),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	suppressRotation(s.RedisURLSecret)
	return s
}

// AllowFrom opens PostgreSQL and Redis to the given security group only.
func (s *SharedState) AllowFrom(peer awsec2.ISecurityGroup, description string) {
	s.DatabaseSG.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(postgresPort)), jsii.String(description), nil)
	s.RedisSG.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(redisPort)), jsii.String(description), nil)
}
