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

  it('follows exactly 8 links of a cause chain: the 8th is read, the 9th is not', () => {
    const chainOf = (links: number): unknown => {
      let err: unknown = Object.assign(new Error('root'), { code: 'ECONNRESET' });
      for (let i = 1; i < links; i++) err = new Error('wrap', { cause: err });
      return err;
    };
    expect(errorTypeOf(chainOf(8))).toBe('ECONNRESET');
    expect(errorCodesOf(chainOf(8))).toEqual(['ECONNRESET']);
    expect(errorTypeOf(chainOf(9))).toBe(ERROR_TYPE_OTHER);
    expect(errorCodesOf(chainOf(9))).toEqual([]);
  });

  it('lists each code of a cyclic cause chain once', () => {
    const a = Object.assign(new Error('a'), { code: 'UND_ERR_SOCKET' });
    const b = Object.assign(new Error('b', { cause: a }), { code: 'ECONNRESET' });
    (a as { cause?: unknown }).cause = b;
    expect(errorCodesOf(b)).toEqual(['ECONNRESET', 'UND_ERR_SOCKET']);
  });

  it('reads codes and names of callable error values too', () => {
    const callable = Object.assign(() => undefined, { code: 'ECONNRESET' });
    expect(errorTypeOf(callable)).toBe('ECONNRESET');
    expect(errorCodesOf(new Error('wrap', { cause: callable }))).toEqual(['ECONNRESET']);
  });

  it.each([
    ['a code with a lowercase prefix', { code: 'eCONNRESET' }],
    ['a code with a lowercase suffix', { code: 'ECONNRESET_x' }],
    ['a code of 65 characters', { code: `E${'A'.repeat(64)}` }],
    ['a code that is an array', { code: ['ECONNRESET'] }],
    ['a name that is an array', { name: ['SocketError'] }],
    ['a name with a space', { name: 'Socket Error' }],
  ])('ignores %s (only constant-like strings become error.type)', (_label, fields) => {
    const err = Object.assign(new Error('x'), fields);
    expect(errorTypeOf(err)).toBe(ERROR_TYPE_OTHER);
    expect(errorCodesOf(err)).toEqual([]);
  });

  it('keeps a code of exactly 64 characters', () => {
    const code = `E${'A'.repeat(63)}`;
    expect(errorTypeOf(Object.assign(new Error('x'), { code }))).toBe(code);
  });

  it('isUserAbort: code ABORT_ERR or UND_ERR_ABORTED alone is an abort, whatever the name', () => {
    expect(isUserAbort(Object.assign(new Error('x'), { code: 'ABORT_ERR' }))).toBe(true);
    expect(isUserAbort(Object.assign(new Error('x'), { code: 'UND_ERR_ABORTED' }))).toBe(true);
    expect(
      isUserAbort(new Error('wrap', { cause: Object.assign(new Error('x'), { code: 'ABORT_ERR' }) })),
    ).toBe(true);
    expect(isUserAbort(Object.assign(new Error('x'), { code: 'ABORT' }))).toBe(false);
  });

  it('isUserAbort: an abort caused by a TimeoutError is a failure, wherever the TimeoutError sits', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    // What an SDK throws when a timeout signal fired: an AbortError whose cause is the signal's reason.
    const abortFromTimeout = Object.assign(new DOMException('This operation was aborted', 'AbortError'), {
      cause: timeout,
    });
    expect(isUserAbort(abortFromTimeout)).toBe(false);
    expect(isUserAbort(new Error('wrap', { cause: abortFromTimeout }))).toBe(false);
    const undiciAbortFromTimeout = Object.assign(new Error('Request aborted', { cause: timeout }), {
      code: 'UND_ERR_ABORTED',
    });
    expect(isUserAbort(undiciAbortFromTimeout)).toBe(false);
    expect(isRetryableNetworkError(abortFromTimeout)).toBe(false);
    // The same AbortError without the timeout beneath it is the application's own cancel.
    expect(isUserAbort(new DOMException('This operation was aborted', 'AbortError'))).toBe(true);
  });

  it('isUserAbort: custom abort reasons are not recognisable as aborts', () => {
    expect(isUserAbort(Object.assign(new Error('x'), { code: 'ABORT_ERR', name: 'AbortError' }))).toBe(true);
    expect(isUserAbort(new Error('cancelled by me'))).toBe(false);
    expect(isUserAbort(new DOMException('t', 'AbortError'))).toBe(true);
    expect(isUserAbort(new Error('wrap', { cause: new DOMException('t', 'TimeoutError') }))).toBe(false);
  });
});
