// @ts-check
/**
 * Conveyor's console page: queue counts and charts kept live by the server's event stream, dead
 * letters with replay, running and waiting jobs with cancel, and search. Plain DOM and uPlot: no
 * framework, no build step. In read-only mode no replay or cancel control is drawn (and the
 * server refuses them anyway).
 */
import * as api from './api.js';
import { QueueCharts } from './charts.js';
import { byId, confirmAction, formatTime, h } from './dom.js';

/** @typedef {import('./api.js').QueueSnapshot} QueueSnapshot */
/** @typedef {import('./api.js').DeadLetter} DeadLetter */
/** @typedef {import('./api.js').FoundJob} FoundJob */
/** @typedef {import('./api.js').ReplayResult} ReplayResult */

/** Job state changes remembered for jobs the page may yet show (a replay answered late). */
const REMEMBERED_JOB_STATES = 2000;

const overview = await api.overview();
const { readOnly, links } = overview;
/** @type {Map<string, { counts: HTMLElement, charts?: QueueCharts }>} */
const cards = new Map();
/** @type {Map<string, QueueSnapshot>} */
const snapshots = new Map();
/** Latest state seen per `queue/id`, from the event stream. */
/** @type {Map<string, string>} */
const jobStates = new Map();

const jobKey = (/** @type {string} */ queue, /** @type {string} */ id) => `${queue}/${id}`;
const plural = (/** @type {number} */ count, /** @type {string} */ noun) =>
  `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * Where Bull Board shows a job, or a dead letter on the dead-letter board.
 * @param {string} queue catalog queue
 * @param {string} id
 * @param {boolean} deadLetter
 */
function boardLink(queue, id, deadLetter) {
  const board = deadLetter ? links.deadLetterBoard : links.board;
  const name = deadLetter ? `${queue}-dead-letters` : queue;
  return `${board}queue/${encodeURIComponent(name)}/${encodeURIComponent(id)}`;
}

/**
 * An icon button whose accessible name says what it does to what.
 * @param {string} icon
 * @param {string} label
 * @param {() => void} onclick
 */
function iconButton(icon, label, onclick) {
  return h(
    'button',
    { type: 'button', class: 'icon', 'aria-label': label, title: label, onclick },
    h('span', { 'aria-hidden': 'true' }, icon),
  );
}

// ---- header -------------------------------------------------------------------------------

byId('link-board', HTMLAnchorElement).href = links.board;
byId('link-dead-letter-board', HTMLAnchorElement).href = links.deadLetterBoard;
byId('read-only', HTMLElement).hidden = !readOnly;
document.body.classList.toggle('read-only', readOnly);

// ---- queues -------------------------------------------------------------------------------

const COUNT_LABELS = /** @type {const} */ ([
  ['waiting', 'waiting'],
  ['delayed', 'delayed'],
  ['active', 'running'],
  ['completed', 'completed'],
  ['failed', 'failed'],
  ['deadLetters', 'dead letters'],
]);

/** @param {QueueSnapshot} snapshot */
function renderCounts(snapshot) {
  const counts = {
    ...snapshot.counts,
    waiting: snapshot.counts.waiting + snapshot.counts.prioritized,
  };
  return COUNT_LABELS.map(([key, label]) =>
    h(
      'div',
      { class: 'count' },
      h('dt', {}, label),
      h('dd', { 'data-count': key }, String(counts[key])),
    ),
  );
}

/** @param {QueueSnapshot} snapshot */
function showSnapshot(snapshot) {
  const previous = snapshots.get(snapshot.queue);
  snapshots.set(snapshot.queue, snapshot);
  let card = cards.get(snapshot.queue);
  if (!card) {
    const counts = h('dl', { class: 'counts' });
    const throughput = h('div', { class: 'chart' });
    const latency = h('div', { class: 'chart' });
    const element = h(
      'article',
      {
        class: 'queue',
        'data-queue': snapshot.queue,
        'aria-labelledby': `queue-${snapshot.queue}`,
      },
      h(
        'header',
        {},
        h('h3', { id: `queue-${snapshot.queue}` }, snapshot.queue),
        h(
          'a',
          { href: `${links.board}queue/${encodeURIComponent(snapshot.queue)}` },
          'open in Bull Board',
        ),
      ),
      counts,
      h('div', { class: 'charts' }, throughput, latency),
    );
    byId('queues', HTMLElement).append(element);
    card = { counts };
    cards.set(snapshot.queue, card);
    card.charts = new QueueCharts(throughput, latency, snapshot);
  } else {
    card.charts?.update(snapshot);
  }
  card.counts.replaceChildren(...renderCounts(snapshot));
  card.counts.toggleAttribute('data-paused', snapshot.paused);
  if (previous && snapshot.queue === deadLetterQueue.value) {
    if (previous.counts.deadLetters !== snapshot.counts.deadLetters) void loadDeadLetters();
  }
  if (previous && snapshot.queue === tenantsQueue.value) void loadTenants();
  if (previous && snapshot.queue === jobsQueue.value) {
    const key = /** @type {keyof QueueSnapshot['counts']} */ (jobsState.value);
    if (previous.counts[key] !== snapshot.counts[key] || jobsState.value === 'active')
      void loadJobs();
  }
}

// ---- activity: what this page replayed and cancelled ---------------------------------------

/**
 * Adds a line that follows job `id` of `queue` to its end.
 * @param {string} text
 * @param {string} queue
 * @param {string} id
 * @param {string} state
 */
function addActivity(text, queue, id, state) {
  const known = jobStates.get(jobKey(queue, id));
  const stateElement = h('span', { class: 'state', 'data-job-state': '' }, known ?? state);
  byId('activity', HTMLUListElement).prepend(
    h(
      'li',
      { 'data-job': jobKey(queue, id) },
      `${text} `,
      h('a', { href: boardLink(queue, id, false) }, `${queue} job ${id}`),
      ': ',
      stateElement,
    ),
  );
}

/**
 * @param {string} queue
 * @param {string} id
 * @param {string} state
 */
function jobChanged(queue, id, state) {
  const key = jobKey(queue, id);
  jobStates.delete(key);
  jobStates.set(key, state);
  if (jobStates.size > REMEMBERED_JOB_STATES) {
    const oldest = jobStates.keys().next().value;
    if (oldest !== undefined) jobStates.delete(oldest);
  }
  for (const item of document.querySelectorAll(`#activity li[data-job="${CSS.escape(key)}"]`)) {
    const element = item.querySelector('[data-job-state]');
    if (element) element.textContent = state;
  }
}

