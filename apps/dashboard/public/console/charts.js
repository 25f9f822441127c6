// @ts-check
/**
 * The queue charts, drawn with uPlot (loaded by the page as a classic script from the dashboard's
 * own copy of the package, which sets the `uPlot` global).
 */

/** @typedef {import('./api.js').QueueSnapshot} QueueSnapshot */
/** @typedef {import('uplot')} UPlot */
/** @typedef {import('uplot').AlignedData} AlignedData */

/** @type {typeof import('uplot')} */
const uPlot = /** @type {any} */ (globalThis).uPlot;

const WIDTH = 520;
const HEIGHT = 160;

/**
 * Epoch seconds of each minute of a series.
 * @param {number} start epoch ms of the first minute
 * @param {number} length
 */
function minutes(start, length) {
  return Array.from({ length }, (_, index) => start / 1000 + index * 60);
}

/**
 * @param {QueueSnapshot} snapshot
 * @returns {AlignedData}
 */
function throughputData(snapshot) {
  const { completedPerMinute: completed, failedPerMinute: failed } = snapshot;
  return [minutes(completed.start, completed.values.length), completed.values, failed.values];
}

/**
 * @param {QueueSnapshot} snapshot
 * @returns {AlignedData}
 */
function latencyData(snapshot) {
  const { latency } = snapshot;
  return [minutes(latency.start, latency.mean.length), latency.mean, latency.max];
}

/**
 * A queue's two charts: completed and failed per minute, enqueue-to-start latency per minute.
 */
export class QueueCharts {
  /**
   * @param {HTMLElement} throughputTarget
   * @param {HTMLElement} latencyTarget
   * @param {QueueSnapshot} snapshot
   */
  constructor(throughputTarget, latencyTarget, snapshot) {
    /** @type {UPlot} */
    this.throughput = new uPlot(
      {
        title: 'Jobs per minute, last hour',
        width: WIDTH,
        height: HEIGHT,
        scales: { y: { range: (_u, _min, max) => [0, Math.max(max, 1)] } },
        series: [
          {},
          { label: 'completed', stroke: '#2f9e44', fill: 'rgba(47,158,68,0.12)', width: 2 },
          { label: 'failed', stroke: '#e03131', fill: 'rgba(224,49,49,0.12)', width: 2 },
        ],
        axes: [{}, { size: 48 }],
      },
      throughputData(snapshot),
      throughputTarget,
    );
    /** @type {UPlot} */
    this.latency = new uPlot(
      {
        title: 'Enqueue to start (ms), last hour',
        width: WIDTH,
        height: HEIGHT,
        scales: { y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, 10)] } },
        series: [
          {},
          // Points too: a minute with a sample between two without shows as a dot.
          { label: 'mean', stroke: '#1c7ed6', width: 2, points: { show: true, size: 5 } },
          { label: 'max', stroke: '#f08c00', width: 1, dash: [4, 4], points: { show: true } },
        ],
        axes: [{}, { size: 56 }],
      },
      latencyData(snapshot),
      latencyTarget,
    );
  }

  /** @param {QueueSnapshot} snapshot */
  update(snapshot) {
    this.throughput.setData(throughputData(snapshot));
    this.latency.setData(latencyData(snapshot));
  }
}
