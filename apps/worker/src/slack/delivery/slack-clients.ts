import { createHash } from 'node:crypto';
import {
  describeWorkspace,
  installationIdsOf,
  type SlackInstallationStore,
  type SlackWorkspace,
  TokenDecryptionError,
} from '@conveyor/slack';
import type { Logger } from '@conveyor/telemetry';
import type { WebClient } from '@slack/web-api';
import { SlackInstallationUnreadableError } from '../../errors/slack-installation-unreadable-error.js';
import { SlackNotInstalledError } from '../../errors/slack-not-installed-error.js';
import { SlackTokenMissingError } from '../../errors/slack-token-missing-error.js';
import { createSlackWebClient } from './slack-web-client.js';

/** Options for {@link SlackClients}. */
export interface SlackClientsOptions {
  /**
   * Installations stored by the API's install flow.
   * @defaultValue none (`SLACK_TOKEN_ENCRYPTION_KEY` unset): every job uses `fallbackToken`
   */
  installations?: SlackInstallationStore;
  /**
   * `SLACK_BOT_TOKEN`: the single-workspace shortcut, for jobs whose workspace has no
   * installation and never uninstalled the app.
   * @defaultValue none
   */
  fallbackToken?: string;
  /** Web API base URL. */
  apiUrl: string;
  /** Upper bound of one Slack HTTP call. */
  timeoutMs: number;
  logger: Logger;
  /**
   * Web API clients kept, least recently used dropped first.
   * @defaultValue 64
   */
  maxClients?: number;
}

/** A cached client and which token it was made with (a digest: the token stays in the client). */
interface CachedClient {
  fingerprint: string;
  client: WebClient;
}

const FALLBACK_ID = 'SLACK_BOT_TOKEN';

const fingerprintOf = (token: string) =>
  createHash('sha256').update(token).digest('base64url').slice(0, 22);

/**
 * Picks the Web API client of a job's workspace: the one home of "which token speaks for this
 * workspace". In order: the installation that serves the workspace (its own, or its
 * organisation's for an org-wide install; see `installationIdsOf`), else `SLACK_BOT_TOKEN` unless
 * the workspace uninstalled the app, else a permanent failure of that job alone
 * ({@link SlackNotInstalledError}, or {@link SlackTokenMissingError} when this worker reads no
 * installations).
 *
 * The installation is read from Redis for every job (one round trip), so an uninstall or a
 * reinstall is seen at once by every worker process; only the clients are cached, by workspace,
 * at most `maxClients`, least recently used dropped first. A client whose workspace has no
 * installation any more, or whose token changed, is dropped when next looked up.
 */
export class SlackClients {
  readonly #options: SlackClientsOptions;
  readonly #cache = new Map<string, CachedClient>();
  readonly #maxClients: number;

  constructor(options: SlackClientsOptions) {
    this.#options = options;
    this.#maxClients = options.maxClients ?? 64;
  }

  /** Cached clients (for tests and metrics). */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * The client of `workspace`'s bot token. `action` completes the failure's message ("the
   * worker cannot <action>").
   * @throws SlackNotInstalledError, SlackTokenMissingError, SlackInstallationUnreadableError
   */
  async forWorkspace(workspace: SlackWorkspace, action: string): Promise<WebClient> {
    const { installations, fallbackToken } = this.#options;
    if (installations) {
      let found: Awaited<ReturnType<SlackInstallationStore['findBotToken']>>;
      try {
        found = await installations.findBotToken(workspace);
      } catch (error) {
        if (!(error instanceof TokenDecryptionError)) throw error;
        throw new SlackInstallationUnreadableError(describeWorkspace(workspace), error.reason, {
          cause: error,
        });
      }
      if (found && 'token' in found) return this.#client(found.installationId, found.token);
      this.forget(workspace);
      // An uninstalled workspace said no: no other workspace's token may speak for it.
      if (found) throw new SlackNotInstalledError(describeWorkspace(workspace), action);
    }
    if (fallbackToken) return this.#client(FALLBACK_ID, fallbackToken);
    if (!installations) throw new SlackTokenMissingError(action);
    throw new SlackNotInstalledError(describeWorkspace(workspace), action);
  }

  /** Drops the cached clients of `workspace` (after an uninstall). */
  forget(workspace: SlackWorkspace): void {
    for (const id of installationIdsOf(workspace)) this.#cache.delete(id);
  }

  #client(id: string, token: string): WebClient {
    const fingerprint = fingerprintOf(token);
    const cached = this.#cache.get(id);
    this.#cache.delete(id);
    if (cached && cached.fingerprint === fingerprint) {
      this.#cache.set(id, cached);
      return cached.client;
    }
    const { apiUrl, timeoutMs, logger } = this.#options;
    const client = createSlackWebClient({ token, apiUrl, timeoutMs, logger });
    this.#cache.set(id, { fingerprint, client });
    if (this.#cache.size > this.#maxClients) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return client;
  }
}
