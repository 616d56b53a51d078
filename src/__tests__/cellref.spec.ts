import {
  cellName,
  isUserCell,
  replacementNote,
  rewriteTargets,
  stepTitle
} from '../panel/cellref';
import { IChatEntry } from '../wire';

describe('cell references in the user’s words', () => {
  it('names a cell by its execution count, else by its place', () => {
    expect(cellName({ executionCount: 3 })).toBe('[3]');
    expect(
      cellName({ executionCount: 3, position: { index: 0, count: 7 } })
    ).toBe('[3]');
    expect(
      cellName({ executionCount: null, position: { index: 2, count: 7 } })
    ).toBe('cell 3 of 7');
    expect(cellName({})).toBeNull();
  });

  it('titles a step by its cell, never by the model’s id', () => {
    expect(
      stepTitle({ cell: { executionCount: 4 }, userCell: false, ran: true })
    ).toBe('Cell [4]');
    expect(
      stepTitle({
        cell: { position: { index: 1, count: 2 } },
        userCell: false,
        ran: true
      })
    ).toBe('Cell 2 of 2');
    // Still running: a new cell, or the one it rewrites.
    expect(stepTitle({ cell: {}, userCell: false, ran: false })).toBe(
      'New cell'
    );
    expect(
      stepTitle({
        cell: {},
        replaces: { executionCount: 2 },
        userCell: false,
        ran: false
      })
    ).toBe('Cell [2]');
    // Skipped: no cell at all.
    expect(stepTitle({ cell: {}, userCell: false, ran: true })).toBe('Code');
    expect(
      stepTitle({ cell: { executionCount: 5 }, userCell: true, ran: true })
    ).toBe('Change to your cell [5]');
    for (const title of [
      stepTitle({ cell: {}, userCell: true, ran: false }),
      replacementNote(true, { executionCount: 2 })
    ]) {
      expect(title).not.toMatch(/\b[cu][0-9a-f]{3,}\b/);
    }
  });

  it('says what became of a rewrite', () => {
    expect(replacementNote(undefined, { executionCount: 2 })).toBe(
      'rewrites cell [2]'
    );
    expect(replacementNote(true, { executionCount: 2 })).toBe(
      'rewrote cell [2]'
    );
    expect(replacementNote(false, { position: { index: 0, count: 3 } })).toBe(
      'new cell: cell 1 of 3 could not be changed'
    );
    expect(replacementNote(undefined, null)).toBe('rewrites the earlier cell');
  });

  it('tells the user’s cells from the agent’s', () => {
    expect(isUserCell('u3a2')).toBe(true);
    expect(isUserCell('c10f')).toBe(false);
    expect(isUserCell(undefined)).toBe(false);
  });

  it('names the cell a fix rewrote as it was before the fix', () => {
    const entries: IChatEntry[] = [
      {
        id: 'a1',
        role: 'action',
        time: 1,
        action_id: 'x1',
        cell: 'c10f',
        cell_id: 'nb-1'
      },
      {
        id: 'o1',
        role: 'observation',
        time: 2,
        action_id: 'x1',
        execution_count: 2,
        cell_id: 'nb-1'
      },
      {
        id: 'a2',
        role: 'action',
        time: 3,
        action_id: 'x2',
        cell: 'c10f',
        replaces: 'c10f',
        replaced: true
      },
      {
        id: 'o2',
        role: 'observation',
        time: 4,
        action_id: 'x2',
        execution_count: 3
      }
    ];
    const targets = rewriteTargets(entries);
    expect(targets.get('x2')).toEqual({ cellId: 'nb-1', executionCount: 2 });
    expect(targets.has('x1')).toBe(false);
  });
});
