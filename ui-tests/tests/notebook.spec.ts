/**
 * The notebook as the deliverable: a fix replaces the failed cell (and the
 * notebook then runs top to bottom), Fix the Error edits the user's cell
 * through a diff they accept or reject, the agent revises its own cells
 * and never the user's, narration, the agent-cell marker.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { test } from './fixtures';
import {
  agentCells,
  ask,
  chatPanel,
  command,
  entries,
  llmRequests,
  notebookCells,
  notebookWithChat,
  requestText,
  script,
  setSetting,
  userCells
} from './helpers';

test.use({ autoGoto: true });

/** The cell widget at `index` of the current notebook. */
function cell(page: Page, index: number) {
  return page
    .locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell')
    .nth(index);
}

test.describe('replacing failed cells', () => {
  // Galata's kernel tracking cannot proxy a kernel restart: leave the
  // kernels API alone (the session fixture still shuts the kernel down).
  test.use({ kernels: null });

  test('a fix replaces its failed cell, and Restart and Run All runs clean', async ({
    page
  }) => {
    await script([
      'Computing the revenue.\n<execute>\nrevenue = [m * pric for m in months]\nprint(sum(revenue))\n</execute>',
      'The variable is `price`.\n<execute>\nrevenue = [m * price for m in months]\nprint(sum(revenue))\n</execute>',
      '<solution>The revenue adds up to **60**.</solution>'
    ]);
    await notebookWithChat(page, 'replace.ipynb');
    await userCells(page, ['months = [1, 2, 3]\nprice = 10']);
    await ask(page, 'Add up the revenue.');
    await expect(entries(page, 'final')).toContainText('60');

    // One agent cell, the fix, where the failed attempt was; the same id.
    const cells = await notebookCells(page);
    expect(cells.map(c => c.source)).toEqual([
      'months = [1, 2, 3]\nprice = 10',
      'revenue = [m * price for m in months]\nprint(sum(revenue))'
    ]);
    expect(cells[1].output).toBe('60\n');
    const id = cells[1].codeact!.cell;
    expect(id).toMatch(/^c[0-9a-f]{3}$/);
    const requests = await llmRequests();
    expect(requestText(requests[1])).toContain(
      `Your next action replaces the code of cell ${id}`
    );

    // The chat keeps the failed attempt, folded, with its code and error.
    const attempt = entries(page, 'action').first();
    await expect(attempt.locator('summary')).toContainText(
      'replaced by a later fix'
    );
    await expect(attempt.locator('pre')).toBeHidden();
    await attempt.locator('summary').click();
    await expect(attempt.locator('pre')).toContainText('pric for m');
    const failed = entries(page, 'observation').first();
    await failed.locator('summary').click();
    await expect(failed).toContainText("NameError: name 'pric' is not defined");
    // Named as the user sees the cell (its execution counts), never by the
    // model's id.
    await expect(entries(page, 'action').nth(1)).toContainText(
      /^Cell \[\d+\]rewrote cell \[\d+\]/
    );
    await expect(entries(page, 'action').nth(1)).not.toContainText(id);

    // The notebook the agent left runs top to bottom.
    // Not awaited: the command waits for its confirmation dialog.
    await page.evaluate(() => {
      void (window as any).jupyterapp.commands.execute(
        'notebook:restart-run-all'
      );
    });
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect
      .poll(async () =>
        (await notebookCells(page)).map(c => [c.executionCount, c.errors])
      )
      .toEqual([
        [1, 0],
        [2, 0]
      ]);
    expect((await notebookCells(page))[1].output).toBe('60\n');
  });

  test('a check after a failure keeps the cell it needs, and Restart and Run All runs clean', async ({
    page
  }) => {
    const sales = "sales = {'region': ['north', 'south'], 'revenue': [120, 80]}";
    await script([
      `Let me add up the revenue.\n<execute>\n${sales}\nprint(sum(sales['Revenue']))\n</execute>`,
      "There is no 'Revenue' key. Let me look at the keys:\n<execute>\nprint(list(sales))\n</execute>",
      "The key is lowercase.\n<execute>\nprint(sum(sales['revenue']))\n</execute>",
      '<solution>The total revenue is **200**.</solution>'
    ]);
    await notebookWithChat(page, 'diagnose.ipynb');
    await userCells(page, ['print("sales by region")']);
    await ask(page, 'What is the total revenue?');
    await expect(entries(page, 'final')).toContainText('200');

    // The failed cell stays, cut to what ran before its error; the check and
    // the fix go below it.
    let cells = await notebookCells(page);
    expect(cells.map(c => c.source)).toEqual([
      'print("sales by region")',
      sales,
      'print(list(sales))',
      "print(sum(sales['revenue']))"
    ]);
    expect(cells.map(c => c.errors)).toEqual([0, 0, 0, 0]);
    expect(cells[1].codeact!.kept).toBe('trimmed');
    await expect(entries(page, 'action').nth(1)).toContainText(
      'Kept the cell that defines `sales` (cut to the statements that ran before its error)'
    );
    const requests = await llmRequests();
    expect(requestText(requests[2])).toContain(
      `inserted after cell ${cells[1].codeact!.cell}`
    );

    await page.evaluate(() => {
      void (window as any).jupyterapp.commands.execute('notebook:restart-run-all');
    });
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect
      .poll(async () =>
        (await notebookCells(page)).map(c => [c.executionCount, c.errors])
      )
      .toEqual([
        [1, 0],
        [2, 0],
        [3, 0],
        [4, 0]
      ]);
    cells = await notebookCells(page);
    expect(cells[3].output).toBe('200\n');
  });

  test('a failed cell kept whole is marked, Run All goes on past it, and its full fix unmarks it', async ({
    page
  }) => {
    const rows = "rows = [{'revenue': 1}, {'Revenue': 2}]\ntotal = 0\nfor row in rows:";
    const fixed = `${rows}\n    total += row.get('revenue', row.get('Revenue'))`;
    await script([
      `<execute>\n${rows}\n    total += row['revenue']\n</execute>`,
      'Which row failed?\n<execute>\nprint(row, total)\n</execute>',
      '<solution>Row 2 uses another key.</solution>',
      {
        content: `<execute replace="{cell}">\n${fixed}\n</execute>`,
        quote: { cell: 'inserted after cell (c[0-9a-f]+)' }
      },
      '<solution>Fixed.</solution>'
    ]);
    await notebookWithChat(page, 'whole.ipynb');
    await userCells(page, ['print("rows")']);
    await ask(page, 'Add up the rows.');
    await expect(entries(page, 'final')).toContainText('Row 2');
    const tags = () =>
      page.evaluate(() => {
        const panel = (window as any).jupyterapp.shell.currentWidget;
        return panel.content.model.cells.get(1).getMetadata('tags') ?? null;
      });
    expect(await tags()).toEqual(['raises-exception']);
    await expect(entries(page, 'action').nth(1)).toContainText(
      'as it is, marked as failed'
    );

    const restartRunAll = async (expected: number[][]) => {
      await page.evaluate(() => {
        void (window as any).jupyterapp.commands.execute('notebook:restart-run-all');
      });
      await page.locator('.jp-Dialog .jp-mod-accept').click();
      await expect
        .poll(async () =>
          (await notebookCells(page)).map(c => [c.executionCount, c.errors])
        )
        .toEqual(expected);
    };
    // The marked cell fails again, and the cells below it still run.
    await restartRunAll([
      [1, 0],
      [2, 1],
      [3, 0]
    ]);
    expect((await notebookCells(page))[2].output).toBe("{'Revenue': 2} 1\n");

    // A complete fix, named by the cell's id, replaces it and takes the mark off.
    await ask(page, 'Fix the loop.');
    await expect(entries(page, 'final').last()).toContainText('Fixed.');
    expect((await notebookCells(page))[1].source).toBe(fixed);
    expect(await tags()).toBeNull();
    await restartRunAll([
      [1, 0],
      [2, 0],
      [3, 0]
    ]);
    expect((await notebookCells(page))[2].output).toBe("{'Revenue': 2} 3\n");
  });

  test('the setting off keeps the failed cell above its fix', async ({
    page
  }) => {
    await setSetting(page, 'replaceFailedCells', false);
    await script([
      '<execute>\nprint(totl)\n</execute>',
      '<execute>\ntotal = 5\nprint(total)\n</execute>',
      '<solution>total is 5</solution>'
    ]);
    await notebookWithChat(page, 'keep.ipynb');
    await ask(page, 'Print total.');
    await expect(entries(page, 'final')).toContainText('total is 5');
    expect((await agentCells(page)).map(c => c.source)).toEqual([
      'print(totl)',
      'total = 5\nprint(total)'
    ]);
    await setSetting(page, 'replaceFailedCells', true);
  });
});

