import type { RedisConnection } from '@conveyor/redis';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import { InstallationNotFoundError } from './errors/installation-not-found-error.js';
import {
  type InstallationId,
  installationIdsOf,
  isSlackId,
  type SlackWorkspace,
} from './slack-workspace.js';
import type { TokenCipher } from './token-cipher.js';

/** Options for {@link SlackInstallationStore}. */
export interface SlackInstallationStoreOptions {
  /** A connection of the process (the API's or worker's `admin` one). */
  connection: RedisConnection;
  /** The queue prefix: keys live in its hash slot (`{conveyor}` under Cluster). */
  prefix: string;
  /** Seals installations before they reach Redis. */
  cipher: TokenCipher;
  /**
   * Clock of `installedAt`, which decides whether an uninstall event predates a reinstall.
   * @defaultValue Date.now
   */
  now?: () => number;
  /**
   * How long an uninstalled workspace is remembered as such (so `SLACK_BOT_TOKEN` never stands
   * in for it): longer than any job of that workspace can still run (`MAX_DELAY_MS`, retries,
   * dead letters replayed within their 7 days). A reinstall ends it at once.
   * @defaultValue 30 days
   */
  uninstalledTtlMs?: number;
}

/** The bot token of the installation that serves a workspace. */
export interface BotAuthorization {
  installationId: InstallationId;
  token: string;
  botUserId?: string;
}

/** A workspace whose installation an uninstall event removed (and that was not reinstalled). */
export interface UninstalledWorkspace {
  installationId: InstallationId;
  /** When the uninstall event happened (ms). */
  uninstalledAt: number;
}

/**
 * What {@link SlackInstallationStore.removeUninstalled} did: `removed`; `absent` (nothing
 * stored; the workspace is marked uninstalled all the same); `reinstalled` (stored after the event, so the event is about the installation
 * before it); `other-bot` (the revoked bot tokens are not this installation's).
 */
export type UninstallOutcome = 'removed' | 'absent' | 'reinstalled' | 'other-bot';

/** Hash fields of one installation. Only `sealed` holds secrets, encrypted. */
const SEALED = 'sealed';
const INSTALLED_AT = 'installedAt';
const BOT_USER_ID = 'botUserId';
/** The only field of an uninstalled workspace's hash (its tombstone). */
const UNINSTALLED_AT = 'uninstalledAt';

/**
 * KEYS[1] installation. ARGV[1] the event's time (ms); ARGV[2] how long the tombstone lives (ms);
 * ARGV[3..] bot user ids whose tokens were revoked (none: any). Replaces the installation by a
 * tombstone unless it was stored after the event or belongs to another bot; in one step, so a
 * reinstall cannot slip between the check and the write.
 */
const REMOVE_UNINSTALLED = `
local installedAt = redis.call('HGET', KEYS[1], '${INSTALLED_AT}')
local outcome = 'removed'
if not installedAt then
  outcome = 'absent'
else
  if tonumber(installedAt) > tonumber(ARGV[1]) then return 'reinstalled' end
  if #ARGV > 2 then
    local botUserId = redis.call('HGET', KEYS[1], '${BOT_USER_ID}')
    local revoked = false
    for i = 3, #ARGV do
      if ARGV[i] == botUserId then revoked = true end
    end
    if not revoked then return 'other-bot' end
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${UNINSTALLED_AT}', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return outcome
`;

/** The id an installation is stored under: its organisation's for an org-wide install. */
function installationIdOf(installation: Installation): InstallationId {
  const id = installation.isEnterpriseInstall ? installation.enterprise?.id : installation.team?.id;
  if (!isSlackId(id)) {
    throw new RangeError(
      `a Slack installation needs a valid ${installation.isEnterpriseInstall ? 'enterprise' : 'team'} id`,
    );
  }
  return installation.isEnterpriseInstall ? `enterprise:${id}` : `team:${id}`;
}

function queryIdOf(query: InstallationQuery<boolean>): InstallationId {
  const id = query.isEnterpriseInstall ? query.enterpriseId : query.teamId;
  if (!isSlackId(id)) throw new InstallationNotFoundError('an installation without a valid id');
  return query.isEnterpriseInstall ? `enterprise:${id}` : `team:${id}`;
}

