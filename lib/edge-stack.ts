import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AppConfig } from './app-config.ts';
import { EdgeFirewall } from './constructs/edge-firewall.ts';

export interface EdgeStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * The WAF WebACL for the CloudFront distribution, in us-east-1 (the only region where CLOUDFRONT-scope WebACLs
 * exist). Added to the app only when the service stack deploys to another region and no `webAclArn` is given; the
 * service stack then reads the ARN through CDK's cross-region references (an SSM parameter CDK manages).
 */
export class EdgeStack extends Stack {
  readonly firewall: EdgeFirewall;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    this.firewall = new EdgeFirewall(this, 'Firewall', { requestsPerIp: props.config.wafRequestsPerIp, submitsPerIp: props.config.wafSubmitsPerIp });
    new CfnOutput(this, 'WebAclArn', { value: this.firewall.arn, description: 'Pass as -c webAclArn=... to reuse this WebACL' });
  }
}
