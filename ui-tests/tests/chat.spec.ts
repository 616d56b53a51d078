/**
 * The chat panel against the real server and the scripted LLM: the agent
 * writes cells in the live notebook, runs them and answers.
 */
import { expect, JupyterLabPage } from '@jupyterlab/galata';

import { test } from './fixtures';
import {
  agentCells,
  ask,
  chatPanel,
  command,
  entries,
  llmRequests,
  notebookWithChat,
  requestText,
  script,
  stateLine
} from './helpers';

test.use({ autoGoto: true });

test('ask: a cell is inserted and run in the notebook, and the answer shown', async ({
  page
}) => {
  await script([
    'I will compute it in the notebook.\n<execute>\nprint(6 * 7)\n</execute>',
    '<solution>The answer is **42**.</solution>'
  ]);
  await notebookWithChat(page, 'ask.ipynb');
  await page.notebook.setCell(0, 'code', 'revenue_per_month = [10, 20, 30]');
  await page.notebook.runCell(0);
  await ask(page, 'What is 6 times 7?');

  await expect(entries(page, 'user')).toHaveText('What is 6 times 7?');
  await expect(entries(page, 'final')).toContainText('The answer is 42.');
  await expect(entries(page, 'final').locator('strong')).toHaveText('42');
  await expect(entries(page, 'assistant').first()).toContainText(
    'I will compute it in the notebook.'
  );
  // The prose is shown without its action block; the action is a step.
  await expect(entries(page, 'assistant').first()).not.toContainText('print');
  await expect(entries(page, 'action')).toContainText('print(6 * 7)');
  await expect(entries(page, 'observation')).toContainText('Ran');
  await expect(entries(page, 'observation')).toContainText('42');
  await expect(stateLine(page)).toContainText('Done');

  // The cell is in the notebook, with its output and provenance.
  const cells = await agentCells(page);
  expect(cells).toHaveLength(1);
  expect(cells[0].source).toBe('print(6 * 7)');
  expect(cells[0].output).toBe('42\n');
  await expect(page.locator('.jp-Notebook .jp-OutputArea-output')).toHaveText(
    '42'
  );

  // The model was sent the notebook context, then the real output.
  const requests = await llmRequests();
  expect(requests).toHaveLength(2);
  expect(requestText(requests[0])).toContain('ask.ipynb');
  // The context has the kernel's variables, read without a trace in history.
  expect(requestText(requests[0])).toContain('revenue_per_month');
  expect(requestText(requests[0])).toMatch(
    /Kernel variables:[\s\S]*revenue_per_month/
  );
  // The silent evaluation did not take an execution count: the user's cell
  // ran as [1], the agent's as [2].
  await expect(entries(page, 'observation')).toContainText('[2]');
  expect(requestText(requests[1])).toContain('42');

  // The step links to its cell.
  await page.notebook.selectCells(0);
  await entries(page, 'action')
    .getByRole('button', { name: 'Go to cell' })
    .click();
  await expect(
    page.locator('.jp-Notebook .jp-Cell.jp-mod-active')
  ).toContainText('print(6 * 7)');
});

test('with no notebook open, asking opens a new one and the agent works there', async ({
  page
}) => {
  await script([
    '<execute>\nprint("in a new notebook")\n</execute>',
    '<solution>done</solution>'
  ]);
  await command(page, 'codeact:open');
  await expect(chatPanel(page)).toBeVisible();
  await expect(page.locator('.jp-NotebookPanel')).toHaveCount(0);
  await ask(page, 'Print something.');

  await expect(entries(page, 'final')).toContainText('done');
  await expect(chatPanel(page).locator('.jp-CodeAct-notebook')).toHaveText(
    /^Untitled\d*\.ipynb$/
  );
  const cells = await agentCells(page);
  expect(cells.map(cell => cell.output)).toEqual(['in a new notebook\n']);
});

test('commands: fix the error in a cell, and the shortcut to the input', async ({
  page
}) => {
  await script(['<solution>Divide by a number that is not zero.</solution>']);
  await notebookWithChat(page, 'commands.ipynb');
  await page.notebook.setCell(0, 'code', 'ratio = 1 / 0');
  await page.notebook.runCell(0);
  await page.notebook.selectCells(0);
  await command(page, 'codeact:fix-cell-error');

  await expect(entries(page, 'user')).toContainText('Fix the error in cell 1');
  await expect(entries(page, 'final')).toContainText('not zero');
  const [request] = await llmRequests();
  expect(requestText(request)).toContain('ratio = 1 / 0');
  expect(requestText(request)).toContain('ZeroDivisionError');

  await page.notebook.selectCells(0);
  await page.keyboard.press('Control+Shift+Y');
  await expect(page.getByLabel('Message CodeAct')).toBeFocused();
});

