package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// HTTPSProps names the domain and its Route 53 public hosted zone. The zone is referenced by id, not looked up, so
// synth needs no AWS credentials.
type HTTPSProps struct {
	DomainName     string
	HostedZoneName string
	HostedZoneID   string
}

// HTTPS is a DNS-validated ACM certificate for the domain; AddAlias points the domain at the load balancer.
type HTTPS struct {
	constructs.Construct
	Certificate awscertificatemanager.ICertificate
	zone        awsroute53.IHostedZone
	domainName  string
}

// NewHTTPS creates the certificate (validated through records CloudFormation adds to the hosted zone).
func NewHTTPS(scope constructs.Construct, id string, props *HTTPSProps) *HTTPS {
	c := constructs.NewConstruct(scope, jsii.String(id))
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(c, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(props.HostedZoneID),
		ZoneName:     jsii.String(props.HostedZoneName),
	})
	cert := awscertificatemanager.NewCertificate(c, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
		DomainName: jsii.String(props.DomainName),
		Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
	})
	return &HTTPS{Construct: c, Certificate: cert, zone: zone, domainName: props.DomainName}
}

// AddAlias creates the Route 53 alias (A record) from the domain to the load balancer.
func (h *HTTPS) AddAlias(alb awselasticloadbalancingv2.IApplicationLoadBalancer) {
	awsroute53.NewARecord(h.Construct, jsii.String("Alias"), &awsroute53.ARecordProps{
		Zone:       h.zone,
		RecordName: jsii.String(h.domainName + "."),
		Target:     awsroute53.RecordTarget_FromAlias(awsroute53targets.NewLoadBalancerTarget(alb, nil)),
	})
}
