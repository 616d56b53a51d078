import { ICodeCellModel } from '@jupyterlab/cells';
import { NotebookModel, NotebookPanel } from '@jupyterlab/notebook';

import { ApplierState, appliedMarks, applyOps } from '../notebook/apply';
import { mergedWrites } from '../notebook/disk';
import { sourceHash } from '../notebook/provenance';
import { DocumentOp } from '../wire';

const mark = {
  chat_id: 'c1',
  turn: 1,
  action_id: 'a',
  request_id: 'r',
  cell: 'c3a1'
};

/** A notebook panel as the applier sees it: its model, its cell widgets. */
function panelWith(cells: { id: string; source: string }[]): NotebookPanel {
  const model = new NotebookModel();
  model.sharedModel.insertCells(
    0,
    cells.map(cell => ({ ...cell, cell_type: 'code' as const }))
  );
  return {
    content: { model, widgets: [] },
    isVisible: false
  } as unknown as NotebookPanel;
}

function cellsOf(panel: NotebookPanel): { id: string; source: string }[] {
  const list = panel.content.model!.cells;
  const found = [];
  for (let index = 0; index < list.length; index++) {
    const cell = list.get(index);
    found.push({ id: cell.id, source: cell.sharedModel.getSource() });
  }
  return found;
}

function code(panel: NotebookPanel, id: string): ICodeCellModel {
  const list = panel.content.model!.cells;
  for (let index = 0; index < list.length; index++) {
    if (list.get(index).id === id) {
      return list.get(index) as ICodeCellModel;
    }
  }
  throw new Error(`no cell ${id}`);
}

const RUN: DocumentOp[] = [
  {
    op: 'insert',
    seq: 1,
    cell: {
      id: 'agent',
      cell_type: 'code',
      source: 'print(1)',
      metadata: { codeact: { ...mark, code_hash: sourceHash('print(1)') } },
      outputs: [],
      execution_count: null
    },
    after: '',
    selected: 'u1',
    at_end: false
  },
  { op: 'running', seq: 2, cell_id: 'agent' },
  {
    op: 'stream',
    seq: 3,
    cell_id: 'agent',
    index: 0,
    name: 'stdout',
    offset: 0,
    text: 'one\n'
  },
  {
    op: 'stream',
    seq: 4,
    cell_id: 'agent',
    index: 0,
    name: 'stdout',
    offset: 4,
    text: 'two\n'
  },
  {
    op: 'outputs',
    seq: 5,
    cell_id: 'agent',
    outputs: [{ output_type: 'stream', name: 'stdout', text: 'one\ntwo\n' }],
    execution_count: 3
  }
];

