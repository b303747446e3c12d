import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface EdgeFirewallProps {
  /** Requests one IP may make in any 5 minutes, every path together (web app and API). */
  readonly requestsPerIp: number;
  /** `POST /backtests` one IP may make in any 5 minutes. */
  readonly submitsPerIp: number;
}

/** Seconds a blocked client is told to wait: the rate rules count over 5 minutes. */
export const WAF_RETRY_AFTER_SECONDS = 300;

/**
 * The WAF WebACL in front of the CloudFront distribution: per-IP rate-based rules, evaluated at the edge before a
 * request reaches API Gateway, so one client (or one address of a botnet) cannot use up the stage's shared
 * throttle for everyone. A blocked request gets 429 with Retry-After, as the API's own limits answer.
 *
 * CLOUDFRONT-scope WebACLs exist only in us-east-1: this construct is placed in the service stack when that stack
 * deploys there (or its region is unknown, as in an offline synth), and otherwise in the `<prefix>Edge` stack,
 * whose output the service stack takes as context `webAclArn` (docs/deploy.md, docs/decisions.md).
 */
export class EdgeFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeFirewallProps) {
    super(scope, id);
    const block = {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: 'rateLimited',
          responseHeaders: [{ name: 'Retry-After', value: String(WAF_RETRY_AFTER_SECONDS) }],
        },
      },
    };
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });
    const exactly = (field: wafv2.CfnWebACL.FieldToMatchProperty, value: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: { fieldToMatch: field, positionalConstraint: 'EXACTLY', searchString: value, textTransformations: [{ priority: 0, type: 'NONE' }] },
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'Backtest queue: per-IP request and submit rates',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('BacktestEdge'),
      customResponseBodies: {
        rateLimited: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: 'about:blank',
            title: 'Too Many Requests',
            status: 429,
            detail: `Too many requests from this address; try again in ${WAF_RETRY_AFTER_SECONDS / 60} minutes.`,
          }),
        },
      },
      rules: [
        {
          name: 'SubmitsPerIp',
          priority: 0,
          action: block,
          visibilityConfig: visibility('SubmitsPerIp'),
          statement: {
            rateBasedStatement: {
              limit: props.submitsPerIp,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: {
                andStatement: { statements: [exactly({ method: {} }, 'POST'), exactly({ uriPath: {} }, '/backtests')] },
              },
            },
          },
        },
        {
          name: 'RequestsPerIp',
          priority: 1,
          action: block,
          visibilityConfig: visibility('RequestsPerIp'),
          statement: { rateBasedStatement: { limit: props.requestsPerIp, evaluationWindowSec: 300, aggregateKeyType: 'IP' } },
        },
      ],
    });
  }

  get arn(): string {
    return this.webAcl.attrArn;
  }
}
