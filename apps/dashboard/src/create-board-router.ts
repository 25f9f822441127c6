import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Router } from 'express';
import type { BoardQueue } from './board-queue.js';

/** Options for {@link createBoardRouter}. */
export interface CreateBoardRouterOptions {
  queues: readonly BoardQueue[];
  /** Path the router is mounted at, so the UI builds its links and API calls under it. */
  basePath: string;
  /** Hide and refuse mutating actions (retry, promote, clean, pause, add, …). */
  readOnly: boolean;
}

/** Title shown in the browser tab and the board's header. */
export const BOARD_TITLE = 'Conveyor';

/**
 * Bull Board's UI and JSON API over the given queues, as an Express router. In read-only mode
 * every queue is registered read-only, which hides the mutating buttons and makes Bull Board's API
 * answer 405 to them.
 */
export function createBoardRouter(options: CreateBoardRouterOptions): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    queues: options.queues.map(
      ({ queue, displayName, description }) =>
        new BullMQAdapter(queue, {
          readOnlyMode: options.readOnly,
          allowRetries: !options.readOnly,
          displayName,
          description,
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: BOARD_TITLE, hideDocsLink: true } },
  });
  const router = serverAdapter.getRouter();
  router.disable('x-powered-by');
  return router;
}
