/**
 * The tools action style in the panel: the code of a native tool call
 * streams into the chat as its arguments arrive, then runs as a cell of the
 * notebook, and its output goes back as the call's result.
 */
import { expect } from '@jupyterlab/galata';

import { test } from './fixtures';
import {
  agentCells,
  ask,
  chatPanel,
  entries,
  llmRequests,
  notebookWithChat,
  script,
  setSetting
} from './helpers';

test.use({ autoGoto: true });

test('tools style: the code streams in, runs as a cell, and answers the call', async ({
  page
}) => {
  // Long enough to be seen while it streams: the stream holds back as many characters as
  // the longest secret it must redact (the test server's MCP tokens), until it ends.
  const code =
    '# Sum the values, then show the total.\n' +
    'values = [3, 4, 5]\n' +
    'total = sum(values)\n' +
    "print(f'{total}')  # the sum of the three values";
  await script([
    {
      content: 'Summing them.',
      tool_calls: [{ name: 'execute_python', arguments: { code } }],
      chunk_size: 3,
      chunk_delay: 0.1
    },
    'The sum is **12**.'
  ]);
  await notebookWithChat(page, 'tools.ipynb');
  await setSetting(page, 'actionStyle', 'tools');
  try {
    await ask(page, 'Sum 3, 4 and 5.');
    // Live: the code shows in the reply while the call is still streaming.
    const draft = chatPanel(page).getByLabel('Code being written');
    await expect(draft).toContainText('values = [3');
    await expect(entries(page, 'final')).toContainText('The sum is 12.');
    await expect(draft).toHaveCount(0);
    await expect(entries(page, 'assistant').first()).toHaveText(
      'Summing them.'
    );
    await expect(entries(page, 'action')).toContainText('total = sum(values)');
    await expect(entries(page, 'observation')).toContainText('12');

    const cells = await agentCells(page);
    expect(cells.map(cell => [cell.source, cell.output])).toEqual([
      [code, '12\n']
    ]);
    const requests = await llmRequests();
    expect(requests).toHaveLength(2);
    expect(requests[0].body.tools?.[0].function.name).toBe('execute_python');
    const result = requests[1].body.messages.at(-1)!;
    expect(result.role).toBe('tool');
    // The panel keeps actions as cells: the result names the cell it ran in.
    expect(result.content).toMatch(
      /^Observation:\n12\n\(This ran in cell c[0-9a-f]+\.\)$/
    );
  } finally {
    await setSetting(page, 'actionStyle', null);
  }
});