/**
 * Reports a replay's outcome and follows the new jobs.
 * @param {string} queue
 * @param {ReplayResult} result
 * @param {number} asked
 * @param {HTMLElement} status
 */
function reportReplay(queue, result, asked, status) {
  const failed = result.failed.length
    ? `; ${plural(result.failed.length, 'failure')}: ${result.failed.map((f) => f.id).join(', ')}`
    : '';
  status.textContent = `Replayed ${result.replayed.length} of ${plural(asked, 'dead letter')}${failed}.`;
  for (const { id, jobId } of result.replayed) {
    addActivity(`Replayed dead letter ${id} as`, queue, jobId, 'waiting');
  }
}

// ---- dead letters -------------------------------------------------------------------------

const deadLetterQueue = byId('dead-letter-queue', HTMLSelectElement);
const deadLetterStatus = byId('dead-letter-status', HTMLElement);
const deadLetterRows = /** @type {HTMLTableSectionElement} */ (
  byId('dead-letters', HTMLTableElement).tBodies[0]
);
/** @type {Set<string>} */
const selected = new Set();
const replaySelected = h(
  'button',
  {
    type: 'button',
    class: 'primary',
    disabled: true,
    onclick: () => void replayDeadLetters([...selected]),
  },
  'Replay selected',
);

/** @param {string[]} ids */
async function replayDeadLetters(ids) {
  const queue = deadLetterQueue.value;
  if (ids.length === 0) return;
  const ok = await confirmAction(
    `Replay ${plural(ids.length, 'dead letter')} onto ${queue}? Each becomes a new job with the catalog's options.`,
    `Replay ${ids.length}`,
  );
  if (!ok) return;
  try {
    const result = await api.replay(queue, ids);
    reportReplay(queue, result, ids.length, deadLetterStatus);
  } catch (error) {
    deadLetterStatus.textContent = `Replay failed: ${/** @type {Error} */ (error).message}`;
  }
  selected.clear();
  await loadDeadLetters();
}