test('self-debug: a failing cell, a fixing cell, then the answer', async ({
  page
}) => {
  await script([
    '<execute>\nprint(total)\n</execute>',
    'The variable is not defined yet; define it first.\n<execute>\ntotal = 5\nprint(total)\n</execute>',
    '<solution>total is 5</solution>'
  ]);
  await notebookWithChat(page, 'debug.ipynb');
  await ask(page, 'Print total.');

  await expect(entries(page, 'final')).toContainText('total is 5');
  await expect(entries(page, 'action')).toHaveCount(2);
  const observations = entries(page, 'observation');
  await expect(observations.nth(0)).toContainText('Error');
  await expect(observations.nth(0)).toContainText(
    "NameError: name 'total' is not defined"
  );
  await expect(observations.nth(1)).toContainText('Ran');
  await expect(observations.nth(1)).toContainText('5');

  // The fix replaced the failed cell (notebook.spec.ts has the details).
  const cells = await agentCells(page);
  expect(cells.map(cell => cell.source)).toEqual(['total = 5\nprint(total)']);
  expect(cells[0].output).toBe('5\n');
  // The model read the traceback before fixing its code.
  const requests = await llmRequests();
  expect(requestText(requests[1])).toContain('NameError');
});

test.describe('Stop', () => {
  // Galata's kernel tracking cannot proxy the interrupt request (its empty
  // reply is not JSON): leave the kernels API alone; the session fixture
  // still shuts the kernel down.
  test.use({ kernels: null });

  test('Stop during a long cell interrupts it and ends the run', async ({
    page
  }) => {
    await script([
      '<execute>\nimport time\nfor _ in range(600):\n    time.sleep(0.1)\n</execute>',
      '<solution>not reached</solution>'
    ]);
    await notebookWithChat(page, 'stop.ipynb');
    await ask(page, 'Wait a minute.');

    await expect(stateLine(page)).toContainText('Running cell');
    await expect(entries(page, 'action')).toContainText('Running');
    await chatPanel(page).getByRole('button', { name: 'Stop' }).click();

    await expect(entries(page, 'observation')).toContainText('Interrupted');
    await expect(entries(page, 'error')).toBeVisible();
    // A Stop the user asked for is said plainly, not as an error.
    await expect(entries(page, 'error')).toHaveClass(/jp-mod-stopped/);
    await expect(entries(page, 'error').getByRole('alert')).toHaveCount(0);
    await expect(
      chatPanel(page).getByRole('button', { name: 'Send' })
    ).toBeVisible();
    await expect(entries(page, 'final')).toHaveCount(0);
    const cells = await agentCells(page);
    expect(cells).toHaveLength(1);
    expect(cells[0].output).toContain('KeyboardInterrupt');
    expect((await llmRequests()).length).toBe(1);
  });
});

test('ask before running: Run, Edit and Skip', async ({ page }) => {
  await script([
    '<execute>\nimport time\ntime.sleep(2)\nprint("first")\n</execute>',
    '<execute>\nprint("second")\n</execute>',
    '<execute>\nprint("third")\n</execute>',
    '<solution>done</solution>'
  ]);
  await notebookWithChat(page, 'approval.ipynb');
  await chatPanel(page).getByLabel('Approval mode').selectOption('ask');
  await ask(page, 'Print three words.');

  const panel = chatPanel(page);
  await expect(stateLine(page)).toContainText('Waiting for you');
  await expect(entries(page, 'action').nth(0)).toContainText('print("first")');
  // Nothing runs before the user says so: it waits in its cell.
  expect((await agentCells(page)).map(cell => cell.output)).toEqual(['']);
  await panel.getByRole('button', { name: 'Run', exact: true }).click();
  // Once approved, the step and the chat say it runs, not that it waits.
  await expect(stateLine(page)).toContainText('Running cell');
  await expect(entries(page, 'action').nth(0)).toContainText('Running…');
  await expect(entries(page, 'observation').nth(0)).toContainText('first');

  await expect(entries(page, 'action').nth(1)).toContainText('print("second")');
  // Edit is the cell's own editor, in the notebook.
  await panel.getByRole('button', { name: 'Edit', exact: true }).click();
  await expect(
    page.locator('.jp-CodeAct-pendingCell .jp-InputArea-editor .cm-content')
  ).toBeFocused();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('print("edited")');
  await panel.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(entries(page, 'observation').nth(1)).toContainText('edited');

  await expect(entries(page, 'action').nth(2)).toContainText('print("third")');
  await panel.getByRole('button', { name: 'Skip', exact: true }).click();
  await expect(entries(page, 'observation').nth(2)).toContainText('Skipped');
  await expect(entries(page, 'final')).toContainText('done');

  const cells = await agentCells(page);
  expect(cells.map(cell => cell.source)).toEqual([
    'import time\ntime.sleep(2)\nprint("first")',
    'print("edited")'
  ]);
  // The model was told what really ran, and that the third was skipped.
  const requests = await llmRequests();
  expect(requestText(requests[2])).toContain('print("edited")');
  expect(requestText(requests[3])).toContain('chose not to run');
});

