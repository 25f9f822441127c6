import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { getFreePort } from './get-free-port.js';
import { waitForHttp } from './wait-for-http.js';

describe('waitForHttp', () => {
  it('polls through refused connections and 503s until a 2xx', async () => {
    const port = await getFreePort();
    let requests = 0;
    const server = createServer((_request, response) => {
      requests++;
      response.statusCode = requests < 3 ? 503 : 200;
      response.end(requests < 3 ? 'starting' : 'ready');
    });
    // The server only starts listening after the first attempts were refused.
    setTimeout(() => server.listen(port, '127.0.0.1'), 100);
    try {
      const response = await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 5000 });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('ready');
      expect(requests).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('waits for an exact status and times out naming the last one seen', async () => {
    const server = createServer((_request, response) => {
      response.statusCode = 200;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      await expect(
        waitForHttp(`http://127.0.0.1:${port}/`, { status: 503, timeoutMs: 200 }),
      ).rejects.toThrow(
        /timed out after 200ms waiting for status 503 from .*: last error: got status 200/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
