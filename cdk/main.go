// Command cdk synthesizes the two CloudFormation stacks of the Open WebUI + Bedrock deployment:
// OpenWebUIBedrockRegistry (ECR and GitHub OIDC) and OpenWebUIBedrockApp (everything that runs).
package main

import (
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"
)

func main() {
	os.Exit(run())
}

func run() int {
	defer jsii.Close()
	app := NewCdkApp(nil)
	if _, err := NewOpenWebUIBedrock(app); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	app.Synth(nil)
	return 0
}
