import * as fs from 'fs';
import * as path from 'path';

import {
  CHAT_STATES,
  ClientMessage,
  EXECUTION_STATUSES,
  IChatEntry,
  isChatEntry,
  parseServerMessage,
  ROLES,
  ServerMessage
} from '../wire';

const chat = { id: 'c1', path: 'a.ipynb', title: 'a', created: 1, updated: 2 };
const entry: IChatEntry = { id: 'e1', role: 'user', time: 3, text: 'hi' };

const VALID: ServerMessage[] = [
  { type: 'snapshot', chat, entries: [entry], state: 'idle' },
  { type: 'entry', entry },
  { type: 'delta', id: 'e2', text: 'Hel' },
  { type: 'state', state: 'thinking', tokens: 12 },
  {
    type: 'execute',
    request_id: 'r1',
    action_id: 'a1',
    turn: 1,
    code: 'x = 1',
    timeout: 30,
    approval: 'auto',
    path: 'a.ipynb'
  },
  { type: 'interrupt', request_id: 'r1' },
  { type: 'tool_result', call_id: 'm1', value: '{"ok": true, "value": 1}' },
  { type: 'chat', chat },
  { type: 'problem', message: 'A run is going on.' }
];

describe('parseServerMessage', () => {
  it.each(VALID.map(message => [message.type, message]))(
    'accepts a valid %s message, as JSON text or object',
    (_, message) => {
      expect(parseServerMessage(JSON.stringify(message))).toEqual(message);
      expect(parseServerMessage(message)).toEqual(message);
    }
  );

  it('accepts an execute that carries the tools, and one with none', () => {
    const tools = { setup: 'exec(...)', nonce: 'n1' };
    for (const message of [
      { ...VALID[4], tools },
      { ...VALID[4], tools: null }
    ]) {
      expect(parseServerMessage(message)).toEqual(message);
    }
    expect(
      parseServerMessage({ ...VALID[4], tools: { setup: 1, nonce: 'n1' } })
    ).toBeNull();
    expect(
      parseServerMessage({ type: 'tool_result', call_id: 'm1' })
    ).toBeNull();
  });

  it('accepts an execute that keeps a failed cell, cut or whole', () => {
    for (const trim_to of ['sales = {}', '']) {
      const message = { ...VALID[4], keeps: 'c1a2', trim_to };
      expect(parseServerMessage(message)).toEqual(message);
    }
    expect(parseServerMessage({ ...VALID[4], keeps: 3 })).toBeNull();
    expect(parseServerMessage({ ...VALID[4], trim_to: null })).toBeNull();
  });

  it('accepts an execute without a timeout', () => {
    const message = { ...VALID[4], timeout: null };
    expect(parseServerMessage(message)).toEqual(message);
  });

  it.each([
    ['not JSON', '{"type": '],
    ['not an object', '[1, 2]'],
    ['an unknown type', { type: 'shout', text: 'hi' }],
    ['a delta without text', { type: 'delta', id: 'e2' }],
    ['an unknown state', { type: 'state', state: 'sleeping', tokens: 0 }],
    ['a state without tokens', { type: 'state', state: 'idle' }],
    ['an execute with a bad approval', { ...VALID[4], approval: 'sometimes' }],
    ['an execute without a path', { ...VALID[4], path: undefined }],
    ['a chat without a path', { type: 'chat', chat: { ...chat, path: 3 } }],
    [
      'a snapshot with a bad entry',
      { ...VALID[0], entries: [{ ...entry, role: 'robot' }] }
    ]
  ])('rejects %s', (_, data) => {
    expect(parseServerMessage(data)).toBeNull();
  });
});

describe('isChatEntry', () => {
  it('checks the optional fields that are present', () => {
    const observation: IChatEntry = {
      id: 'o1',
      role: 'observation',
      time: 1,
      action_id: 'a1',
      status: 'error',
      outputs: [{ output_type: 'stream', name: 'stdout', text: 'x' }],
      execution_count: null,
      cell_id: null,
      duration_ms: 12.5,
      note: 'The cell was interrupted before it finished.'
    };
    expect(isChatEntry(observation)).toBe(true);
    expect(isChatEntry({ ...observation, note: 3 })).toBe(false);
    expect(isChatEntry({ ...observation, status: 'exploded' })).toBe(false);
    expect(isChatEntry({ ...observation, outputs: ['x'] })).toBe(false);
    expect(isChatEntry({ ...observation, streaming: 'yes' })).toBe(false);
    expect(isChatEntry({ ...observation, time: undefined })).toBe(false);
  });

  it('knows code deltas and condensed entries', () => {
    const code = { type: 'delta', id: 'a', text: 'x', field: 'code' };
    expect(parseServerMessage(JSON.stringify(code))).toEqual(code);
    expect(parseServerMessage({ ...code, field: 'prose' })).toBeNull();
    expect(
      isChatEntry({ id: 'c', role: 'condensed', time: 1, text: 'Older...' })
    ).toBe(true);
  });

  it('knows reasoning entries and the prose of a reply', () => {
    const thinking = {
      id: 't1',
      role: 'thinking',
      time: 1,
      text: 'hm',
      streaming: false,
      duration_ms: 2000
    };
    expect(isChatEntry(thinking)).toBe(true);
    expect(isChatEntry({ ...thinking, role: 'assistant', prose: 'hi' })).toBe(
      true
    );
    expect(isChatEntry({ ...thinking, prose: 3 })).toBe(false);
  });
});

/**
 * The TypeScript side must follow `protocol.py`: same states, roles,
 * statuses and message types.
 */
describe('the mirror of protocol.py', () => {
  const source = fs.readFileSync(
    path.join(__dirname, '../../jupyter_codeact/server/protocol.py'),
    'utf8'
  );
  const literal = (name: string): string[] => {
    const match = new RegExp(`${name} = Literal\\[([^\\]]*)\\]`).exec(source);
    expect(match).not.toBeNull();
    return [...match![1].matchAll(/"([^"]+)"/g)].map(m => m[1]);
  };
  const events = fs.readFileSync(
    path.join(__dirname, '../../jupyter_codeact/core/events.py'),
    'utf8'
  );

  it('has the same chat states and roles', () => {
    expect([...CHAT_STATES].sort()).toEqual(literal('ChatState').sort());
    expect([...ROLES].sort()).toEqual(literal('Role').sort());
  });

  it('has the same execution statuses', () => {
    const match = /ExecutionStatus = Literal\[([^\]]*)\]/.exec(events);
    const statuses = [...match![1].matchAll(/"([^"]+)"/g)].map(m => m[1]);
    expect([...EXECUTION_STATUSES].sort()).toEqual(statuses.sort());
  });

  it('knows every client message type the docstring lists', () => {
    const clientPart = source.slice(
      source.indexOf('client -> server'),
      source.indexOf('server -> client')
    );
    const types = [...clientPart.matchAll(/\{"type": "([a-z_]+)"/g)].map(
      m => m[1]
    );
    const ours: ClientMessage['type'][] = [
      'hello',
      'user_message',
      'stop',
      'approved',
      'execute_result',
      'tool_call'
    ];
    expect(types.sort()).toEqual(ours.sort());
  });

  it('knows every server message type the docstring lists', () => {
    const serverPart = source.slice(
      source.indexOf('server -> client'),
      source.indexOf('"""', source.indexOf('server -> client'))
    );
    const types = [...serverPart.matchAll(/\{"type": "([a-z_]+)"/g)].map(
      m => m[1]
    );
    expect(types.sort()).toEqual(VALID.map(m => m.type).sort());
  });
});
