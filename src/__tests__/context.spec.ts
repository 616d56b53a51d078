import {
  askAboutCellMessage,
  fixErrorMessage,
  formatContext,
  ICellSnapshot,
  INotebookSnapshot
} from '../context';
import { DEFAULT_CONTEXT_LIMITS } from '../context';

const cell = (index: number, source: string): ICellSnapshot => ({
  index,
  type: 'code',
  source,
  outputs: [],
  executionCount: index + 1
});

const notebook = (
  cells: ICellSnapshot[],
  activeIndex: number | null,
  variables: string | null = null
): INotebookSnapshot => ({
  path: 'work/sales.ipynb',
  kernel: 'Python 3 (ipykernel)',
  cells,
  activeIndex,
  variables
});

describe('formatContext', () => {
  const cells = Array.from({ length: 10 }, (_, i) => cell(i, `step_${i}()`));

  it('sends the cells before the selected one, the selected one and the variables', () => {
    const text = formatContext(notebook(cells, 6, 'df: DataFrame (3, 2)'), {
      ...DEFAULT_CONTEXT_LIMITS,
      cells: 2
    });
    expect(text).toContain(
      'Notebook work/sales.ipynb (kernel: Python 3 (ipykernel)), 10 cells.'
    );
    expect(text).not.toContain('step_3()');
    expect(text).toContain('--- cell 5 (code) [In 5] ---\nstep_4()');
    expect(text).toContain('step_5()');
    expect(text).toContain('--- selected cell 7 (code) [In 7] ---\nstep_6()');
    expect(text).not.toContain('step_7()');
    expect(text).toContain('Kernel variables:\ndf: DataFrame (3, 2)');
  });

  it("puts the chat's own cells and the user's changes before the cells", () => {
    const text = formatContext({
      ...notebook(cells, null),
      agentCells: 'Cells you wrote in this chat: c1a2',
      changes: 'Changes the user made since you last looked: none'
    });
    const header = text.indexOf('Notebook work/sales.ipynb');
    const own = text.indexOf('Cells you wrote');
    const changes = text.indexOf('Changes the user made');
    expect(header).toBe(0);
    expect(own).toBeGreaterThan(header);
    expect(changes).toBeGreaterThan(own);
    expect(text.indexOf('step_9()')).toBeGreaterThan(changes);
  });

  it('uses the last cells when no cell is selected', () => {
    const text = formatContext(notebook(cells, null), {
      ...DEFAULT_CONTEXT_LIMITS,
      cells: 1
    });
    expect(text).toContain('step_9()');
    expect(text).not.toContain('step_8()');
    expect(text).not.toContain('selected');
    expect(text).not.toContain('Kernel variables');
  });

  it('includes outputs as text', () => {
    const withOutput: ICellSnapshot = {
      ...cell(0, 'print(1)'),
      outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
    };
    expect(formatContext(notebook([withOutput], 0))).toContain(
      '--- output ---\n1'
    );
  });

  it('stays within the size limit, dropping the oldest cells first', () => {
    const big = Array.from({ length: 10 }, (_, i) =>
      cell(i, `cell_${i} ` + 'x'.repeat(500))
    );
    const limits = { ...DEFAULT_CONTEXT_LIMITS, cells: 10, maxChars: 1500 };
    const text = formatContext(notebook(big, 9), limits);
    expect(text.length).toBeLessThanOrEqual(1500 + 60);
    expect(text).toContain('cell_9');
    expect(text).toContain('cell_8');
    expect(text).not.toContain('cell_0');
  });

  it('cuts a long cell in the middle', () => {
    const long = cell(0, 'BEGIN' + 'y'.repeat(5000) + 'END');
    const text = formatContext(notebook([long], 0), {
      ...DEFAULT_CONTEXT_LIMITS,
      maxSourceChars: 100
    });
    expect(text).toContain('BEGIN');
    expect(text).toContain('END');
    expect(text).toContain('characters cut');
  });
});

describe('command messages', () => {
  it('sends the source and the traceback of the failing cell', () => {
    const text = fixErrorMessage(
      '1/0',
      {
        output_type: 'error',
        ename: 'ZeroDivisionError',
        evalue: 'division by zero',
        traceback: ['\u001b[31mZeroDivisionError\u001b[0m: division by zero']
      },
      4
    );
    expect(text).toContain('cell 4');
    expect(text).toContain('```python\n1/0\n```');
    expect(text).toContain('ZeroDivisionError: division by zero');
    expect(text).not.toContain('\u001b');
  });

  it('quotes the cell to ask about', () => {
    expect(askAboutCellMessage('df.head()', 2)).toBe(
      'About cell 2:\n```python\ndf.head()\n```\n'
    );
  });
});
