/**
 * One polite live region for the whole page (WAI-ARIA live regions): completions and failures are announced once,
 * whichever view caused them. The region exists before any text goes in, as screen readers require.
 */
let region: HTMLElement | undefined;

export function mountLiveRegion(parent: HTMLElement): void {
  region = document.createElement('div');
  region.setAttribute('role', 'status');
  region.setAttribute('aria-live', 'polite');
  region.className = 'visually-hidden';
  region.id = 'announcer';
  parent.append(region);
}

export function announce(text: string): void {
  if (region === undefined) return;
  // Clearing first makes a repeated sentence be read again.
  region.textContent = '';
  window.setTimeout(() => {
    if (region !== undefined) region.textContent = text;
  }, 50);
}
