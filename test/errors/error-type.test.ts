import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodesOf, errorTypeOf, isUserAbort } from '../../src/errors/error-type.ts';
import { isRetryableNetworkError } from '../../src/errors/policy.ts';
import { ERROR_TYPE_OTHER } from '../../src/semconv/names.ts';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('errorTypeOf / isUserAbort on real failures (loopback)', () => {
  let server: http.Server;
  let base: string;
  let closedPortUrl: string;
  const agent = new Agent({ headersTimeout: 200 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/destroy') req.socket.destroy();
      else if (req.url === '/hang')
        return; // never answers
      else res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    closedPortUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((resolve) => closed.close(resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await agent.close();
  });

  it('connection refused (fetch wraps it in TypeError: fetch failed)', async () => {
    const err = await rejection(fetch(closedPortUrl));
    expect(err).toBeInstanceOf(TypeError);
    expect(errorTypeOf(err)).toBe('ECONNREFUSED');
    expect(isRetryableNetworkError(err)).toBe(true);
    expect(isUserAbort(err)).toBe(false);
  });

  it('connection refused (undici.request rejects with the code itself)', async () => {
    const err = await rejection(request(closedPortUrl));
    expect(errorTypeOf(err)).toBe('ECONNREFUSED');
    expect(isRetryableNetworkError(err)).toBe(true);
  });

  it('socket destroyed by the server', async () => {
    const err = await rejection(request(`${base}/destroy`));
    expect(errorTypeOf(err)).toBe('UND_ERR_SOCKET');
    expect(isRetryableNetworkError(err)).toBe(true);
    const fetchErr = await rejection(fetch(`${base}/destroy`));
    expect(errorTypeOf(fetchErr)).toBe('UND_ERR_SOCKET');
    expect(errorCodesOf(fetchErr)).toEqual(['UND_ERR_SOCKET']);
  });

  it('headers timeout: a failure, not retried, not an abort', async () => {
    const err = await rejection(request(`${base}/hang`, { dispatcher: agent }));
    expect(errorTypeOf(err)).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(isRetryableNetworkError(err)).toBe(false);
    expect(isUserAbort(err)).toBe(false);
  });

  it('the application aborting is a user abort', async () => {
    const controller = new AbortController();
    const pending = rejection(fetch(`${base}/hang`, { signal: controller.signal }));
    controller.abort();
    const err = await pending;
    expect(errorTypeOf(err)).toBe('AbortError');
    expect(isUserAbort(err)).toBe(true);
    expect(isRetryableNetworkError(err)).toBe(false);
  });

  it('undici.request aborted by a signal is a user abort', async () => {
    const controller = new AbortController();
    const pending = rejection(request(`${base}/hang`, { signal: controller.signal }));
    controller.abort();
    expect(isUserAbort(await pending)).toBe(true);
  });

  it('AbortSignal.timeout is a failure (TimeoutError), not a user abort', async () => {
    const err = await rejection(fetch(`${base}/hang`, { signal: AbortSignal.timeout(50) }));
    expect(errorTypeOf(err)).toBe('TimeoutError');
    expect(isUserAbort(err)).toBe(false);
    expect(isRetryableNetworkError(err)).toBe(false);
  });
});

describe('errorTypeOf on constructed values', () => {
  it.each([
    ['a plain Error', new Error('x'), ERROR_TYPE_OTHER],
    ['a bare TypeError', new TypeError('x'), 'TypeError'],
    ['a named subclass', Object.assign(new Error('x'), { name: 'SocketError' }), 'SocketError'],
    [
      'TypeError over a named cause',
      new TypeError('fetch failed', { cause: new RangeError('r') }),
      'RangeError',
    ],
    ['a numeric code (DOMException)', new DOMException('x', 'AbortError'), 'AbortError'],
    ['a lowercase code', Object.assign(new Error('x'), { code: 'not_a_code' }), ERROR_TYPE_OTHER],
    ['a huge name', Object.assign(new Error('x'), { name: 'N'.repeat(100) }), ERROR_TYPE_OTHER],
    ['a string', 'ECONNRESET', ERROR_TYPE_OTHER],
    ['undefined', undefined, ERROR_TYPE_OTHER],
    ['null', null, ERROR_TYPE_OTHER],
    ['a number', 42, ERROR_TYPE_OTHER],
  ])('%s', (_name, err, expected) => {
    expect(errorTypeOf(err)).toBe(expected);
  });

  it('follows a cause chain to a bounded depth and survives cycles', () => {
    let deep: unknown = Object.assign(new Error('root'), { code: 'ECONNRESET' });
    for (let i = 0; i < 6; i++) deep = new Error('wrap', { cause: deep });
    expect(errorTypeOf(deep)).toBe('ECONNRESET');
    let tooDeep: unknown = Object.assign(new Error('root'), { code: 'ECONNRESET' });
    for (let i = 0; i < 20; i++) tooDeep = new Error('wrap', { cause: tooDeep });
    expect(errorTypeOf(tooDeep)).toBe(ERROR_TYPE_OTHER);
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorTypeOf(a)).toBe(ERROR_TYPE_OTHER);
    expect(isUserAbort(a)).toBe(false);
  });

  it('never throws on hostile getters', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(errorTypeOf(hostile)).toBe(ERROR_TYPE_OTHER);
    expect(isUserAbort(hostile)).toBe(false);
    expect(errorCodesOf(hostile)).toEqual([]);
  });

  it('isUserAbort: custom abort reasons are not recognisable as aborts', () => {
    expect(isUserAbort(Object.assign(new Error('x'), { code: 'ABORT_ERR', name: 'AbortError' }))).toBe(true);
    expect(isUserAbort(new Error('cancelled by me'))).toBe(false);
    expect(isUserAbort(new DOMException('t', 'AbortError'))).toBe(true);
    expect(isUserAbort(new Error('wrap', { cause: new DOMException('t', 'TimeoutError') }))).toBe(false);
  });
});
