/**
 * Errors beside their fields plus an error summary at the top that links to them (GOV.UK Design System pattern).
 * API paths (`symbol`, `params.fast`, `params.fast.from`) are matched to the field whose path is their longest
 * prefix; an error no field owns is listed in the summary only.
 */
import { h, replace } from './dom.ts';

export interface FieldIssue {
  path: string;
  message: string;
}

interface Slot {
  path: string;
  label: string;
  /** id for the error message element */
  controlId: string;
  controls: () => HTMLElement[];
  error: HTMLElement;
}

export class FormErrors {
  readonly summary: HTMLElement;
  private readonly slots: Slot[] = [];

  constructor() {
    this.summary = h('div', { class: 'error-summary', tabindex: -1, hidden: true, 'aria-labelledby': 'error-summary-title' });
  }

  /** Registers a field; returns the element to put beside it (empty until an error is shown). */
  field(path: string, label: string, controlId: string, controls: () => HTMLElement[]): HTMLElement {
    const error = h('p', { class: 'field-error', id: `${controlId}-error`, hidden: true });
    this.slots.push({ path, label, controlId, controls, error });
    return error;
  }

  /** Forgets fields under a path (the strategy's parameters when another strategy is chosen). */
  dropFields(prefix: string): void {
    for (let i = this.slots.length - 1; i >= 0; i--) if (this.slots[i].path.startsWith(prefix)) this.slots.splice(i, 1);
  }

  clear(): void {
    this.summary.hidden = true;
    replace(this.summary);
    for (const slot of this.slots) this.mark(slot, undefined);
  }

  show(issues: FieldIssue[], title = 'There is a problem'): void {
    this.clear();
    const items: HTMLElement[] = [];
    const shown = new Map<Slot, string[]>();
    for (const issue of issues) {
      const slot = this.slotFor(issue.path);
      if (slot !== undefined) shown.set(slot, [...(shown.get(slot) ?? []), issue.message]);
      const text = slot !== undefined ? `${slot.label}: ${issue.message}` : issue.path ? `${issue.path}: ${issue.message}` : issue.message;
      items.push(
        h(
          'li',
          {},
          slot !== undefined
            ? h('a', {
                href: `#${slot.controls()[0]?.id ?? slot.controlId}`,
                onclick: (event: Event) => {
                  // In-page links would change the hash the router reads.
                  event.preventDefault();
                  slot.controls()[0]?.focus();
                },
              }, text)
            : text,
        ),
      );
    }
    for (const [slot, messages] of shown) this.mark(slot, messages.join('; '));
    replace(this.summary, h('h2', { id: 'error-summary-title' }, title), h('ul', {}, items));
    this.summary.hidden = false;
    this.summary.setAttribute('role', 'alert');
    this.summary.focus();
  }

  private slotFor(path: string): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (path === slot.path || path.startsWith(`${slot.path}.`) || path.startsWith(`${slot.path}[`)) {
        if (best === undefined || slot.path.length > best.path.length) best = slot;
      }
    }
    return best;
  }

  private mark(slot: Slot, message: string | undefined): void {
    slot.error.hidden = message === undefined;
    replace(slot.error, message === undefined ? null : [h('span', { class: 'visually-hidden' }, 'Error: '), message]);
    for (const control of slot.controls()) {
      const described = (control.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id !== '' && id !== slot.error.id);
      if (message === undefined) {
        control.removeAttribute('aria-invalid');
      } else {
        control.setAttribute('aria-invalid', 'true');
        described.push(slot.error.id);
      }
      if (described.length > 0) control.setAttribute('aria-describedby', described.join(' '));
      else control.removeAttribute('aria-describedby');
    }
    slot.error.closest('.field')?.classList.toggle('has-error', message !== undefined);
  }
}
