import {
  changesSince,
  describeChanges,
  ILookedCell,
  look,
  lookAt
} from '../notebook/changes';
import { lineDiff, minimalEdit } from '../notebook/diff';
import {
  ICellInfo,
  sourceHash,
  userChange,
  whyNotReplaceable
} from '../notebook/provenance';
import { describeAgentCells } from '../notebook/read';
import { supersededActions } from '../model';
import { IChatEntry } from '../wire';

describe('lineDiff', () => {
  it('keeps the common lines and marks what was removed and added', () => {
    const before =
      'import pandas as pd\ndf = pd.read_csv("sales.csv")\ndf.head()';
    const after =
      'import pandas as pd\ndf = pd.read_csv("data/sales.csv")\ndf.head()';
    expect(lineDiff(before, after)).toEqual([
      { kind: 'same', text: 'import pandas as pd' },
      { kind: 'removed', text: 'df = pd.read_csv("sales.csv")' },
      { kind: 'added', text: 'df = pd.read_csv("data/sales.csv")' },
      { kind: 'same', text: 'df.head()' }
    ]);
  });

  it('handles lines added or removed anywhere', () => {
    const diff = lineDiff('a\nb\nc', 'a\nx\nc\nd');
    expect(diff.map(l => `${l.kind[0]}${l.text}`)).toEqual([
      'sa',
      'rb',
      'ax',
      'sc',
      'ad'
    ]);
    expect(lineDiff('', 'new').filter(l => l.kind !== 'same')).toHaveLength(2);
  });
});

describe('minimalEdit', () => {
  it('rewrites only the middle that differs', () => {
    expect(minimalEdit('print(totl)\n', 'print(total)\n')).toEqual({
      start: 9,
      end: 9,
      text: 'a'
    });
    const edit = minimalEdit('abc', 'xyz');
    expect(edit).toEqual({ start: 0, end: 3, text: 'xyz' });
    const before = 'x = 1\ny = 2';
    const after = 'x = 1\ny = 3';
    const { start, end, text } = minimalEdit(before, after);
    expect(before.slice(0, start) + text + before.slice(end)).toBe(after);
  });
});

const provenance = (source: string, count: number | null = 3) => ({
  codeact: {
    chat_id: 'chat',
    turn: 1,
    action_id: 'a',
    request_id: 'r',
    cell: 'c1a2',
    code_hash: sourceHash(source),
    execution_count: count
  }
});

const info = (
  source: string,
  metadata: Record<string, unknown>,
  executionCount: number | null = 3
): ICellInfo => ({
  id: Math.random().toString(),
  type: 'code',
  source,
  executionCount,
  metadata
});

describe('userChange and whyNotReplaceable', () => {
  const source = 'df.plot(title="Revenue")';

  it('sees an untouched cell, an edit and a run', () => {
    const meta = provenance(source).codeact;
    expect(userChange(meta, source, 3)).toBeNull();
    expect(userChange(meta, source, null)).toBeNull(); // outputs cleared
    expect(userChange(meta, source + ' ', 3)).toBe('edited');
    expect(userChange(meta, source, 4)).toBe('ran');
  });

  it('says why a cell of the chat cannot be replaced', () => {
    const mine = info(source, provenance(source));
    expect(whyNotReplaceable([mine], 'chat', 'c1a2')).toBeNull();
    expect(whyNotReplaceable([mine], 'other chat', 'c1a2')).toContain(
      'no longer in the notebook'
    );
    expect(
      whyNotReplaceable([info('edited', provenance(source))], 'chat', 'c1a2')
    ).toBe(
      'The user edited cell c1a2 since you wrote it, so it is theirs now.'
    );
    expect(
      whyNotReplaceable([info(source, provenance(source), 9)], 'chat', 'c1a2')
    ).toContain('The user ran cell c1a2');
    expect(whyNotReplaceable([mine, { ...mine }], 'chat', 'c1a2')).toContain(
      'copied it'
    );
  });

  it('never takes a user cell or an explanation for an agent cell', () => {
    const user = info(source, {});
    const narration = info(source, {
      codeact: { ...provenance(source).codeact, role: 'narration' }
    });
    expect(whyNotReplaceable([user, narration], 'chat', 'c1a2')).toContain(
      'no longer in the notebook'
    );
  });
});

