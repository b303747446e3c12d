import type { Template } from 'aws-cdk-lib/assertions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';

type Json = Record<string, unknown>;
export interface CfnResource {
  Type: string;
  Properties?: Json;
  Metadata?: Json;
}
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
}

export const resources = (template: Template, type: string): Record<string, CfnResource> =>
  template.findResources(type) as Record<string, CfnResource>;

/** The construct path CDK records on each resource, e.g. `BacktestService/Workers/Free/Function/Resource`. */
export const cdkPath = (resource: CfnResource): string => String(resource.Metadata?.['aws:cdk:path'] ?? '');

/** Logical id of the single resource of `type` whose construct path contains `fragment`. */
export function logicalIdAt(template: Template, type: string, fragment: string): string {
  const ids = Object.entries(resources(template, type)).filter(([, r]) => cdkPath(r).includes(fragment)).map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} at *${fragment}*, found ${ids.length}`);
  return ids[0];
}

/** Logical id of the role a function (found by construct path fragment) runs as. */
export function roleOfFunction(template: Template, functionPathFragment: string): string {
  const fnId = logicalIdAt(template, 'AWS::Lambda::Function', `${functionPathFragment}/Function/`);
  const role = resources(template, 'AWS::Lambda::Function')[fnId].Properties?.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

/** Every statement of every IAM policy attached to the role (inline policies included). */
export function statementsOfRole(template: Template, roleId: string): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  for (const policy of Object.values(resources(template, 'AWS::IAM::Policy'))) {
    const roles = (policy.Properties?.Roles ?? []) as { Ref?: string }[];
    if (roles.some((r) => r.Ref === roleId)) {
      out.push(...((policy.Properties?.PolicyDocument as { Statement: PolicyStatement[] }).Statement ?? []));
    }
  }
  const role = resources(template, 'AWS::IAM::Role')[roleId];
  for (const inline of (role?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: PolicyStatement[] } }[]) {
    out.push(...inline.PolicyDocument.Statement);
  }
  return out;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** IAM action matching with wildcards, so `sqs:*` or `*` counts as granting `sqs:ReceiveMessage`. */
function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

/** Allow statements of the role that grant `action` (by exact name or wildcard). */
export function statementsGranting(template: Template, roleId: string, action: string): PolicyStatement[] {
  return statementsOfRole(template, roleId).filter(
    (s) => s.Effect === 'Allow' && asArray(s.Action).some((pattern) => actionMatches(pattern, action)),
  );
}

/** Every action granted to the role, flattened. */
export function actionsOfRole(template: Template, roleId: string): string[] {
  return statementsOfRole(template, roleId).filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action));
}

/** Whether a CloudFormation value mentions a logical id (Ref, GetAtt, or inside a Join). */
export const mentions = (value: unknown, logicalId: string): boolean => JSON.stringify(value).includes(`"${logicalId}"`);

/**
 * A function's environment with CloudFormation references replaced by host-safe placeholder words
 * (`{"Ref":"AWS::Region"}` → `awsregion`), so values built from references (URLs) still parse; literal strings are kept.
 */
export function placeholderEnv(fn: CfnResource): Record<string, string> {
  const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
  // An imported URL (the user pool's ProviderURL from the stateful stack) is an https URL once deployed: say so, so
  // the handlers' https checks see what they will see in AWS.
  const importsAsUrls = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(importsAsUrls);
    if (typeof value !== 'object' || value === null) return value;
    const name = (value as Record<string, unknown>)['Fn::ImportValue'];
    if (typeof name === 'string' && /url/i.test(name)) return `https://${name.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}.example`;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, importsAsUrls(v)]));
  };
  const placeholder = (value: unknown): string =>
    flattenCfnReference(importsAsUrls(value)).replace(/<([^>]*)>/g, (_match, name: string) => name.replace(/[^A-Za-z0-9]/g, '').toLowerCase());
  // A literal string is what the function gets; flattening it would turn a JSON value's `}` into `>`.
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : placeholder(v)]));
}