test('an endpoint error is shown in the panel with the fix', async ({
  page
}) => {
  await script([{ status: 401, error_message: 'Incorrect API key provided.' }]);
  await notebookWithChat(page, 'error.ipynb');
  await ask(page, 'Hello?');
  await expect(entries(page, 'error')).toContainText('rejected the API key');
  await expect(stateLine(page)).toContainText('Error');
  await expect(
    chatPanel(page).getByRole('button', { name: 'Send' })
  ).toBeVisible();
});

test('a kernel that dies during a cell is reported, and the agent goes on', async ({
  page
}) => {
  await script([
    '<execute>\nstate = 1\nimport os\nos._exit(1)\n</execute>',
    "<execute>\nprint('state' in dir())\n</execute>",
    '<solution>The kernel restarted; state was lost.</solution>'
  ]);
  await notebookWithChat(page, 'dies.ipynb');
  await ask(page, 'Crash the kernel.');
  // JupyterLab says the kernel is restarting; the chat goes on without it.
  const dialog = page.locator('.jp-Dialog');
  await expect(entries(page, 'final')).toContainText('state was lost', {
    timeout: 60_000
  });
  if (await dialog.isVisible()) {
    await dialog.getByRole('button').first().click();
  }
  await expect(entries(page, 'observation').first()).toContainText(
    'Kernel died'
  );
  const requests = await llmRequests();
  expect(requestText(requests[1])).toContain('kernel died');
  // The second cell ran in the restarted kernel: the state was gone.
  await expect(entries(page, 'observation').nth(1)).toContainText('False');
});

test('reload restores the chat of the notebook', async ({ page }) => {
  // JupyterLab saves its layout a moment after it changes; a user does not
  // reload that fast, the test must wait for the open sidebar to be saved.
  let sidebarSaved = false;
  page.on('request', request => {
    if (
      request.method() === 'PUT' &&
      request.url().includes('/api/workspaces/')
    ) {
      const layout = request.postDataJSON()?.data?.['layout-restorer:data'];
      sidebarSaved = layout?.right?.collapsed === false;
    }
  });
  await script(['<solution>Remember me.</solution>']);
  await notebookWithChat(page, 'reload.ipynb');
  await ask(page, 'Say something memorable.');
  await expect(entries(page, 'final')).toContainText('Remember me.');
  await expect.poll(() => sidebarSaved).toBe(true);
  // Galata makes the notebook as Untitled.ipynb and renames it: the kernel's
  // session follows a moment later. Reloaded before that, JupyterLab finds no
  // session for reload.ipynb and asks which kernel to start.
  await expect
    .poll(() =>
      page.evaluate(async () => {
        const sessions = (window as any).jupyterapp.serviceManager.sessions;
        await sessions.refreshRunning();
        return [...sessions.running()].some((s: any) =>
          s.path.endsWith('/reload.ipynb')
        );
      })
    )
    .toBe(true);

  // The notebook comes back instead of the launcher Galata waits for.
  // (Galata's own `reload`, which the fixture's type hides behind Page's.)
  await (page as unknown as JupyterLabPage).reload({ waitForIsReady: false });
  // The notebook and the sidebar come back with the workspace.
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await expect(chatPanel(page)).toBeVisible();
  await expect(chatPanel(page).locator('.jp-CodeAct-notebook')).toHaveText(
    'reload.ipynb'
  );
  await expect(entries(page, 'user')).toHaveText('Say something memorable.');
  await expect(entries(page, 'final')).toContainText('Remember me.');

  // New chat starts over, for this notebook.
  await chatPanel(page).getByRole('button', { name: 'New chat' }).click();
  await expect(chatPanel(page).locator('.jp-CodeAct-empty')).toBeVisible();
  await expect(chatPanel(page).locator('[data-codeact-role]')).toHaveCount(0);
});