describe('applyOps', () => {
  const apply = (
    panel: NotebookPanel,
    ops: DocumentOp[],
    state = new ApplierState()
  ) => applyOps({ panel, chatId: 'c1', ops, state, untrusted: false });

  it('puts the cell below the selected one, streams its outputs, records the number', () => {
    const panel = panelWith([
      { id: 'u1', source: 'a = 1' },
      { id: 'u2', source: 'b = 2' }
    ]);
    const state = new ApplierState();
    apply(panel, RUN.slice(0, 3), state);
    const agent = code(panel, 'agent');
    expect(cellsOf(panel).map(cell => cell.id)).toEqual(['u1', 'agent', 'u2']);
    expect(agent.executionState).toBe('running');
    expect(agent.outputs.toJSON()).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'one\n' }
    ]);
    apply(panel, RUN.slice(3), state);
    expect(agent.outputs.toJSON()).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'one\ntwo\n' }
    ]);
    expect(agent.executionCount).toBe(3);
    expect(agent.executionState).toBe('idle');
    expect(appliedMarks(panel)).toEqual({ c1: 5 });
  });

  it('changes nothing when the same operations come again', () => {
    const panel = panelWith([{ id: 'u1', source: 'a = 1' }]);
    apply(panel, RUN);
    const before = panel.content.model!.toJSON();
    const touched = apply(
      panel,
      RUN.filter(op => op.op !== 'running')
    );
    // The stream pieces are already there: only the final state is set again.
    expect([...touched]).toEqual(['agent']);
    expect(panel.content.model!.toJSON()).toEqual(before);
    expect(cellsOf(panel)).toHaveLength(2);
  });

  it('keeps a failed cell cut or tagged, once, and a replacement untags it', () => {
    const failed = "sales = {'a': 1}\nprint(sales['A'])";
    const error = {
      output_type: 'error',
      ename: 'KeyError',
      evalue: "'A'",
      traceback: []
    };
    const shown = { output_type: 'stream', name: 'stdout', text: 'loaded\n' };
    const insert: DocumentOp = {
      op: 'insert',
      seq: 1,
      cell: {
        id: 'kept',
        cell_type: 'code',
        source: failed,
        metadata: { codeact: { ...mark, code_hash: sourceHash(failed) } },
        outputs: [shown, error],
        execution_count: 1
      },
      after: '',
      selected: '',
      at_end: true
    };
    const cut = "sales = {'a': 1}";
    const trim: DocumentOp = {
      op: 'keep',
      seq: 2,
      cell_id: 'kept',
      trim_to: cut,
      code_hash: sourceHash(cut)
    };
    const panel = panelWith([]);
    apply(panel, [insert, trim]);
    const kept = code(panel, 'kept');
    expect(kept.sharedModel.getSource()).toBe(cut);
    expect(kept.outputs.toJSON()).toEqual([shown]);
    expect(kept.getMetadata('codeact')).toEqual({
      ...mark,
      code_hash: sourceHash(cut),
      kept: 'trimmed'
    });
    expect(kept.getMetadata('tags')).toBeUndefined();
    expect([...apply(panel, [trim])]).toEqual([]); // again: nothing changes

    const whole = panelWith([]);
    const tag: DocumentOp = {
      op: 'keep',
      seq: 2,
      cell_id: 'kept',
      trim_to: ''
    };
    apply(whole, [insert, tag]);
    const marked = code(whole, 'kept');
    expect(marked.sharedModel.getSource()).toBe(failed);
    expect(marked.outputs.length).toBe(2);
    expect(marked.getMetadata('tags')).toEqual(['raises-exception']);
    expect(marked.getMetadata('codeact').kept).toBe('failed');
    expect([...apply(whole, [tag])]).toEqual([]);
    // A full replacement takes the tag off before its provenance drops `kept`.
    apply(whole, [
      { op: 'unmark', seq: 3, cell_id: 'kept' },
      { op: 'source', seq: 4, cell_id: 'kept', source: 'fixed()' },
      { op: 'provenance', seq: 5, cell_id: 'kept', value: mark }
    ]);
    expect(marked.getMetadata('tags')).toBeUndefined();
    expect(marked.getMetadata('codeact')).toEqual(mark);
    // A tag on a cell that was not kept whole is the user's: it stays.
    marked.setMetadata('tags', ['raises-exception']);
    expect([
      ...apply(whole, [{ op: 'unmark', seq: 6, cell_id: 'kept' }])
    ]).toEqual([]);
    expect(marked.getMetadata('tags')).toEqual(['raises-exception']);
  });

  it('marks a pending cell and removes it only for its own request', () => {
    const pendingMark = { ...mark, pending: { request_id: 'r9' } };
    const insert: DocumentOp = {
      ...(RUN[0] as any),
      cell: { ...(RUN[0] as any).cell, metadata: { codeact: pendingMark } }
    };
    const panel = panelWith([{ id: 'u1', source: 'a = 1' }]);
    apply(panel, [insert]);
    const other = { op: 'remove', cell_id: 'agent', request_id: 'r8' };
    expect([...apply(panel, [{ ...other, seq: 2 } as DocumentOp])]).toEqual([]);
    expect([
      ...apply(panel, [
        { op: 'remove', seq: 3, cell_id: 'u1', request_id: 'r9' }
      ])
    ]).toEqual([]); // a cell that waits for nothing stays
    apply(panel, [
      { op: 'remove', seq: 4, cell_id: 'agent', request_id: 'r9' }
    ]);
    expect(cellsOf(panel).map(cell => cell.id)).toEqual(['u1']);

    // A replacement waits in its cell, as a proposal, then the mark goes.
    const replaced = panelWith([]);
    apply(replaced, RUN.slice(0, 1));
    const proposal = { request_id: 'r10', code: 'print(2)' };
    apply(replaced, [
      { op: 'pending', seq: 2, cell_id: 'agent', value: proposal }
    ]);
    const cell = code(replaced, 'agent');
    expect(cell.getMetadata('codeact').pending).toEqual(proposal);
    expect(cell.sharedModel.getSource()).toBe('print(1)');
    expect([
      ...apply(replaced, [
        { op: 'pending', seq: 3, cell_id: 'agent', value: proposal }
      ])
    ]).toEqual([]);
    apply(replaced, [{ op: 'pending', seq: 4, cell_id: 'agent', value: null }]);
    expect(cell.getMetadata('codeact').pending).toBeUndefined();
  });

  it('never brings back a cell the user deleted', () => {
    const panel = panelWith([{ id: 'u1', source: 'a = 1' }]);
    apply(panel, RUN.slice(0, 1));
    panel.content.model!.sharedModel.deleteCell(1);
    apply(panel, RUN.slice(1));
    expect(cellsOf(panel).map(cell => cell.id)).toEqual(['u1']);
  });

  it('replaces a source and leaves an explanation the user rewrote', () => {
    const panel = panelWith([{ id: 'u1', source: 'a = 1' }]);
    apply(panel, RUN);
    const explanation = (id: string, text: string): DocumentOp => ({
      op: 'narrate',
      seq: 7,
      cell_id: 'agent',
      cell: {
        id,
        cell_type: 'markdown',
        source: text,
        metadata: {
          codeact: { ...mark, role: 'narration', code_hash: sourceHash(text) }
        }
      }
    });
    apply(panel, [
      { op: 'source', seq: 6, cell_id: 'agent', source: 'print(2)' },
      explanation('n1', 'First.')
    ]);
    expect(cellsOf(panel).map(cell => cell.source)).toEqual([
      'a = 1',
      'First.',
      'print(2)'
    ]);
    panel.content.model!.cells.get(1).sharedModel.setSource('Mine.');
    apply(panel, [explanation('n2', 'Second.')]);
    expect(cellsOf(panel).map(cell => cell.source)).toEqual([
      'a = 1',
      'Mine.',
      'print(2)'
    ]);
  });
});