test.describe('Fix the Error in This Cell', () => {
  const setUp = async (
    page: IJupyterLabPageFixture,
    name: string
  ): Promise<void> => {
    await notebookWithChat(page, name);
    await userCells(page, [
      'values = [1, 2, 3]',
      'ratio = sum(values) / 0\nprint(ratio)'
    ]);
    await page.notebook.selectCells(1);
    await command(page, 'codeact:fix-cell-error');
  };
  const FIX = 'ratio = sum(values) / len(values)\nprint(ratio)';

  test('Accept puts the fix in the cell and runs it there; Ctrl+Z brings it back', async ({
    page
  }, testInfo) => {
    await script([
      // An intermediate step: in a cell of the agent's own.
      'Let me look at the data.\n<execute>\nprint(len(values))\n</execute>',
      {
        content: `Dividing by zero; dividing by the count instead.\n<execute replace="{cell}">\n${FIX}\n</execute>`,
        quote: { cell: 'replace="(u[0-9a-f]+)"' }
      },
      '<solution>Fixed: the ratio is 2.0.</solution>'
    ]);
    await setUp(page, 'accept.ipynb');

    // The change is a diff in the user's cell, and in the chat's step.
    const proposal = cell(page, 1).locator('.jp-CodeAct-proposal');
    await expect(proposal).toBeVisible();
    await expect(proposal.locator('.jp-mod-removed')).toHaveText(
      '- ratio = sum(values) / 0'
    );
    await expect(proposal.locator('.jp-mod-added')).toHaveText(
      '+ ratio = sum(values) / len(values)'
    );
    await expect(
      entries(page, 'action').last().getByRole('button', { name: 'Accept' })
    ).toBeVisible();
    // Nothing changed in the cell yet; the intermediate step went below it.
    let cells = await notebookCells(page);
    expect(cells[1].source).toBe('ratio = sum(values) / 0\nprint(ratio)');
    expect(cells[2].source).toBe('print(len(values))');
    expect(cells[2].codeact).not.toBeNull();
    expect(cells[1].codeact).toBeNull();

    const shot = testInfo.outputPath('codeact-proposal.png');
    await cell(page, 1).screenshot({ path: shot });
    await testInfo.attach('codeact-proposal', {
      path: shot,
      contentType: 'image/png'
    });

    // Accepted from the keyboard.
    await proposal.focus();
    await page.keyboard.press('Control+Enter');
    await expect(entries(page, 'final')).toContainText('the ratio is 2.0');
    await expect(proposal).toHaveCount(0);
    cells = await notebookCells(page);
    expect(cells[1].source).toBe(FIX);
    expect(cells[1].output).toBe('2.0\n');
    expect(cells[1].codeact).toBeNull(); // still the user's cell
    expect(cells).toHaveLength(3);

    // Ctrl+Z in the cell restores the user's version.
    await cell(page, 1).locator('.jp-InputArea-editor').click();
    await page.keyboard.press('Control+z');
    await expect
      .poll(async () => (await notebookCells(page))[1].source)
      .toBe('ratio = sum(values) / 0\nprint(ratio)');
  });

  test('Reject keeps the cell as it is and the model is told', async ({
    page
  }) => {
    await script([
      {
        content: `<execute replace="{cell}">\n${FIX}\n</execute>`,
        quote: { cell: 'replace="(u[0-9a-f]+)"' }
      },
      '<solution>Kept your version.</solution>'
    ]);
    await setUp(page, 'reject.ipynb');
    const proposal = cell(page, 1).locator('.jp-CodeAct-proposal');
    await expect(proposal).toBeVisible();
    await proposal.focus();
    await page.keyboard.press('Escape');
    await expect(entries(page, 'final')).toContainText('Kept your version.');
    await expect(proposal).toHaveCount(0);
    const cells = await notebookCells(page);
    expect(cells.map(c => c.source)).toEqual([
      'values = [1, 2, 3]',
      'ratio = sum(values) / 0\nprint(ratio)'
    ]);
    expect(cells[1].output).toContain('ZeroDivisionError');
    await expect(entries(page, 'observation')).toContainText(
      'You rejected the change'
    );
    const requests = await llmRequests();
    expect(requestText(requests[1])).toContain('rejected your change');
  });
});