/**
 * Slack installations in Redis, one hash per workspace (`<prefix>:slack:installation:team:<id>`)
 * or, for an org-wide install, per organisation (`...:enterprise:<id>`), in the queue prefix's
 * hash slot. The installation (bot token, and whatever else Slack returned: user token, refresh
 * tokens, incoming webhook) is stored sealed with AES-256-GCM ({@link TokenCipher}); only the
 * install time and the bot's user id are kept in clear, for uninstall events.
 *
 * It is `@slack/oauth`'s `InstallationStore` (the API's install flow stores through it) and what
 * workers ask for a workspace's bot token. An uninstall event replaces the installation by a
 * tombstone (`uninstalledAt` alone) that expires after `uninstalledTtlMs`, so that no other
 * token (`SLACK_BOT_TOKEN`) stands in for a workspace that removed the app; keys grow with the
 * workspaces that have (or lately had) the app, not with traffic.
 */
export class SlackInstallationStore implements InstallationStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #cipher: TokenCipher;
  readonly #now: () => number;
  readonly #uninstalledTtlMs: number;

  constructor(options: SlackInstallationStoreOptions) {
    this.#connection = options.connection;
    this.#prefix = options.prefix;
    this.#cipher = options.cipher;
    this.#now = options.now ?? Date.now;
    this.#uninstalledTtlMs = options.uninstalledTtlMs ?? 30 * 24 * 3_600_000;
  }

  key(id: InstallationId): string {
    return `${this.#prefix}:slack:installation:${id}`;
  }

  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(
    installation: Installation<AuthVersion, boolean>,
  ): Promise<void> {
    const id = installationIdOf(installation as Installation);
    const key = this.key(id);
    await this.#connection
      .multi()
      .del(key)
      .hset(key, {
        [SEALED]: this.#cipher.seal(JSON.stringify(installation), id),
        [INSTALLED_AT]: String(this.#now()),
        ...(isSlackId(installation.bot?.userId) ? { [BOT_USER_ID]: installation.bot.userId } : {}),
      })
      .exec();
  }

  /** @throws InstallationNotFoundError when none is stored (as `@slack/oauth` expects) */
  async fetchInstallation(
    query: InstallationQuery<boolean>,
  ): Promise<Installation<'v1' | 'v2', boolean>> {
    const id = queryIdOf(query);
    const sealed = await this.#connection.hget(this.key(id), SEALED);
    if (sealed === null) throw new InstallationNotFoundError(id);
    return JSON.parse(this.#cipher.open(sealed, id)) as Installation<'v1' | 'v2', boolean>;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.#connection.del(this.key(queryIdOf(query)));
  }

  /**
   * The bot token that serves `workspace` (see `installationIdsOf` for the order); else, when an
   * uninstall event removed one of its installations, that uninstall; else undefined (never
   * installed). One round trip.
   * @throws TokenDecryptionError when a stored installation does not open with the configured keys
   */
  async findBotToken(
    workspace: SlackWorkspace,
  ): Promise<BotAuthorization | UninstalledWorkspace | undefined> {
    const ids = installationIdsOf(workspace);
    if (ids.length === 0) return undefined;
    const pipeline = this.#connection.pipeline();
    for (const id of ids) pipeline.hmget(this.key(id), SEALED, UNINSTALLED_AT);
    const results = (await pipeline.exec()) ?? [];
    let uninstalled: UninstalledWorkspace | undefined;
    for (const [index, id] of ids.entries()) {
      const [error, fields] = results[index] ?? [new Error('no reply'), null];
      if (error) throw error;
      const [sealed, uninstalledAt] = fields as [string | null, string | null];
      if (uninstalledAt !== null) {
        uninstalled ??= { installationId: id, uninstalledAt: Number(uninstalledAt) };
      }
      if (typeof sealed !== 'string') continue;
      const installation = JSON.parse(this.#cipher.open(sealed, id)) as Installation;
      const token = installation.bot?.token;
      if (!token) continue;
      return {
        installationId: id,
        token,
        ...(installation.bot?.userId ? { botUserId: installation.bot.userId } : {}),
      };
    }
    return uninstalled;
  }

  /**
   * Removes an installation after `app_uninstalled` or `tokens_revoked`, unless it was stored
   * after `eventTimeMs` (a reinstall overtook the event) or, with `botUserIds`, it belongs to
   * another bot; leaves the tombstone {@link findBotToken} reports as uninstalled.
   */
  async removeUninstalled(options: {
    installationId: InstallationId;
    eventTimeMs: number;
    botUserIds?: readonly string[];
  }): Promise<UninstallOutcome> {
    return (await this.#connection.eval(
      REMOVE_UNINSTALLED,
      1,
      this.key(options.installationId),
      String(options.eventTimeMs),
      String(this.#uninstalledTtlMs),
      ...(options.botUserIds ?? []),
    )) as UninstallOutcome;
  }
}
