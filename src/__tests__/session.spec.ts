import { ChatSession, ISessionExecutor } from '../session';
import { DocumentOp, IApproval, IChatInfo, IInspectMessage } from '../wire';
import { FakeSocket, fakeSettings } from './fakes';

const chat: IChatInfo = {
  id: 'c1',
  path: 'a.ipynb',
  title: 'a',
  created: 1,
  updated: 1
};

const approval: IApproval = {
  request_id: 'r1',
  action_id: 'a1',
  kind: 'run',
  code: 'print(1)',
  path: 'a.ipynb'
};

const question: IInspectMessage = {
  type: 'inspect',
  query_id: 'q1',
  path: 'a.ipynb',
  chat_id: 'c1',
  ref: 'c3a1',
  cell_id: 'x1',
  user: false
};

/** Lets pending promise callbacks run (the clock is jest's, see `beforeEach`). */
const flush = () => jest.advanceTimersByTimeAsync(0);

describe('ChatSession', () => {
  let executor: jest.Mocked<ISessionExecutor>;
  let session: ChatSession;
  let holds: Record<string, number> | null;

  beforeEach(() => {
    jest.useFakeTimers();
    FakeSocket.reset();
    holds = { c1: 7 };
    executor = {
      apply: jest.fn(async () => true),
      follow: jest.fn(async () => true),
      inspect: jest.fn(() => ({
        found: 1,
        cell_ids: ['x1'],
        change: null,
        source: null
      })),
      applied: jest.fn(() => holds),
      setApproval: jest.fn()
    } as unknown as jest.Mocked<ISessionExecutor>;
    session = new ChatSession({
      chat,
      clientId: 'page-1',
      executor,
      socket: { settings: fakeSettings(), retryDelay: 1 }
    });
  });

  afterEach(() => {
    session.dispose();
    jest.useRealTimers();
  });

  it('says which notebook it holds on every connection, before what it asks', async () => {
    session.send('plot it', null, { approval: 'auto', replaceFailed: true });
    const first = FakeSocket.last;
    first.open();
    expect(first.sent.slice(0, 3)).toEqual([
      { type: 'hello', client_id: 'page-1' },
      { type: 'document', path: 'a.ipynb', applied: { c1: 7 } },
      expect.objectContaining({ type: 'user_message', text: 'plot it' })
    ]);
    // After a reconnection: what its copy holds now.
    holds = { c1: 12 };
    first.drop();
    await jest.advanceTimersByTimeAsync(1); // its retry delay
    FakeSocket.last.open();
    expect(FakeSocket.last.sent).toEqual([
      { type: 'hello', client_id: 'page-1' },
      { type: 'document', path: 'a.ipynb', applied: { c1: 12 } }
    ]);
  });

  it('holds nothing while its notebook is not open here', () => {
    holds = null;
    FakeSocket.last.open();
    expect(FakeSocket.last.sent).toEqual([
      { type: 'hello', client_id: 'page-1' }
    ]);
  });

  it('sends user messages with the context, the user choices and where cells go', () => {
    FakeSocket.last.open();
    session.model.setProblem('earlier refusal');
    session.send('plot it', 'Notebook a.ipynb', {
      approval: 'ask',
      replaceFailed: false
    });
    expect(FakeSocket.last.sent[2]).toEqual({
      type: 'user_message',
      text: 'plot it',
      context: 'Notebook a.ipynb',
      approval: 'ask',
      replace_failed: false
    });
    session.send('fix it', null, {
      approval: 'auto',
      replaceFailed: true,
      userCell: 'u1a2',
      userCellId: 'x9',
      selectedCell: 'x9',
      position: 'end',
      narrate: true,
      untrusted: true
    });
    expect(FakeSocket.last.sent[3]).toMatchObject({
      replace_failed: true,
      user_cell: 'u1a2',
      user_cell_id: 'x9',
      selected_cell: 'x9',
      position: 'end',
      narrate: true,
      untrusted: true
    });
    expect(session.model.snapshot.problem).toBeNull();
    session.stop();
    expect(FakeSocket.last.sent[4]).toEqual({ type: 'stop' });
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

  it('gives document operations to the executor, with the server writes', async () => {
    FakeSocket.last.open();
    const ops: DocumentOp[] = [{ op: 'running', seq: 8, cell_id: 'x1' }];
    const disk = [{ before: 'h0', after: 'h1', applied: { c1: 8 } }];
    FakeSocket.last.receive({
      type: 'ops',
      path: 'a.ipynb',
      chat_id: 'c1',
      ops,
      disk
    });
    await flush();
    expect(executor.apply).toHaveBeenCalledWith('a.ipynb', 'c1', ops, disk);
  });

  it('follows the operations the server wrote into a shared notebook, applying none', async () => {
    FakeSocket.last.open();
    const ops: DocumentOp[] = [{ op: 'running', seq: 9, cell_id: 'x1' }];
    FakeSocket.last.receive({
      type: 'ops',
      path: 'a.ipynb',
      chat_id: 'c1',
      ops,
      shared: true
    });
    await flush();
    expect(executor.follow).toHaveBeenCalledWith('a.ipynb', 'c1', ops);
    expect(executor.apply).not.toHaveBeenCalled();
  });

  it('answers questions about its notebook, and only those', () => {
    FakeSocket.last.open();
    FakeSocket.last.receive(question);
    expect(FakeSocket.last.sent[2]).toEqual({
      type: 'facts',
      query_id: 'q1',
      facts: { found: 1, cell_ids: ['x1'], change: null, source: null }
    });
    executor.inspect.mockReturnValueOnce(null); // not open here
    FakeSocket.last.receive({ ...question, query_id: 'q2' });
    expect(FakeSocket.last.sent).toHaveLength(3);
  });

  it('shows what waits for the user and sends the decision', () => {
    FakeSocket.last.open();
    FakeSocket.last.receive({
      type: 'snapshot',
      chat,
      entries: [],
      state: 'waiting_approval',
      approval
    });
    expect(executor.setApproval).toHaveBeenLastCalledWith(
      'c1',
      approval,
      expect.any(Function)
    );
    const answer = executor.setApproval.mock.calls[0][2];
    answer({ run: true, code: 'print(2)' });
    expect(FakeSocket.last.sent[2]).toEqual({
      type: 'decide',
      request_id: 'r1',
      run: true,
      code: 'print(2)'
    });
    FakeSocket.last.receive({ type: 'approval', approval: null });
    expect(executor.setApproval).toHaveBeenLastCalledWith(
      'c1',
      null,
      expect.any(Function)
    );
  });
});