test('the agent revises its own cell, and never a cell the user changed', async ({
  page
}) => {
  await script([
    '<execute>\ntitle = "Revenue"\nprint(title)\n</execute>',
    '<solution>The title is set.</solution>'
  ]);
  await notebookWithChat(page, 'revise.ipynb');
  await userCells(page, ['import math']);
  await ask(page, 'Set a title.');
  await expect(entries(page, 'final')).toContainText('The title is set.');
  const [, made] = await notebookCells(page);
  const id = made.codeact!.cell;

  // A follow-up: the context lists the chat's cells; the model names one.
  await script([
    {
      content: `<execute replace="{cell}">\ntitle = "Revenue per month"\nprint(title)\n</execute>`,
      quote: { cell: '- (c[0-9a-f]+): cell 2' }
    },
    '<solution>Retitled.</solution>'
  ]);
  await ask(page, 'Make the title say per month.');
  await expect(entries(page, 'final').last()).toContainText('Retitled.');
  let cells = await notebookCells(page);
  expect(cells).toHaveLength(2);
  expect(cells[1].source).toBe('title = "Revenue per month"\nprint(title)');
  expect(cells[1].output).toBe('Revenue per month\n');
  expect(cells[1].codeact!.cell).toBe(id);
  expect(requestText((await llmRequests())[0])).toContain(
    `Cells you wrote in this chat`
  );

  // The user takes the cell over; the agent may no longer replace it, nor
  // name a cell that is not one of its own.
  await page.notebook.setCell(1, 'code', 'title = "Mine"\nprint(title)');
  await script([
    '<execute replace="u0000">\ntitle = "x"\n</execute>',
    `<execute replace="${id}">\ntitle = "Theirs"\n</execute>`,
    '<solution>I left your cell alone.</solution>'
  ]);
  await ask(page, 'Change the title again.');
  await expect(entries(page, 'final').last()).toContainText('left your cell');
  cells = await notebookCells(page);
  expect(cells.map(c => c.source)).toEqual([
    'import math',
    'title = "Mine"\nprint(title)'
  ]);
  const refused = entries(page, 'observation').filter({ hasText: 'Refused' });
  await expect(refused).toHaveCount(2);
  await expect(refused.nth(0)).toContainText('There is no cell u0000');
  await expect(refused.nth(1)).toContainText(
    `The user edited cell ${id} since you wrote it, so it is theirs now.`
  );
  const requests = await llmRequests();
  // The context said what the user changed, and the model read each refusal.
  expect(requestText(requests[0])).toMatch(
    /Changes the user made since you last looked:\n- edited cell 2/
  );
  expect(requestText(requests[0])).toContain(
    `${id}: cell 2, edited by the user since`
  );
  expect(requestText(requests[2])).toContain('theirs now');
});

