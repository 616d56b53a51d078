import { APIError, ChatSocket, requestAPI } from '../api';
import { FakeSocket, fakeSettings } from './fakes';

describe('ChatSocket', () => {
  beforeEach(() => {
    FakeSocket.reset();
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  const open = (overrides = {}): ChatSocket =>
    new ChatSocket({
      chatId: 'chat 1',
      clientId: 'page-1',
      settings: fakeSettings(overrides),
      retryDelay: 100,
      maxRetryDelay: 250
    });

  it("connects to the chat's websocket URL, with the token when required", () => {
    open();
    expect(FakeSocket.last.url).toBe(
      'ws://localhost:8888/lab-base/codeact/chats/chat%201/ws'
    );
    open({ token: 's3cret', appendToken: true });
    expect(FakeSocket.last.url).toBe(
      'ws://localhost:8888/lab-base/codeact/chats/chat%201/ws?token=s3cret'
    );
  });

  it('says hello first, then sends what was queued while connecting', () => {
    const socket = open();
    const statuses: string[] = [];
    socket.statusChanged.connect((_, status) => statuses.push(status));
    expect(socket.send({ type: 'stop' })).toBe(false);
    const fake = FakeSocket.last;
    expect(fake.sent).toEqual([]);
    fake.open();
    expect(fake.sent).toEqual([
      { type: 'hello', client_id: 'page-1' },
      { type: 'stop' }
    ]);
    expect(socket.status).toBe('open');
    expect(statuses).toEqual(['open']);
    expect(socket.send({ type: 'user_message', text: 'hi' })).toBe(true);
    expect(fake.sent[2]).toEqual({ type: 'user_message', text: 'hi' });
  });

  it('emits valid messages and ignores the others', () => {
    const socket = open();
    const received: unknown[] = [];
    socket.messageReceived.connect((_, message) => received.push(message));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    FakeSocket.last.open();
    FakeSocket.last.receive({ type: 'delta', id: 'a', text: 'Hi' });
    FakeSocket.last.receive('not json');
    FakeSocket.last.receive({ type: 'delta', id: 'a' });
    expect(received).toEqual([{ type: 'delta', id: 'a', text: 'Hi' }]);
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('reconnects with backoff and says hello again with the same id', () => {
    const socket = open();
    const first = FakeSocket.last;
    first.open();
    first.drop();
    expect(socket.status).toBe('closed');
    expect(FakeSocket.instances).toHaveLength(1);
    // Messages sent while closed wait for the next connection...
    socket.send({ type: 'stop' });
    // ...but answers can be dropped (a reconnection asks again).
    socket.send(
      {
        type: 'facts',
        query_id: 'q',
        facts: { found: 0, cell_ids: [], change: null, source: null }
      },
      false
    );
    jest.advanceTimersByTime(99);
    expect(FakeSocket.instances).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(2);
    const second = FakeSocket.last;
    expect(second.url).toBe(first.url);
    // A failed attempt doubles the delay, up to the maximum.
    second.drop();
    jest.advanceTimersByTime(199);
    expect(FakeSocket.instances).toHaveLength(2);
    jest.advanceTimersByTime(1);
    const third = FakeSocket.last;
    third.drop();
    jest.advanceTimersByTime(250);
    expect(FakeSocket.instances).toHaveLength(4);
    FakeSocket.last.open();
    expect(FakeSocket.last.sent).toEqual([
      { type: 'hello', client_id: 'page-1' },
      { type: 'stop' }
    ]);
    // A successful connection resets the delay.
    FakeSocket.last.drop();
    jest.advanceTimersByTime(100);
    expect(FakeSocket.instances).toHaveLength(5);
  });

  it('stops for good when disposed', () => {
    const socket = open();
    const fake = FakeSocket.last;
    fake.open();
    socket.dispose();
    expect(fake.closed).toBe(true);
    expect(socket.status).toBe('disposed');
    expect(socket.send({ type: 'stop' })).toBe(false);
    fake.drop();
    jest.advanceTimersByTime(10000);
    expect(FakeSocket.instances).toHaveLength(1);
  });
});

describe('requestAPI', () => {
  const respond = (status: number, body: unknown) =>
    jest.fn(
      async (_: RequestInfo) =>
        new Response(body === undefined ? null : JSON.stringify(body), {
          status
        })
    );

  it('calls the endpoint below codeact/ and decodes the JSON', async () => {
    const fetch = respond(200, { chats: [] });
    const settings = fakeSettings({ fetch });
    const reply = await requestAPI('chats?path=a%20b.ipynb', {}, settings);
    expect(reply).toEqual({ chats: [] });
    const request = fetch.mock.calls[0][0] as Request;
    expect(request.url).toMatch(
      /^http:\/\/localhost:8888\/lab-base\/codeact\/chats\?path=a%20b.ipynb&\d+$/
    );
  });

  it("turns an error status into an APIError with the server's message", async () => {
    const settings = fakeSettings({
      fetch: respond(404, { message: 'No chat c9.', reason: null })
    });
    const call = requestAPI('chats/c9', {}, settings);
    await expect(call).rejects.toBeInstanceOf(APIError);
    await expect(call).rejects.toMatchObject({
      status: 404,
      message: 'The CodeAct server answered 404: No chat c9.'
    });
  });

  it('says plainly when the server cannot be reached', async () => {
    const settings = fakeSettings({
      fetch: jest.fn(async () => {
        throw new TypeError('Failed to fetch');
      })
    });
    await expect(requestAPI('config', {}, settings)).rejects.toMatchObject({
      status: null,
      message: expect.stringContaining('Cannot reach the Jupyter server')
    });
  });

  it('accepts an empty answer', async () => {
    const settings = fakeSettings({ fetch: respond(204, undefined) });
    await expect(
      requestAPI('chats/c1', { method: 'DELETE' }, settings)
    ).resolves.toBeNull();
  });
});