describe('ApplierState.record', () => {
  it('records after lasting operations, and after live ones once a second', () => {
    const state = new ApplierState();
    expect(state.record('c1', true, 0)).toBe(true);
    expect(state.record('c1', false, 500)).toBe(false);
    expect(state.record('c2', false, 500)).toBe(true); // another chat
    expect(state.record('c1', true, 600)).toBe(true);
    expect(state.record('c1', false, 1700)).toBe(true);
  });
});

describe('mergedWrites', () => {
  const writes = [
    { before: 'h0', after: 'h1', applied: { c1: 5 } },
    { before: 'h1', after: 'h2', applied: { c1: 9 } }
  ];

  it('takes the file as the page its own when only the server wrote it since', () => {
    expect(mergedWrites('h0', writes, { c1: 9 })).toBe(true);
    expect(mergedWrites('h1', writes, { c1: 12 })).toBe(true);
  });

  it('refuses when the page lacks what was written, or someone else wrote', () => {
    expect(mergedWrites('h0', writes, { c1: 8 })).toBe(false);
    expect(mergedWrites('hx', writes, { c1: 9 })).toBe(false);
    const broken = [writes[0], { ...writes[1], before: 'other' }];
    expect(mergedWrites('h0', broken, { c1: 9 })).toBe(false);
    expect(mergedWrites(null, writes, { c1: 9 })).toBe(false);
  });
});