/** @param {DeadLetter} letter */
function deadLetterRow(letter) {
  const checkbox = readOnly
    ? null
    : h('input', {
        type: 'checkbox',
        'aria-label': `Select dead letter ${letter.id}`,
        checked: selected.has(letter.id),
        onchange: (/** @type {Event} */ event) => {
          const box = /** @type {HTMLInputElement} */ (event.target);
          if (box.checked) selected.add(letter.id);
          else selected.delete(letter.id);
          replaySelected.disabled = selected.size === 0;
          replaySelected.textContent = selected.size
            ? `Replay selected (${selected.size})`
            : 'Replay selected';
        },
      });
  return h(
    'tr',
    { 'data-dead-letter': letter.id },
    readOnly ? null : h('td', { class: 'select-column' }, checkbox),
    h('td', {}, h('a', { href: boardLink(letter.queue, letter.id, true) }, letter.id)),
    h('td', {}, `${letter.name} `, h('span', { class: 'muted' }, `#${letter.jobId}`)),
    h('td', {}, letter.reason ?? 'failed', letter.unrecoverable ? ' (unrecoverable)' : ''),
    h('td', { class: 'reason' }, letter.failedReason),
    h('td', { class: 'number' }, String(letter.attemptsMade)),
    h('td', {}, formatTime(letter.failedAt)),
    h(
      'td',
      { class: 'actions' },
      readOnly
        ? null
        : iconButton(
            '↻',
            `Replay dead letter ${letter.id}`,
            () => void replayDeadLetters([letter.id]),
          ),
    ),
  );
}

let deadLettersLoading = Promise.resolve();
function loadDeadLetters() {
  deadLettersLoading = deadLettersLoading.then(async () => {
    const queue = deadLetterQueue.value;
    try {
      const { total, items } = await api.deadLetters(queue);
      for (const id of selected) if (!items.some((letter) => letter.id === id)) selected.delete(id);
      deadLetterRows.replaceChildren(...items.map(deadLetterRow));
      replaySelected.disabled = selected.size === 0;
      deadLetterRows.parentElement?.setAttribute('data-total', String(total));
      if (total === 0)
        deadLetterRows.append(
          h('tr', {}, h('td', { colspan: 8, class: 'muted' }, `No dead letters in ${queue}.`)),
        );
      else if (total > items.length)
        deadLetterRows.append(
          h(
            'tr',
            {},
            h(
              'td',
              { colspan: 8, class: 'muted' },
              `Newest ${items.length} of ${total}; the rest are on the dead-letter board.`,
            ),
          ),
        );
    } catch (error) {
      deadLetterStatus.textContent = `Could not list dead letters: ${/** @type {Error} */ (error).message}`;
    }
  });
  return deadLettersLoading;
}

// ---- running and waiting jobs -------------------------------------------------------------

const jobsQueue = byId('jobs-queue', HTMLSelectElement);
const jobsState = byId('jobs-state', HTMLSelectElement);
const jobsStatus = byId('jobs-status', HTMLElement);
const jobRows = /** @type {HTMLTableSectionElement} */ (byId('jobs', HTMLTableElement).tBodies[0]);

/**
 * @param {string} queue
 * @param {string} id
 * @param {HTMLElement} status
 */
async function cancelJob(queue, id, status) {
  const ok = await confirmAction(
    `Cancel job ${id} of ${queue}? A running job is stopped where it runs.`,
    'Cancel job',
  );
  if (!ok) return;
  try {
    const result = await api.cancel(queue, id);
    status.textContent =
      result.state === 'cancelled'
        ? `Cancelled job ${id}.`
        : `Job ${id} is running: its worker was told to stop it.`;
    addActivity('Cancelled', queue, id, result.state === 'cancelled' ? 'cancelled' : 'cancelling');
  } catch (error) {
    status.textContent = `Cancel failed: ${/** @type {Error} */ (error).message}`;
  }
  await loadJobs();
}