test('narration cells explain each step; the answer goes in with one click', async ({
  page
}) => {
  await setSetting(page, 'narrate', true);
  await script([
    'First I load the **numbers**.\n<execute>\nnumbers = [1, 2]\n</execute>',
    'Then I add them up <img src=x onerror="window.__codeactXss = 1">.\n<execute>\nprint(sum(numbers))\n</execute>',
    '<solution>The sum is **3**.</solution>'
  ]);
  await notebookWithChat(page, 'narrate.ipynb');
  await userCells(page, ['x = 0']);
  await ask(page, 'Add the numbers.');
  await expect(entries(page, 'final')).toContainText('The sum is 3.');
  let cells = await notebookCells(page);
  expect(cells.map(c => [c.type, c.source])).toEqual([
    ['code', 'x = 0'],
    ['markdown', 'First I load the **numbers**.'],
    ['code', 'numbers = [1, 2]'],
    [
      'markdown',
      'Then I add them up &lt;img src=x onerror="window.__codeactXss = 1">.'
    ],
    ['code', 'print(sum(numbers))']
  ]);
  expect(cells[1].codeact!.role).toBe('narration');
  // Rendered as markdown, the model's HTML shown as text.
  await expect(cell(page, 1).locator('.jp-RenderedMarkdown strong')).toHaveText(
    'numbers'
  );
  await expect(cell(page, 3).locator('.jp-RenderedMarkdown')).toContainText(
    '<img src=x'
  );
  expect(
    await page.evaluate(() => (window as any).__codeactXss)
  ).toBeUndefined();

  await entries(page, 'final')
    .getByRole('button', { name: 'Insert answer in notebook' })
    .click();
  await expect(
    entries(page, 'final').getByRole('button', {
      name: 'Inserted in the notebook'
    })
  ).toBeDisabled();
  cells = await notebookCells(page);
  expect(cells[5]).toMatchObject({
    type: 'markdown',
    source: 'The sum is **3**.'
  });
  expect(cells[5].codeact!.role).toBe('answer');
  await setSetting(page, 'narrate', false);
});

