/**
 * The platform's processes and how each starts. `pnpm start` (scripts/start.mjs) and
 * docker-compose.yml run exactly these commands; e2e/test/compose.test.ts checks they agree.
 */
export const SERVICES = [
  { name: 'api', command: ['node', 'apps/api/dist/main.js'] },
  { name: 'worker', command: ['node', 'apps/worker/dist/main.js'] },
  { name: 'dashboard', command: ['node', 'apps/dashboard/dist/main.js'] },
];

/** The start command of one service. */
export function serviceCommand(name) {
  const service = SERVICES.find((entry) => entry.name === name);
  if (!service) throw new Error(`unknown service ${name}`);
  return service.command;
}
