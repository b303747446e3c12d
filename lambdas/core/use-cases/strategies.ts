import * as z from '../../../engine/zod-mini.ts';
import { listStrategies, strategyParamSchema, type ParamInfo } from '../../../engine/index.ts';

/** JSON Schema (draft 2020-12) of one parameter, as z.toJSONSchema writes it, with the parameter's description. */
export interface ParamJsonSchema {
  type: 'integer' | 'number' | 'boolean';
  default?: number | boolean;
  minimum?: number;
  maximum?: number;
  description?: string;
}

export interface StrategyView {
  id: string;
  /** For people: `SMA cross`. */
  name: string;
  /** The first sentence of the description: one line for a picker. */
  description: string;
  /** The whole description (entry and exit rules). */
  details: string;
  /** JSON Schema of the strategy's scalar parameters (a sweep gives a list or a range for any numeric one). */
  parameters: { type: 'object'; properties: Record<string, ParamJsonSchema>; additionalProperties: false; [key: string]: unknown };
}

const ACRONYMS = new Set(['sma', 'ema', 'rsi', 'macd']);

/** `sma-cross` -> `SMA cross`, `buy-and-hold` -> `Buy and hold`. */
export function strategyName(id: string): string {
  const words = id.split('-').map((w) => (ACRONYMS.has(w) ? w.toUpperCase() : w));
  return words[0][0].toUpperCase() + words[0].slice(1) + (words.length > 1 ? ` ${words.slice(1).join(' ')}` : '');
}

/** Up to the end of the first sentence (a period followed by a space or the end). */
export function firstSentence(text: string): string {
  const match = /^.*?\.(?=\s|$)/s.exec(text.trim());
  return (match ? match[0] : text.trim()).replace(/\s+/g, ' ');
}

/**
 * The parameters' JSON Schema straight from the zod schema the engine validates with (types, defaults, bounds,
 * no unknown keys), so the form a client builds and the check a submit meets cannot drift. zod has no place for
 * the table's per-parameter descriptions, so they are added from the same parameter table.
 */
function parametersSchema(id: string, params: Record<string, ParamInfo>): StrategyView['parameters'] {
  const schema = strategyParamSchema(id);
  if (!schema) throw new Error(`strategy ${id} has no parameter schema`);
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as StrategyView['parameters'];
  const { $schema: _dialect, ...rest } = json as StrategyView['parameters'] & { $schema?: string };
  for (const [name, info] of Object.entries(params)) {
    if (rest.properties[name]) rest.properties[name] = { ...rest.properties[name], description: info.description };
  }
  return rest;
}

let cached: { items: StrategyView[] } | undefined;

/** `GET /strategies`: every built-in strategy. Built once per process: the registry is fixed at build time. */
export function listStrategyViews(): { items: StrategyView[] } {
  cached ??= {
    items: listStrategies().map((s) => ({
      id: s.id,
      name: strategyName(s.id),
      description: firstSentence(s.description),
      details: s.description,
      parameters: parametersSchema(s.id, s.params),
    })),
  };
  return cached;
}