let jobsLoading = Promise.resolve();
function loadJobs() {
  jobsLoading = jobsLoading.then(async () => {
    const queue = jobsQueue.value;
    try {
      const { jobs } = await api.jobs(queue, jobsState.value);
      jobRows.replaceChildren(
        ...jobs.map((job) =>
          h(
            'tr',
            { 'data-job-id': job.id },
            h('td', {}, h('a', { href: boardLink(queue, job.id, false) }, job.id)),
            h('td', {}, job.name),
            h('td', {}, formatTime(job.createdAt)),
            h('td', {}, formatTime(job.processedOn)),
            h('td', { class: 'number' }, String(job.attemptsMade)),
            h(
              'td',
              { class: 'actions' },
              readOnly
                ? null
                : iconButton(
                    '✕',
                    `Cancel job ${job.id}`,
                    () => void cancelJob(queue, job.id, jobsStatus),
                  ),
            ),
          ),
        ),
      );
      if (jobs.length === 0)
        jobRows.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'None.')));
    } catch (error) {
      jobsStatus.textContent = `Could not list jobs: ${/** @type {Error} */ (error).message}`;
    }
  });
  return jobsLoading;
}

// ---- search -------------------------------------------------------------------------------

const searchForm = byId('search-form', HTMLFormElement);
const searchStatus = byId('search-status', HTMLElement);
const searchActions = byId('search-actions', HTMLElement);
const searchTable = byId('search-results', HTMLTableElement);
const searchRows = /** @type {HTMLTableSectionElement} */ (searchTable.tBodies[0]);
byId('search-keys', HTMLDataListElement).replaceChildren(
  ...overview.searchKeys.map((key) => h('option', { value: key })),
);

/** @param {FoundJob} job */
function searchRow(job) {
  const cancellable =
    !job.deadLetter && ['waiting', 'active', 'delayed', 'prioritized'].includes(job.state);
  /** @type {HTMLElement|null} */
  let action = null;
  if (!readOnly && job.deadLetter) {
    action = iconButton('↻', `Replay dead letter ${job.id}`, async () => {
      if (!(await confirmAction(`Replay dead letter ${job.id} onto ${job.queue}?`, 'Replay 1')))
        return;
      try {
        reportReplay(job.queue, await api.replay(job.queue, [job.id]), 1, searchStatus);
      } catch (error) {
        searchStatus.textContent = `Replay failed: ${/** @type {Error} */ (error).message}`;
      }
    });
  } else if (!readOnly && cancellable) {
    action = iconButton(
      '✕',
      `Cancel job ${job.id}`,
      () => void cancelJob(job.queue, job.id, searchStatus),
    );
  }
  return h(
    'tr',
    { 'data-result': jobKey(job.queue, job.id) },
    h('td', {}, job.queue),
    h('td', {}, h('a', { href: boardLink(job.queue, job.id, job.deadLetter) }, job.id)),
    h('td', {}, job.name),
    h('td', {}, job.deadLetter ? 'dead letter' : job.state),
    h('td', {}, job.tenant ?? ''),
    h('td', {}, formatTime(job.createdAt)),
    h('td', { class: 'reason' }, job.failedReason ?? ''),
    h('td', { class: 'actions' }, action),
  );
}

searchForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(searchForm);
  const key = String(form.get('key') ?? '').trim();
  const value = String(form.get('value') ?? '').trim();
  searchActions.replaceChildren();
  try {
    const { jobs, next } = await api.search(key, value);
    searchRows.replaceChildren(...jobs.map(searchRow));
    searchTable.hidden = jobs.length === 0;
    searchStatus.textContent = `${plural(jobs.length, 'job')}${next ? ' (first page)' : ''} with ${key} = ${value}.`;
    const letters = jobs.filter((job) => job.deadLetter).length;
    if (!readOnly && letters > 0) {
      searchActions.append(
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            onclick: async () => {
              const ok = await confirmAction(
                `Replay every dead letter with ${key} = ${value}?`,
                'Replay all',
              );
              if (!ok) return;
              try {
                const result = await api.replaySearch(key, value);
                searchStatus.textContent = `Replayed ${result.replayed.length} of ${plural(result.replayed.length + result.failed.length, 'dead letter')} that match.`;
                for (const entry of result.replayed) {
                  addActivity(
                    `Replayed dead letter ${entry.id} as`,
                    entry.queue,
                    entry.jobId,
                    'waiting',
                  );
                }
              } catch (error) {
                searchStatus.textContent = `Replay failed: ${/** @type {Error} */ (error).message}`;
              }
            },
          },
          `Replay all dead letters that match (${letters} shown)`,
        ),
      );
    }
  } catch (error) {
    searchTable.hidden = true;
    searchStatus.textContent = `Search failed: ${/** @type {Error} */ (error).message}`;
  }
});