test('model text is shown as text: no HTML, no script runs', async ({
  page
}) => {
  const dialogs: string[] = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const img = '<img src=x onerror="window.__codeactXss = 1; alert(1)">';
  const scriptTag = '<script>window.__codeactXss = 2; alert(2)</script>';
  // A markdown image would be fetched as soon as it is shown: a way out for
  // data that a prompt injection could put in its URL.
  const pixel = '![pixel](http://127.0.0.1:9/leak.png?secret=42)';
  const fetched: string[] = [];
  page.on('request', request => {
    if (request.url().includes('leak.png')) {
      fetched.push(request.url());
    }
  });
  await script([
    `Look: ${img} and ${scriptTag} end. ${pixel}\n<solution>Answer ${img}</solution>`
  ]);
  await notebookWithChat(page, 'xss.ipynb');
  await ask(page, 'Show me HTML.');

  await expect(entries(page, 'final')).toContainText(`Answer ${img}`);
  await expect(entries(page, 'assistant')).toContainText(img);
  await expect(entries(page, 'assistant')).toContainText(scriptTag);
  await expect(chatPanel(page).locator('.jp-CodeAct-entries img')).toHaveCount(
    0
  );
  await expect(
    chatPanel(page).locator('.jp-CodeAct-entries script')
  ).toHaveCount(0);
  expect(
    await page.evaluate(() => (window as any).__codeactXss)
  ).toBeUndefined();
  expect(dialogs).toEqual([]);
  // The image is a link to click, not a request made behind the user's back.
  await expect(
    entries(page, 'assistant').locator('a', { hasText: 'pixel' })
  ).toHaveCount(1);
  expect(fetched).toEqual([]);
});

test('a reasoning stream is shown live, then folded, and never runs', async ({
  page
}) => {
  const reasoning =
    'The user wants a product. I could <execute>print("from reasoning")</execute> but no.';
  await script([
    {
      reasoning,
      content: 'Multiplying.\n<execute>\nprint(6 * 7)\n</execute>',
      chunk_size: 8,
      chunk_delay: 0.15
    },
    '<solution>42</solution>'
  ]);
  await notebookWithChat(page, 'reasoning.ipynb');
  await ask(page, 'What is 6 times 7?');

  const thinking = entries(page, 'thinking');
  const toggle = thinking.locator('.jp-CodeAct-thinkingToggle');
  // Live: the reasoning shows as it streams.
  await expect(toggle).toHaveText('Thinking…');
  await expect(thinking.getByLabel('Reasoning')).toContainText(
    'The user wants'
  );
  // Then folded under how long it took; a click opens it.
  await expect(toggle).toHaveText(/^Thought for \d+ s$/);
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(thinking.getByLabel('Reasoning')).toHaveCount(0);
  await toggle.click();
  await expect(thinking.getByLabel('Reasoning')).toHaveText(reasoning);

  await expect(entries(page, 'final')).toContainText('42');
  await expect(entries(page, 'assistant').first()).toHaveText('Multiplying.');
  const cells = await agentCells(page);
  expect(cells.map(cell => cell.source)).toEqual(['print(6 * 7)']);
  const requests = await llmRequests();
  expect(requestText(requests[1])).not.toContain('The user wants');
});

test('screenshots of the panel in the light and dark themes', async ({
  page
}, testInfo) => {
  await script([
    {
      reasoning: 'Sort first, then add.',
      content:
        'Let me load the numbers.\n<execute>\nnumbers = [3, 1, 2]\nprint(sorted(numbers))\nprint(nmbers)\n</execute>'
    },
    'A typo: `nmbers`. Fixing it.\n<execute>\nprint(sum(numbers))\n</execute>',
    '<solution>The numbers sorted are `[1, 2, 3]` and their sum is **6**.</solution>'
  ]);
  await notebookWithChat(page, 'themes.ipynb');
  await ask(page, 'Sort the numbers and add them up.');
  await expect(entries(page, 'final')).toContainText('their sum is 6');

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
    const file = testInfo.outputPath(`codeact-panel-${theme}.png`);
    await chatPanel(page).screenshot({ path: file });
    await testInfo.attach(`codeact-panel-${theme}`, {
      path: file,
      contentType: 'image/png'
    });
  }
});
