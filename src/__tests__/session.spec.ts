import { ChatSession, ISessionExecutor } from '../session';
import {
  IChatEntry,
  IChatInfo,
  IExecuteMessage,
  IExecuteResultMessage
} from '../wire';
import { FakeSocket, fakeSettings } from './fakes';

const chat: IChatInfo = {
  id: 'c1',
  path: 'a.ipynb',
  title: 'a',
  created: 1,
  updated: 1
};

const execute = (requestId: string): IExecuteMessage => ({
  type: 'execute',
  request_id: requestId,
  action_id: `a-${requestId}`,
  turn: 1,
  code: 'x = 1',
  timeout: 10,
  approval: 'auto',
  path: 'a.ipynb'
});

const resultOf = (requestId: string): IExecuteResultMessage => ({
  type: 'execute_result',
  request_id: requestId,
  status: 'ok',
  outputs: [],
  code: 'x = 1',
  execution_count: 1,
  cell_id: `cell-${requestId}`
});

const action = (requestId: string, phase: string): IChatEntry => ({
  id: `e-${requestId}`,
  role: 'action',
  time: 1,
  request_id: requestId,
  action_id: `a-${requestId}`,
  phase
});

/** Lets pending promise callbacks run. */
const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('ChatSession', () => {
  let executor: jest.Mocked<ISessionExecutor>;
  let results: Map<string, IExecuteResultMessage>;
  let session: ChatSession;

  beforeEach(() => {
    FakeSocket.reset();
    results = new Map();
    executor = {
      execute: jest.fn(async (chatId: string, message: IExecuteMessage) => {
        const result = resultOf(message.request_id);
        results.set(message.request_id, result);
        return result;
      }),
      interrupt: jest.fn(),
      result: jest.fn((id: string) => results.get(id))
    } as unknown as jest.Mocked<ISessionExecutor>;
    session = new ChatSession({
      chat,
      clientId: 'page-1',
      executor,
      socket: { settings: fakeSettings(), retryDelay: 1 }
    });
  });

  afterEach(() => session.dispose());

  it('sends user messages with the context and the approval mode', () => {
    FakeSocket.last.open();
    session.model.setProblem('earlier refusal');
    session.send('plot it', 'Notebook a.ipynb', {
      approval: 'ask',
      replaceFailed: false
    });
    expect(FakeSocket.last.sent[1]).toEqual({
      type: 'user_message',
      text: 'plot it',
      context: 'Notebook a.ipynb',
      approval: 'ask',
      replace_failed: false
    });
    session.send('fix it', null, {
      approval: 'auto',
      replaceFailed: true,
      userCell: 'u1a2'
    });
    expect(FakeSocket.last.sent[2]).toMatchObject({
      replace_failed: true,
      user_cell: 'u1a2'
    });
    expect(session.model.snapshot.problem).toBeNull();
    session.stop();
    expect(FakeSocket.last.sent[3]).toEqual({ type: 'stop' });
  });

  it('applies server messages to the model and follows the connection', () => {
    expect(session.model.connection).toBe('connecting');
    FakeSocket.last.open();
    expect(session.model.connection).toBe('open');
    FakeSocket.last.receive({ type: 'state', state: 'thinking', tokens: 3 });
    expect(session.model.state).toBe('thinking');
    FakeSocket.last.drop();
    expect(session.model.connection).toBe('closed');
  });

  it('runs an execute request and answers with its result', async () => {
    FakeSocket.last.open();
    FakeSocket.last.receive(execute('r1'));
    await flush();
    expect(executor.execute).toHaveBeenCalledWith(
      'c1',
      execute('r1'),
      expect.anything()
    );
    expect(FakeSocket.last.sent).toContainEqual(resultOf('r1'));
  });

  it('tells the server when the user approves an action', async () => {
    FakeSocket.last.open();
    executor.execute.mockImplementationOnce(async (_, message, callbacks) => {
      callbacks?.onApproved?.();
      return resultOf(message.request_id);
    });
    FakeSocket.last.receive({ ...execute('r2'), approval: 'ask' });
    await flush();
    const sent = FakeSocket.last.sent as { type: string }[];
    const approved = sent.findIndex(m => m.type === 'approved');
    expect(sent[approved]).toEqual({ type: 'approved', request_id: 'r2' });
    expect(approved).toBeLessThan(
      sent.findIndex(m => m.type === 'execute_result')
    );
  });

  it("relays the cell's tool calls, asks again after a reconnection, and delivers the answer once", async () => {
    const first = FakeSocket.last;
    first.open();
    let answer: Promise<string> = Promise.resolve('');
    executor.execute.mockImplementationOnce(async (_, message, callbacks) => {
      answer = callbacks!.onToolCall!('m1', 'PROMPT');
      // The same call again (the kernel's message seen twice) is one call.
      void callbacks!.onToolCall!('m1', 'PROMPT');
      return new Promise<IExecuteResultMessage>(() => undefined);
    });
    first.receive(execute('r1'));
    await flush();
    const call = {
      type: 'tool_call',
      request_id: 'r1',
      call_id: 'm1',
      prompt: 'PROMPT'
    };
    expect(first.sent.filter(m => (m as any).type === 'tool_call')).toEqual([
      call
    ]);
    first.drop();
    await new Promise(resolve => setTimeout(resolve, 5));
    const second = FakeSocket.last;
    second.open();
    second.receive({ type: 'snapshot', chat, entries: [], state: 'running' });
    expect(second.sent).toContainEqual(call);
    second.receive({ type: 'tool_result', call_id: 'm1', value: 'VALUE' });
    await expect(answer).resolves.toBe('VALUE');
  });

  it('ends the tool calls of a closed chat (the kernel then reads end-of-file)', async () => {
    FakeSocket.last.open();
    let answer: Promise<string> = Promise.resolve('');
    executor.execute.mockImplementationOnce(async (_, message, callbacks) => {
      answer = callbacks!.onToolCall!('m2', 'PROMPT');
      return new Promise<IExecuteResultMessage>(() => undefined);
    });
    FakeSocket.last.receive(execute('r3'));
    await flush();
    session.dispose();
    await expect(answer).rejects.toThrow('closed');
  });

  it('passes interrupts to the executor', () => {
    FakeSocket.last.open();
    FakeSocket.last.receive({ type: 'interrupt', request_id: 'r1' });
    expect(executor.interrupt).toHaveBeenCalledWith('r1');
  });

  it('resends, after a reconnection, the results the server still waits for', async () => {
    const first = FakeSocket.last;
    first.open();
    // The result is ready while the connection is down: it is not queued.
    let finish: (result: IExecuteResultMessage) => void = () => {};
    executor.execute.mockImplementationOnce(
      () =>
        new Promise(resolve => {
          finish = result => {
            results.set('r1', result);
            resolve(result);
          };
        })
    );
    first.receive(execute('r1'));
    first.drop();
    finish(resultOf('r1'));
    results.set('r0', resultOf('r0'));
    await flush();
    await new Promise(resolve => setTimeout(resolve, 5));
    const second = FakeSocket.last;
    expect(second).not.toBe(first);
    second.open();
    expect(second.sent).toEqual([{ type: 'hello', client_id: 'page-1' }]);
    second.receive({
      type: 'snapshot',
      chat,
      entries: [action('r0', 'finished'), action('r1', 'running')],
      state: 'running'
    });
    // Only the unfinished action's result goes again.
    expect(second.sent.slice(1)).toEqual([resultOf('r1')]);
    expect(first.sent).not.toContainEqual(resultOf('r1'));
  });
});
