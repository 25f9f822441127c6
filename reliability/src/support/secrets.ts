import { randomBytes } from 'node:crypto';

const random = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * Every secret a scenario hands to the apps, fresh per test file and easy to recognise, so that
 * each captured log line can be searched for them.
 */
export function createSecrets() {
  return {
    apiToken: `reltok${random(20)}`,
    slackSigningSecret: `relsig${random(16)}`,
    slackBotToken: `xoxb-rel-${random(16)}`,
    redisPassword: `relpw${random(12)}`,
    aclPassword: `relacl${random(12)}`,
    wrongPassword: `relwrong${random(12)}`,
  };
}

export type SuiteSecrets = ReturnType<typeof createSecrets>;

/** The API client name the suite authenticates as. */
export const API_CLIENT = 'reliability';
