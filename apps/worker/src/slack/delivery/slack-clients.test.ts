import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { SlackInstallationStore, TokenCipher } from '@conveyor/slack';
import { createLogger } from '@conveyor/telemetry';
import { waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SlackInstallationUnreadableError } from '../../errors/slack-installation-unreadable-error.js';
import { SlackNotInstalledError } from '../../errors/slack-not-installed-error.js';
import { SlackTokenMissingError } from '../../errors/slack-token-missing-error.js';
import { SlackClients } from './slack-clients.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const team = (teamId: string) => ({ teamId, isEnterpriseInstall: false });
type Installation = Parameters<SlackInstallationStore['storeInstallation']>[0];
const install = (teamId: string, token: string) =>
  ({
    team: { id: teamId },
    user: { id: 'U1' },
    bot: { id: 'B1', userId: `U${teamId}`, token, scopes: [] },
    isEnterpriseInstall: false,
    authVersion: 'v2',
  }) as unknown as Installation;

describe('SlackClients', () => {
  let redis: RedisConnection;
  let installations: SlackInstallationStore;
  const options = { apiUrl: 'http://127.0.0.1:9/api/', timeoutMs: 1000, logger };

  beforeAll(async () => {
    const config = parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: inject('redisUrl') });
    redis = createRedisConnection(config.redis, 'admin');
    await waitFor(() => redis.status === 'ready', { description: 'Redis' });
    installations = new SlackInstallationStore({
      connection: redis,
      prefix: `t${randomUUID().slice(0, 8)}`,
      cipher: new TokenCipher([{ version: 1, key: randomBytes(32) }]),
    });
  });
  afterAll(() => closeRedisConnection(redis));

  it("uses the workspace's installation first, then SLACK_BOT_TOKEN", async () => {
    await installations.storeInstallation(install('TA', 'xoxb-a'));
    const clients = new SlackClients({ ...options, installations, fallbackToken: 'xoxb-fallback' });
    expect((await clients.forWorkspace(team('TA'), 'reply')).token).toBe('xoxb-a');
    expect((await clients.forWorkspace(team('TZ'), 'reply')).token).toBe('xoxb-fallback');
  });

  it('never lets SLACK_BOT_TOKEN speak for a workspace that uninstalled the app', async () => {
    await installations.storeInstallation(install('TU', 'xoxb-u'));
    const clients = new SlackClients({ ...options, installations, fallbackToken: 'xoxb-fallback' });
    expect((await clients.forWorkspace(team('TU'), 'reply')).token).toBe('xoxb-u');
    const eventTimeMs = Date.now() + 1000;
    expect(await installations.removeUninstalled({ installationId: 'team:TU', eventTimeMs })).toBe(
      'removed',
    );
    const uninstalled = clients.forWorkspace(team('TU'), 'reply');
    await expect(uninstalled).rejects.toThrow(SlackNotInstalledError);
    await expect(uninstalled).rejects.toMatchObject({ code: 'SLACK_NOT_INSTALLED' });
    // Uninstalled without ever being stored here (it used SLACK_BOT_TOKEN): the same.
    expect(await installations.removeUninstalled({ installationId: 'team:TV', eventTimeMs })).toBe(
      'absent',
    );
    await expect(clients.forWorkspace(team('TV'), 'reply')).rejects.toThrow(SlackNotInstalledError);
    // A workspace that never had the app still gets the shortcut; a reinstall ends the ban.
    expect((await clients.forWorkspace(team('TW'), 'reply')).token).toBe('xoxb-fallback');
    await installations.storeInstallation(install('TU', 'xoxb-u2'));
    expect((await clients.forWorkspace(team('TU'), 'reply')).token).toBe('xoxb-u2');
  });

  it('fails that job for good when nothing serves its workspace', async () => {
    const clients = new SlackClients({ ...options, installations });
    await expect(clients.forWorkspace(team('TNONE'), 'reply')).rejects.toThrow(
      SlackNotInstalledError,
    );
    await expect(new SlackClients(options).forWorkspace(team('TNONE'), 'reply')).rejects.toThrow(
      SlackTokenMissingError,
    );
    const otherKeys = new SlackInstallationStore({
      connection: redis,
      prefix: installations.key('team:x').split(':slack:')[0] as string,
      cipher: new TokenCipher([{ version: 1, key: randomBytes(32) }]),
    });
    await expect(
      new SlackClients({ ...options, installations: otherKeys }).forWorkspace(team('TA'), 'reply'),
    ).rejects.toThrow(SlackInstallationUnreadableError);
  });

  it('keeps one client per workspace, at most maxClients, and follows a new token', async () => {
    const clients = new SlackClients({ ...options, installations, maxClients: 2 });
    await installations.storeInstallation(install('TB', 'xoxb-b'));
    await installations.storeInstallation(install('TC', 'xoxb-c'));
    const a = await clients.forWorkspace(team('TA'), 'reply');
    expect(await clients.forWorkspace(team('TA'), 'reply')).toBe(a);
    await clients.forWorkspace(team('TB'), 'reply');
    await clients.forWorkspace(team('TC'), 'reply');
    expect(clients.size).toBe(2);
    // TA was the least recently used: a new client now.
    expect(await clients.forWorkspace(team('TA'), 'reply')).not.toBe(a);

    await installations.storeInstallation(install('TA', 'xoxb-a2'));
    expect((await clients.forWorkspace(team('TA'), 'reply')).token).toBe('xoxb-a2');
    await installations.deleteInstallation({
      teamId: 'TA',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    await expect(clients.forWorkspace(team('TA'), 'reply')).rejects.toThrow(/not installed/);
    expect(clients.size).toBe(1);
  });
});
