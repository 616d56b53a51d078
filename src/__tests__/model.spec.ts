import { ChatModel, EMPTY_SNAPSHOT, isBusy, reduce } from '../model';
import { IChatEntry, IChatInfo } from '../wire';

const chat: IChatInfo = {
  id: 'c1',
  path: 'a.ipynb',
  title: 'a',
  created: 1,
  updated: 1
};
const user: IChatEntry = { id: 'u1', role: 'user', time: 1, text: 'plot it' };
const action: IChatEntry = {
  id: 'x1',
  role: 'action',
  time: 2,
  code: 'x = 1',
  action_id: 'a1',
  request_id: 'r1',
  phase: 'running'
};

describe('reduce', () => {
  const start = reduce(EMPTY_SNAPSHOT, {
    type: 'snapshot',
    chat,
    entries: [user, action],
    state: 'running'
  });

  it('replaces everything on a snapshot', () => {
    expect(start.chat).toBe(chat);
    expect(start.entries).toEqual([user, action]);
    expect(start.state).toBe('running');
    const again = reduce(
      { ...start, problem: 'refused' },
      { type: 'snapshot', chat, entries: [], state: 'idle' }
    );
    expect(again.entries).toEqual([]);
    expect(again.problem).toBeNull();
  });

  it('appends a new entry and replaces a known one in place', () => {
    const finished = { ...action, phase: 'finished', cell_id: 'cell-9' };
    const replaced = reduce(start, { type: 'entry', entry: finished });
    expect(replaced.entries).toEqual([user, finished]);
    // The untouched entry keeps its identity (views compare by identity).
    expect(replaced.entries[0]).toBe(user);
    const final: IChatEntry = { id: 'f1', role: 'final', time: 4, text: '42' };
    const appended = reduce(replaced, { type: 'entry', entry: final });
    expect(appended.entries.map(e => e.id)).toEqual(['u1', 'x1', 'f1']);
    expect(start.entries).toEqual([user, action]);
  });

  it('streams deltas into an assistant entry, creating it first', () => {
    let state = reduce(
      start,
      { type: 'delta', id: 's1', text: 'Let me ' },
      () => 7
    );
    state = reduce(state, { type: 'delta', id: 's1', text: 'look.' });
    const streamed = state.entries[2];
    expect(streamed).toEqual({
      id: 's1',
      role: 'assistant',
      time: 7,
      text: 'Let me look.',
      streaming: true
    });
    // The whole entry replaces the streamed one when the reply is done.
    state = reduce(state, {
      type: 'entry',
      entry: { ...streamed, streaming: false, turn: 1 }
    });
    expect(state.entries).toHaveLength(3);
    expect(state.entries[2].streaming).toBe(false);
  });

  it('streams the code of a tool call apart from the text', () => {
    let state = reduce(
      start,
      { type: 'delta', id: 's2', text: 'x = ', field: 'code' },
      () => 8
    );
    state = reduce(state, { type: 'delta', id: 's2', text: 'Counting.' });
    state = reduce(state, {
      type: 'delta',
      id: 's2',
      text: '6 * 7',
      field: 'code'
    });
    expect(state.entries[2]).toEqual({
      id: 's2',
      role: 'assistant',
      time: 8,
      text: 'Counting.',
      code: 'x = 6 * 7',
      streaming: true
    });
  });

  it('follows the state, tokens, chat metadata and problems', () => {
    let state = reduce(start, { type: 'state', state: 'done', tokens: 120 });
    expect(state.state).toBe('done');
    expect(state.tokens).toBe(120);
    state = reduce(state, {
      type: 'chat',
      chat: { ...chat, path: 'renamed.ipynb' }
    });
    expect(state.chat?.path).toBe('renamed.ipynb');
    state = reduce(state, { type: 'problem', message: 'A run is going on.' });
    expect(state.problem).toBe('A run is going on.');
  });

  it('returns the same snapshot for document operations and questions', () => {
    expect(
      reduce(start, { type: 'ops', path: 'a.ipynb', chat_id: 'c1', ops: [] })
    ).toBe(start);
    expect(
      reduce(start, {
        type: 'inspect',
        query_id: 'q',
        path: 'a.ipynb',
        chat_id: 'c1',
        ref: 'c1',
        cell_id: '',
        user: false
      })
    ).toBe(start);
  });
});

describe('isBusy', () => {
  it('is true while the agent works', () => {
    expect(isBusy('thinking')).toBe(true);
    expect(isBusy('running')).toBe(true);
    expect(isBusy('waiting_approval')).toBe(true);
    expect(isBusy('done')).toBe(false);
    expect(isBusy('idle')).toBe(false);
    expect(isBusy('error')).toBe(false);
  });
});

describe('ChatModel', () => {
  it('emits changed only when something changed', () => {
    const model = new ChatModel();
    const changes = jest.fn();
    model.changed.connect(changes);
    model.apply({ type: 'snapshot', chat, entries: [user], state: 'idle' });
    expect(changes).toHaveBeenCalledTimes(1);
    model.apply({ type: 'ops', path: 'a.ipynb', chat_id: 'c1', ops: [] });
    expect(changes).toHaveBeenCalledTimes(1);
    model.apply({ type: 'state', state: 'thinking', tokens: 0 });
    expect(model.busy).toBe(true);
    expect(changes).toHaveBeenCalledTimes(2);
    model.connection = 'open';
    model.connection = 'open';
    expect(changes).toHaveBeenCalledTimes(3);
    model.setProblem('nope');
    expect(model.snapshot.problem).toBe('nope');
    model.clearProblem();
    model.clearProblem();
    expect(model.snapshot.problem).toBeNull();
    expect(changes).toHaveBeenCalledTimes(5);
  });
});
