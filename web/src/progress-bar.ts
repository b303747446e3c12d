/** A job's progress as an ARIA progressbar (0-100) with a text alternative (WAI-ARIA Authoring Practices). */
import { h } from './dom.ts';
import type { JobListItem } from '../../client/types.ts';
import { duration } from './format.ts';

export function progressBar(label: string): { element: HTMLElement; update(job: Pick<JobListItem, 'status' | 'progress' | 'message' | 'queuePosition' | 'etaSeconds'>): void } {
  const fill = h('div', { class: 'fill' });
  const text = h('span', { class: 'bar-text' });
  const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 }, fill);
  const element = h('div', { class: 'progress' }, bar, text);
  return {
    element,
    update(job) {
      const value = job.status === 'succeeded' ? 100 : Math.max(0, Math.min(100, Math.round(job.progress * 100)));
      bar.setAttribute('aria-valuenow', String(value));
      const detail =
        job.status === 'queued'
          ? `queued${job.queuePosition !== undefined ? `, ${job.queuePosition} ahead` : ''}${job.etaSeconds !== undefined ? `, about ${duration(job.etaSeconds)}` : ''}`
          : job.status === 'running'
            ? `running${job.message ? `: ${job.message}` : ''}`
            : job.status;
      bar.setAttribute('aria-valuetext', `${value} %, ${detail}`);
      bar.dataset.status = job.status;
      fill.style.width = `${value}%`;
      text.textContent = job.status === 'queued' ? detail : `${value} %`;
    },
  };
}