test('agent cells are marked, in the light and dark themes', async ({
  page
}, testInfo) => {
  await script([
    'Plotting the numbers.\n<execute>\nnumbers = [3, 1, 2]\nprint(sorted(numbers))\n</execute>',
    '<solution>Sorted.</solution>'
  ]);
  await notebookWithChat(page, 'marker.ipynb');
  await userCells(page, ['numbers = [3, 1, 2]']);
  await ask(page, 'Sort the numbers.');
  await expect(entries(page, 'final')).toContainText('Sorted.');
  const agent = cell(page, 1);
  await expect(agent).toHaveClass(/jp-CodeAct-agentCell/);
  await expect(cell(page, 0)).not.toHaveClass(/jp-CodeAct-agentCell/);
  const [, made] = await notebookCells(page);
  await expect(agent.locator('.jp-InputPrompt')).toHaveAttribute(
    'title',
    `Written by CodeAct in the chat “Sort the numbers.” (cell ${made.codeact!.cell})`
  );
  // The step links to its cell (as before).
  await page.notebook.selectCells(0);
  await entries(page, 'action')
    .getByRole('button', { name: 'Go to cell' })
    .click();
  await expect(page.locator('.jp-Notebook .jp-Cell.jp-mod-active')).toHaveClass(
    /jp-CodeAct-agentCell/
  );

  const marker = async () =>
    agent.locator('.jp-InputPrompt').evaluate(node => {
      const style = getComputedStyle(node, '::before');
      const brand = getComputedStyle(document.body)
        .getPropertyValue('--jp-brand-color1')
        .trim();
      const probe = document.createElement('div');
      probe.style.color = brand;
      document.body.appendChild(probe);
      const expected = getComputedStyle(probe).color;
      probe.remove();
      return {
        color: style.backgroundColor,
        expected,
        width: style.width,
        mask:
          style.getPropertyValue('mask-image') ||
          style.getPropertyValue('-webkit-mask-image')
      };
    });
  const seen: string[] = [];
  for (const theme of ['light', 'dark'] as const) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    } else {
      await page.theme.setLightTheme();
    }
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-light',
      theme === 'light' ? 'true' : 'false'
    );
    const found = await marker();
    expect(found.width).toBe('12px');
    expect(found.mask).toContain('data:image/svg+xml');
    expect(found.color).toBe(found.expected); // the theme's brand colour
    seen.push(found.color);
    const file = testInfo.outputPath(`codeact-marker-${theme}.png`);
    await page
      .locator('.jp-NotebookPanel:visible .jp-Notebook')
      .screenshot({ path: file });
    await testInfo.attach(`codeact-marker-${theme}`, {
      path: file,
      contentType: 'image/png'
    });
  }
  expect(seen[0]).not.toBe(seen[1]);
  await page.theme.setLightTheme();
  await expect(chatPanel(page)).toBeVisible();
});