describe('changes since the last look', () => {
  const cell = (
    id: string,
    source: string,
    executionCount: number | null = null,
    outputs: ILookedCell['outputs'] = []
  ): ILookedCell => ({ id, type: 'code', source, executionCount, outputs });

  it('tells what the user added, edited, ran and deleted', () => {
    const before = look([
      cell('a', 'x = 1', 1),
      cell('b', 'y = 2', 2),
      cell('c', 'old()', 3)
    ]);
    const now = [
      cell('a', 'x = 10', 1),
      cell('b', 'y = 2', 5, [
        { output_type: 'stream', name: 'stdout', text: 'two\n' }
      ]),
      cell('d', 'new()', null)
    ];
    const changes = changesSince(before, now);
    expect(changes.map(c => [c.kind, c.number])).toEqual([
      ['edited', 1],
      ['ran', 2],
      ['added', 3],
      ['deleted', null]
    ]);
    const text = describeChanges(changes);
    expect(text).toContain('- edited cell 1 (code) [In 1]:\nx = 10');
    expect(text).toContain('- ran cell 2 (code) [In 5]:\n  output:\ntwo');
    expect(text).toContain('- added cell 3 (code):\nnew()');
    expect(text).toContain('- deleted the cell that began: old()');
  });

  it('does not report what the agent itself did, once it has seen it', () => {
    const seen = look([cell('a', 'x = 1', 1)]);
    lookAt(seen, cell('b', 'agent()', 2));
    expect(
      changesSince(seen, [cell('a', 'x = 1', 1), cell('b', 'agent()', 2)])
    ).toEqual([]);
    expect(describeChanges([])).toBe('');
  });

  it('is bounded however much changed', () => {
    const many = Array.from({ length: 200 }, (_, i) =>
      cell(`n${i}`, 'x'.repeat(5000), i, [
        { output_type: 'stream', name: 'stdout', text: 'y'.repeat(5000) }
      ])
    );
    const text = describeChanges(changesSince(look([]), many));
    expect(text).toContain('- and 192 more changes');
    expect(text.length).toBeLessThan(12_000);
  });
});

describe('describeAgentCells', () => {
  it('lists the chat’s cells with their ids and what became of them', () => {
    const snapshot = (
      index: number,
      source: string,
      metadata: Record<string, unknown>,
      executionCount: number | null = 3,
      outputs: ILookedCell['outputs'] = []
    ) => ({
      index,
      type: 'code' as const,
      source,
      outputs,
      executionCount,
      metadata
    });
    const text = describeAgentCells(
      [
        snapshot(0, 'import pandas', {}),
        snapshot(1, 'df.plot()', provenance('df.plot()')),
        snapshot(2, 'edited', {
          codeact: { ...provenance('x').codeact, cell: 'c9' }
        }),
        snapshot(
          3,
          'boom()',
          { codeact: { ...provenance('boom()').codeact, cell: 'c7' } },
          3,
          [
            {
              output_type: 'error',
              ename: 'NameError',
              evalue: 'boom',
              traceback: []
            }
          ]
        )
      ],
      'chat'
    );
    expect(text.split('\n')).toEqual([
      'Cells you wrote in this chat (replace one by its id instead of adding a near-copy):',
      '- c1a2: cell 2, ok: df.plot()',
      '- c9: cell 3, edited by the user since: theirs now, cannot be replaced: edited',
      '- c7: cell 4, failed: boom()'
    ]);
    expect(describeAgentCells([], 'chat')).toBe('');
  });
});

describe('supersededActions', () => {
  const action = (id: string, cell: string, replaced = false): IChatEntry => ({
    id: `action-${id}`,
    role: 'action',
    time: 0,
    action_id: id,
    cell,
    replaced
  });

  it('folds the attempts a later fix replaced, and only those', () => {
    const entries = [
      action('1', 'c1'),
      action('2', 'c1', true),
      action('3', 'c2'),
      action('4', 'c1', true)
    ];
    expect([...supersededActions(entries)].sort()).toEqual(['1', '2']);
    expect(supersededActions([action('1', 'c1'), action('2', 'c2')]).size).toBe(
      0
    );
  });
});
