import { fixErrorMessage } from '../context';
import { repeatedAnswers } from '../model';
import { chatMarkdown, exportFileName } from '../panel/export';
import { blockSummary, userParts } from '../panel/usertext';
import { IChatEntry, TABLE_MIME } from '../wire';

describe("the user's message", () => {
  it('shows the code of Fix the Error as code and folds its traceback', () => {
    const message = fixErrorMessage(
      'ratio = 1 / 0',
      {
        output_type: 'error',
        ename: 'ZeroDivisionError',
        evalue: 'division by zero',
        traceback: ['Traceback (most recent call last):', '  line 1']
      },
      1
    );
    const parts = userParts(message);
    expect(parts.map(part => part.kind)).toEqual([
      'text',
      'code',
      'text',
      'block'
    ]);
    expect(parts[1].text).toBe('ratio = 1 / 0');
    expect(parts[3].text).toContain('Traceback');
    expect(blockSummary(parts[3].text)).toBe(
      'ZeroDivisionError: division by zero (3 lines)'
    );
    // Nothing of the fences is shown.
    expect(parts.some(part => part.text.includes('```'))).toBe(false);
  });

  it('keeps an unclosed fence as the text it is', () => {
    expect(userParts('look:\n```\nstill typing')).toEqual([
      { kind: 'text', text: 'look:\n```\nstill typing', language: '' }
    ]);
  });
});

describe('each answer once', () => {
  const answer = 'The total is **$32,000**.';
  it('hides a plain-prose reply that is the answer', () => {
    const entries: IChatEntry[] = [
      {
        id: 'a',
        role: 'assistant',
        time: 1,
        turn: 1,
        text: answer,
        prose: answer
      },
      { id: 'f', role: 'final', time: 2, turn: 1, text: answer }
    ];
    expect([...repeatedAnswers(entries)]).toEqual(['a']);
  });

  it('keeps prose that says more than the answer', () => {
    const entries: IChatEntry[] = [
      {
        id: 'a',
        role: 'assistant',
        time: 1,
        turn: 2,
        text: 'Summing the regions.\n<solution>32,000</solution>',
        prose: 'Summing the regions.'
      },
      { id: 'f', role: 'final', time: 2, turn: 2, text: '32,000' }
    ];
    expect(repeatedAnswers(entries).size).toBe(0);
  });
});

describe('a chat exported as Markdown', () => {
  it('has the requests, steps, outputs and answer, each once', () => {
    const chat = {
      id: 'c',
      path: 'sales.ipynb',
      title: 'Revenue by region?',
      created: 0,
      updated: 0
    };
    const text = chatMarkdown(chat, [
      { id: 'u', role: 'user', time: 1, text: 'Revenue by region?' },
      { id: 'x', role: 'action', time: 2, code: 'df.groupby("region").sum()' },
      {
        id: 'o',
        role: 'observation',
        time: 3,
        status: 'ok',
        outputs: [
          {
            output_type: 'execute_result',
            execution_count: 1,
            metadata: {},
            data: {
              'text/plain': 'region ...',
              [TABLE_MIME]: {
                head: [['', 'revenue']],
                body: [['North', '18100']],
                index_columns: 1
              }
            }
          }
        ]
      },
      {
        id: 'a',
        role: 'assistant',
        time: 4,
        turn: 2,
        text: 'North.',
        prose: 'North.'
      },
      { id: 'f', role: 'final', time: 5, turn: 2, text: 'North.' }
    ]);
    expect(text).toContain('# Revenue by region?');
    expect(text).toContain('**You:**\n\nRevenue by region?');
    expect(text).toContain('```python\ndf.groupby("region").sum()\n```');
    expect(text).toContain('| North | 18100 |');
    expect(text.match(/North\./g)).toHaveLength(1);
    expect(exportFileName(chat)).toBe('Revenue by region.md');
  });
});