// ---- tenants ------------------------------------------------------------------------------

const tenantsQueue = byId('tenants-queue', HTMLSelectElement);
const tenantsStatus = byId('tenants-status', HTMLElement);
const tenantRows = /** @type {HTMLTableSectionElement} */ (
  byId('tenants', HTMLTableElement).tBodies[0]
);

let tenantsLoading = Promise.resolve();
function loadTenants() {
  if (!overview.features.tenants) return tenantsLoading;
  tenantsLoading = tenantsLoading.then(async () => {
    const queue = tenantsQueue.value;
    try {
      const { tenants, next } = await api.tenants(queue);
      tenantRows.replaceChildren(
        ...tenants.map((tenant) =>
          h(
            'tr',
            { 'data-tenant': tenant.tenant },
            h('td', {}, tenant.tenant),
            h('td', { class: 'number' }, String(tenant.waiting)),
            h('td', { class: 'number' }, String(tenant.active)),
            h('td', {}, tenant.limitedUntil ? formatTime(tenant.limitedUntil) : ''),
          ),
        ),
      );
      if (tenants.length === 0) {
        tenantRows.append(
          h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No tenant has work here.')),
        );
      }
      tenantsStatus.textContent = next ? `The ${tenants.length} largest backlogs.` : '';
    } catch (error) {
      tenantsStatus.textContent = `Could not list tenants: ${/** @type {Error} */ (error).message}`;
    }
  });
  return tenantsLoading;
}

// ---- start --------------------------------------------------------------------------------

byId('search-section', HTMLElement).hidden = !overview.features.search;
byId('tenants-section', HTMLElement).hidden = !overview.features.tenants;
for (const select of [deadLetterQueue, jobsQueue, tenantsQueue]) {
  select.replaceChildren(
    ...overview.queues.map(({ queue }) => h('option', { value: queue }, queue)),
  );
}
// The dead letters shown first are those of the first queue that has any.
const withDeadLetters = overview.queues.find((snapshot) => snapshot.counts.deadLetters > 0);
if (withDeadLetters) deadLetterQueue.value = withDeadLetters.queue;
if (!readOnly) byId('dead-letter-actions', HTMLElement).append(replaySelected);
else byId('dead-letters', HTMLTableElement).querySelector('th.select-column')?.remove();
deadLetterQueue.addEventListener('change', () => {
  selected.clear();
  void loadDeadLetters();
});
jobsQueue.addEventListener('change', () => void loadJobs());
tenantsQueue.addEventListener('change', () => void loadTenants());
jobsState.addEventListener('change', () => void loadJobs());
for (const snapshot of overview.queues) showSnapshot(snapshot);
void loadDeadLetters();
void loadJobs();
void loadTenants();

const live = byId('live', HTMLElement);
const stream = new EventSource('api/events');
stream.addEventListener('open', () => {
  live.textContent = 'live';
  live.dataset.state = 'open';
});
stream.addEventListener('error', () => {
  live.textContent = 'reconnecting…';
  live.dataset.state = 'closed';
});
stream.addEventListener('snapshot', (event) => {
  showSnapshot(JSON.parse(/** @type {MessageEvent} */ (event).data).snapshot);
});
stream.addEventListener('job', (event) => {
  const { queue, id, state } = JSON.parse(/** @type {MessageEvent} */ (event).data);
  jobChanged(queue, id, state);
});
