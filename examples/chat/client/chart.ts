// The panel's live chart (uPlot): accepted vs refused decisions per second, refusals split by
// attack class, over the last minutes. The points are the server's samples of the same counters
// `/metrics` serves, so the chart and an operator's Prometheus graph show one story.
import uPlot from 'uplot';
import type { PanelHistory } from '../shared/protocol.js';
import { byId } from './dom.js';

const SERIES: [keyof PanelHistory['refused'], string, string][] = [
  ['replay', 'replays', '#ff6b6b'],
  ['forgery', 'forgeries', '#e64980'],
  ['rateLimit', 'rate limits', '#ffb454'],
  ['access', 'access denied', '#be4bdb'],
  ['credential', 'credentials', '#f59f00'],
  ['origin', 'origins', '#74c0fc'],
  ['size', 'oversized', '#fab005'],
  ['other', 'other', '#868e96'],
];

let plot: uPlot | undefined;

function data(h: PanelHistory): uPlot.AlignedData {
  return [h.time.slice(), h.accepted.slice(), ...SERIES.map(([k]) => h.refused[k].slice())];
}

export function renderChart(h: PanelHistory): void {
  const box = byId('panel-chart');
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  // For tests and screen readers: what the chart shows, in numbers.
  box.setAttribute('data-accepted', String(sum(h.accepted)));
  box.setAttribute('data-refused', String(SERIES.reduce((n, [k]) => n + sum(h.refused[k]), 0)));
  box.setAttribute('data-points', String(h.time.length));
  if (plot !== undefined) {
    plot.setData(data(h));
    return;
  }
  plot = new uPlot(
    {
      width: Math.max(240, box.clientWidth || 320),
      height: 170,
      cursor: { show: false },
      legend: { show: true },
      // Refusals on their own scale (right): a handful of forgeries must not vanish under the chat's traffic.
      scales: { refused: { auto: true } },
      axes: [{ stroke: '#8b95a5' }, { stroke: '#51cf66', size: 36 }, { scale: 'refused', side: 1, stroke: '#ff6b6b', size: 36, grid: { show: false } }],
      series: [
        {},
        { label: 'accepted', stroke: '#51cf66', width: 1.5 },
        ...SERIES.map(([, label, stroke]) => ({ label, stroke, width: 1.5, scale: 'refused' })),
      ],
    },
    data(h),
    box,
  );
}
