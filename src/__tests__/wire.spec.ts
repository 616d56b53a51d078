import * as fs from 'fs';
import * as path from 'path';

import {
  CHAT_STATES,
  ClientMessage,
  DOCUMENT_OPS,
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
    type: 'approval',
    approval: {
      request_id: 'r1',
      action_id: 'a1',
      kind: 'change',
      code: 'x = 1',
      path: 'a.ipynb',
      cell_id: 'c9',
      before: 'x = 0'
    }
  },
  {
    type: 'ops',
    path: 'a.ipynb',
    chat_id: 'c1',
    ops: [
      {
        op: 'insert',
        seq: 1,
        cell: { id: 'x1', cell_type: 'code', source: 'x = 1', metadata: {} },
        after: '',
        selected: 'c9',
        at_end: false
      },
      { op: 'running', seq: 2, cell_id: 'x1' },
      {
        op: 'stream',
        seq: 3,
        cell_id: 'x1',
        index: 0,
        name: 'stdout',
        offset: 0,
        text: 'hi'
      }
    ],
    disk: [{ before: 'h0', after: 'h1', applied: { c1: 3 } }]
  },
  {
    type: 'inspect',
    query_id: 'q1',
    path: 'a.ipynb',
    chat_id: 'c1',
    ref: 'c3a1',
    cell_id: 'x1',
    user: false
  },
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

  it('accepts no approval, and a snapshot that shows one or none', () => {
    for (const message of [
      { type: 'approval', approval: null },
      { ...VALID[0], approval: null },
      { ...VALID[0], approval: (VALID[4] as any).approval }
    ]) {
      expect(parseServerMessage(message)).toEqual(message);
    }
  });

  it.each([
    ['not JSON', '{"type": '],
    ['not an object', '[1, 2]'],
    ['an unknown type', { type: 'shout', text: 'hi' }],
    ['a delta without text', { type: 'delta', id: 'e2' }],
    ['an unknown state', { type: 'state', state: 'sleeping', tokens: 0 }],
    ['a state without tokens', { type: 'state', state: 'idle' }],
    [
      'an approval of an unknown kind',
      {
        type: 'approval',
        approval: { ...(VALID[4] as any).approval, kind: 'x' }
      }
    ],
    ['ops without a path', { ...VALID[5], path: undefined }],
    [
      'an unknown operation',
      { ...VALID[5], ops: [{ op: 'explode', seq: 1, cell_id: 'x' }] }
    ],
    [
      'an operation without its number',
      { ...VALID[5], ops: [{ op: 'running', cell_id: 'x' }] }
    ],
    ['an inspect without a cell', { ...VALID[6], cell_id: 3 }],
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
  const schema = fs.readFileSync(
    path.join(__dirname, '../../jupyter_codeact/server/wire_schema.py'),
    'utf8'
  );
  const literal = (name: string): string[] => {
    const match = new RegExp(`${name} = Literal\\[([^\\]]*)\\]`).exec(schema);
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

  it('has the same document operations', () => {
    const ops = fs.readFileSync(
      path.join(__dirname, '../../jupyter_codeact/server/document/ops.py'),
      'utf8'
    );
    const docstring = ops.slice(0, ops.indexOf('"""', 3));
    const listed = [...docstring.matchAll(/^- ``([a-z]+)``/gm)].map(m => m[1]);
    expect([...DOCUMENT_OPS].sort()).toEqual(listed.sort());
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
      'document',
      'user_message',
      'stop',
      'decide',
      'facts',
      'undo'
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
