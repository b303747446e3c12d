/**
 * One strategy parameter in the submit form, built from its JSON Schema: a single value, a list ("5,10,20") or a
 * range (from, to, step) for sweeps; a checkbox for a boolean. It reads itself into the submit body's shape.
 */
import { h, uid } from './dom.ts';
import type { FormErrors } from './form-errors.ts';
import type { ParamValue, ParamsJsonSchema } from '../../client/types.ts';

type PropSchema = ParamsJsonSchema['properties'][string];
type Mode = 'value' | 'list' | 'range';

export interface ParamField {
  readonly name: string;
  readonly element: HTMLElement;
  /** The body's value, or a sentence saying what is wrong with the input. */
  read(): { value: ParamValue } | { error: string };
  /** How many values this parameter contributes to the sweep grid (1 for a single value). */
  count(): number;
  /** Sets the control from a stored request (a copy of a finished job's settings). */
  set(value: ParamValue): void;
}

export function paramField(name: string, schema: PropSchema, errors: FormErrors, onChange: () => void): ParamField {
  const id = uid(`param-${name}`);
  const hintId = `${id}-hint`;
  const bounds = [schema.minimum !== undefined ? `min ${schema.minimum}` : '', schema.maximum !== undefined ? `max ${schema.maximum}` : ''].filter(Boolean).join(', ');
  const hint = h('p', { class: 'hint', id: hintId }, [schema.description ?? '', bounds ? ` (${bounds})` : ''].join(''));

  if (schema.type === 'boolean') {
    const box = h('input', { type: 'checkbox', id, 'aria-describedby': hintId, onchange: onChange }) as HTMLInputElement;
    box.checked = schema.default === true;
    const error = errors.field(`params.${name}`, name, id, () => [box]);
    return {
      name,
      element: h('div', { class: 'field param' }, h('div', { class: 'check' }, box, h('label', { for: id }, name)), hint, error),
      read: () => ({ value: box.checked }),
      count: () => 1,
      set: (value) => {
        box.checked = value === true;
      },
    };
  }

  const step = schema.type === 'integer' ? '1' : 'any';
  const numberInput = (suffix: string, label: string, value?: number): HTMLInputElement =>
    h('input', { type: 'number', id: `${id}-${suffix}`, step, inputmode: 'decimal', 'aria-label': label, value: value ?? '', oninput: onChange }) as HTMLInputElement;
  const defaultValue = typeof schema.default === 'number' ? schema.default : undefined;
  const single = numberInput('value', `${name} value`, defaultValue);
  const list = h('input', { type: 'text', id: `${id}-list`, 'aria-label': `${name} values, comma separated`, placeholder: '5,10,20', oninput: onChange }) as HTMLInputElement;
  const from = numberInput('from', `${name} from`, defaultValue);
  const to = numberInput('to', `${name} to`, defaultValue);
  const by = numberInput('step', `${name} step`, schema.type === 'integer' ? 1 : undefined);
  const mode = h(
    'select',
    { id: `${id}-mode`, 'aria-label': `${name}: value, list or range` },
    h('option', { value: 'value' }, 'value'),
    h('option', { value: 'list' }, 'list'),
    h('option', { value: 'range' }, 'range'),
  ) as HTMLSelectElement;
  const inputs = h('div', { class: 'param-inputs' });
  const controls = (): HTMLElement[] => (mode.value === 'value' ? [single] : mode.value === 'list' ? [list] : [from, to, by]);
  const show = (): void => {
    inputs.replaceChildren(...(mode.value === 'range' ? [from, h('span', { 'aria-hidden': 'true' }, 'to'), to, h('span', { 'aria-hidden': 'true' }, 'step'), by] : controls()));
    for (const c of controls()) c.setAttribute('aria-describedby', hintId);
  };
  mode.addEventListener('change', () => {
    show();
    onChange();
  });
  show();
  // The summary links to whichever input the mode shows first.
  const error = errors.field(`params.${name}`, name, id, controls);
  const labelled = h('div', { class: 'field param', role: 'group', 'aria-labelledby': `${id}-name` }, h('span', { class: 'label', id: `${id}-name` }, name), h('div', { class: 'param-row' }, mode, inputs), hint, error);

  const parse = (input: HTMLInputElement, what: string): number | string => {
    const text = input.value.trim();
    if (text === '') return `${what} is empty`;
    const n = Number(text);
    return Number.isFinite(n) ? n : `${what} must be a number`;
  };

  return {
    name,
    element: labelled,
    read() {
      if (mode.value === 'value') {
        const v = parse(single, 'the value');
        return typeof v === 'string' ? { error: v } : { value: v };
      }
      if (mode.value === 'list') {
        const parts = list.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
        if (parts.length === 0) return { error: 'give one or more numbers separated by commas' };
        const values = parts.map(Number);
        if (values.some((v) => !Number.isFinite(v))) return { error: 'the list must hold numbers separated by commas, like 5,10,20' };
        return { value: values };
      }
      const [f, t, s] = [parse(from, 'from'), parse(to, 'to'), parse(by, 'step')];
      for (const v of [f, t, s]) if (typeof v === 'string') return { error: v };
      if ((s as number) <= 0) return { error: 'step must be greater than 0' };
      if ((t as number) < (f as number)) return { error: 'to must not be less than from' };
      return { value: { from: f as number, to: t as number, step: s as number } };
    },
    count() {
      const r = this.read();
      if ('error' in r) return 1;
      if (Array.isArray(r.value)) return r.value.length;
      if (typeof r.value === 'object') return Math.floor((r.value.to - r.value.from) / r.value.step + 1e-9) + 1;
      return 1;
    },
    set(value) {
      if (Array.isArray(value)) {
        mode.value = 'list';
        list.value = value.join(',');
      } else if (typeof value === 'object') {
        mode.value = 'range';
        from.value = String(value.from);
        to.value = String(value.to);
        by.value = String(value.step);
      } else if (typeof value === 'number') {
        mode.value = 'value';
        single.value = String(value);
      }
      show();
    },
  };
}
