import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { IMiscLink } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Express, type Router } from 'express';
import type { BoardQueue } from './board-queue.js';
import { DeadLetterBoardAdapter } from './dead-letter-board-adapter.js';
import { localFontLinks } from './local-font-links.js';
import { packageDirectory } from './package-directory.js';

/** Options for {@link createBoardRouter}. */
export interface CreateBoardRouterOptions {
  queues: readonly BoardQueue[];
  /** Path the router is mounted at, so the UI builds its links and API calls under it. */
  basePath: string;
  /** Hide and refuse mutating actions (retry, promote, clean, pause, add, …). */
  readOnly: boolean;
  /**
   * Title shown in the browser tab and the board's header.
   * @defaultValue {@link BOARD_TITLE}
   */
  title?: string;
  /**
   * Links in the board's header menu (to the console and the other board).
   * @defaultValue none
   */
  links?: IMiscLink[];
}

/** Title shown in the browser tab and the board's header. */
export const BOARD_TITLE = 'Conveyor';

/** The typefaces Bull Board's page asks Google Fonts for, served from the dashboard instead. */
const FONT_PACKAGES = ['@fontsource/ibm-plex-sans', '@fontsource/ibm-plex-mono'] as const;

type RenderFile = (
  path: string,
  options: object,
  callback: (error: Error | null, html?: string) => void,
) => void;

/**
 * Bull Board's UI and JSON API over the given queues, as an Express router. In read-only mode
 * every queue is registered read-only, which hides the mutating buttons and makes Bull Board's API
 * answer 405 to them. A dead-letter queue gets {@link DeadLetterBoardAdapter} and no retry (its
 * entries are replayed from the console, with the catalog's job options).
 *
 * The page loads nothing from outside the dashboard: its Google Fonts link is replaced by the
 * same typefaces served from `fonts/` (fontsource packages), so the board works on a closed
 * network and the Content Security Policy can stay `'self'`.
 */
export function createBoardRouter(options: CreateBoardRouterOptions): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    queues: options.queues.map(({ queue, displayName, description, deadLettersOf }) => {
      const adapterOptions = {
        readOnlyMode: options.readOnly,
        allowRetries: !options.readOnly && deadLettersOf === undefined,
        displayName,
        description,
      };
      return deadLettersOf === undefined
        ? new BullMQAdapter(queue, adapterOptions)
        : new DeadLetterBoardAdapter(queue, adapterOptions);
    }),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: options.title ?? BOARD_TITLE,
        hideDocsLink: true,
        miscLinks: options.links ?? [],
      },
    },
  });
  const router = serverAdapter.getRouter() as Express;
  router.disable('x-powered-by');
  // Wraps the view engine Bull Board registered, to rewrite the page it renders.
  const render = (router as unknown as { engines: Record<string, RenderFile> }).engines['.ejs'];
  if (!render) throw new Error('Bull Board registered no ejs view engine');
  router.engine('ejs', (path, renderOptions, callback) =>
    render(path, renderOptions, (error, html) =>
      callback(error, html === undefined ? html : localFontLinks(html)),
    ),
  );
  const fonts = express.Router();
  for (const name of FONT_PACKAGES) {
    fonts.use(
      `/${name.split('/')[1]}`,
      express.static(packageDirectory(name), { index: false, maxAge: '7d', immutable: true }),
    );
  }
  // Before Bull Board's own routes would answer the path with its page.
  const wrapper = express.Router();
  wrapper.use('/fonts', fonts);
  wrapper.use(router);
  return wrapper;
}
