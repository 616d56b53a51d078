/**
 * The `%%codeact` magic in JupyterLab: its output reads well (markdown
 * prose, highlighted code), and a saved notebook reopened without a kernel
 * or widget state still shows the run.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect } from '@jupyterlab/galata';

import { test } from './fixtures';
import { command, script, userCells } from './helpers';
import { LLM_PORT } from './ports';

test.use({ autoGoto: true });

test('a %%codeact run reads well, and still does reopened without a kernel', async ({
  page
}) => {
  await script([
    'The column is `price`; the rows add up to **60**.\n<execute>\nprices = [10, 20, 30]\nprint(sum(prices))\n</execute>',
    '<solution>The revenue adds up to **60**.</solution>'
  ]);
  await page.notebook.createNew('magic.ipynb');
  await page.waitForSelector(
    '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
  );
  await userCells(page, [
    [
      '%load_ext jupyter_codeact',
      `%config CodeAct.base_url = "http://127.0.0.1:${LLM_PORT}/v1"`,
      '%config CodeAct.api_key = "dummy-key"',
      '%config CodeAct.model = "scripted-model"'
    ].join('\n'),
    '%%codeact\nAdd up the revenue.'
  ]);

  const run = page
    .locator('.jp-NotebookPanel:visible .jp-Cell')
    .nth(1)
    .locator('.jp-OutputArea-output')
    .first();
  const readable = async (): Promise<void> => {
    // The prose is markdown, not raw text.
    await expect(
      run.locator('code', { hasText: 'price' }).first()
    ).toBeVisible();
    await expect(
      run.locator('strong', { hasText: '60' }).first()
    ).toBeVisible();
    await expect(run).not.toContainText('**60**');
    await expect(run).not.toContainText('`price`');
    // The step, folded: its code as a highlighted python block, its output.
    const step = run.locator('details');
    await expect(step.locator('summary')).toHaveText('Step 1 · ok');
    await step.locator('summary').click();
    const code = step.locator('pre').first();
    await expect(code).toContainText(
      'prices = [10, 20, 30]\nprint(sum(prices))'
    );
    expect(await code.locator('span').count()).toBeGreaterThan(2); // highlighted
    await expect(step.locator('pre').nth(1)).toHaveText('60');
    await expect(run).toContainText('Answer: The revenue adds up to 60.');
    await expect(page.getByText('Error displaying widget')).toHaveCount(0);
  };
  await readable();
  // Single-spaced: a two-line block is about two lines high.
  const block = run.locator('details pre').first();
  const lineHeight = await block.evaluate(
    node => parseFloat(getComputedStyle(node).lineHeight) || 16
  );
  expect((await block.boundingBox())!.height).toBeLessThan(lineHeight * 4);

  // Save, stop the kernel, reload (no widget state), reopen with no kernel.
  await page.notebook.save();
  const path: string = await page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.context.path
  );
  const saved = await page.evaluate(async path => {
    const app = (window as any).jupyterapp;
    const model = await app.serviceManager.contents.get(path);
    return model.content.cells[1].outputs;
  }, path);
  // The run as static markdown; the answer is in it, and not shown a second
  // time as the cell's value.
  expect(saved.map((o: any) => Object.keys(o.data ?? {}).sort())).toEqual([
    ['text/markdown', 'text/plain']
  ]);
  // The model's text is escaped in the saved markdown (`\\.` is a period).
  expect(saved[0].data['text/markdown']).toMatch(
    /\*\*Answer:\*\* The revenue adds up to \*\*60\*\*\\\.\n/
  );
  await page.evaluate(async () => {
    await (window as any).jupyterapp.serviceManager.sessions.shutdownAll();
  });
  // A fresh page with a reset workspace: nothing of the run is in memory, and
  // the layout does not reopen the notebook (with a kernel) by itself.
  await page.goto('?reset').catch(async error => {
    // The reset reloads the page once more, which can cut Galata's own wait for
    // the app short: wait for the reloaded app instead.
    if (!/garbage collected|context was destroyed/.test(String(error))) {
      throw error;
    }
    await page.waitForFunction(async () => {
      const app = (window as any).jupyterapp;
      return typeof app === 'object' && (await app.started, true);
    });
  });
  const sessions = async (): Promise<string[]> =>
    page.evaluate(async () => {
      const manager = (window as any).jupyterapp.serviceManager.sessions;
      await manager.refreshRunning();
      return [...manager.running()].map(
        (m: any) => `${m.path} ${m.kernel?.name}`
      );
    });
  expect(await sessions()).toEqual([]);
  await page.evaluate(async path => {
    const docs = await (window as any).galata.getPlugin(
      '@jupyterlab/docmanager-extension:manager'
    );
    docs.open(
      path,
      'Notebook',
      undefined,
      {},
      {
        shouldStart: false,
        canStart: false
      }
    );
  }, path);
  await expect(
    page.locator('.jp-NotebookPanel:visible .jp-Toolbar-kernelName')
  ).toContainText('No Kernel');
  await readable();
  expect(await sessions()).toEqual([]);
  await command(page, 'docmanager:close-all-files').catch(() => undefined);
});

/**
 * The magic's output is trusted (rendered without a sanitizer): model text
 * that tries every way into markup (tests/markdown_corpus.json, checked at
 * the markdown level by tests/test_magic_markdown.py), and outputs holding
 * backtick fences and HTML in a mime key, must show as text in the live
 * view, the static result, the cell's value and the history, and no script
 * may run.
 */
test('no model text or output of a %%codeact run becomes markup', async ({
  page
}) => {
  test.setTimeout(240_000);
  const corpus: { name: string; text: string; shows: string }[] = JSON.parse(
    fs.readFileSync(
      path.resolve(__dirname, '..', '..', 'tests', 'markdown_corpus.json'),
      'utf8'
    )
  );
  const img = '<img src=x onerror="window.__codeactXss=(window.__codeactXss||0)+1">';
  const outputs = [
    'from IPython.display import display',
    `print("\`\`\`\`\\n${img.replace(/"/g, '\\"')}\\n\`\`\`")`,
    `display({"text/${img.replace(/"/g, '\\"')}": "x"}, raw=True)`
  ].join('\n');
  await script([
    ...corpus.map(
      item => `${item.text}\n<execute>\n${outputs}\n</execute>`
    ),
    `<solution>Done: \\\`${img}\`</solution>`
  ]);
  await page.notebook.createNew('magic-corpus.ipynb');
  await page.waitForSelector(
    '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
  );
  await userCells(page, [
    [
      '%load_ext jupyter_codeact',
      `%config CodeAct.base_url = "http://127.0.0.1:${LLM_PORT}/v1"`,
      '%config CodeAct.api_key = "dummy-key"',
      '%config CodeAct.model = "scripted-model"',
      '%config CodeAct.max_turns = 40'
    ].join('\n'),
    '%%codeact\nShow me everything.',
    '%codeact --history'
  ]);
  const cells = page.locator('.jp-NotebookPanel:visible .jp-Cell');
  const run = cells.nth(1).locator('.jp-OutputArea');
  await expect(run).toContainText('Answer: Done: `<img src=x onerror=');
  for (const item of corpus) {
    await expect(run, item.name).toContainText(item.shows);
  }
  // Open every step, so that what is folded is rendered too.
  for (const summary of await run.locator('details > summary').all()) {
    await summary.click();
  }
  const history = cells.nth(2).locator('.jp-OutputArea');
  await expect(history).toContainText('Request: Show me everything.');
  // What the outputs hold (JupyterLab's own controls around them aside).
  for (const area of [run, history].map(a => a.locator('.jp-OutputArea-output'))) {
    expect(await area.locator('script, iframe, object, embed, svg').count()).toBe(0);
    const images = await area
      .locator('img')
      .evaluateAll(nodes => nodes.map(node => node.getAttribute('src') ?? ''));
    expect(images.filter(src => !src.startsWith('data:image/'))).toEqual([]);
    const handlers = await area.locator('*').evaluateAll(nodes =>
      nodes.flatMap(node =>
        [...node.attributes]
          .filter(attribute => attribute.name.startsWith('on'))
          .map(attribute => `${node.tagName} ${attribute.name}`)
      )
    );
    expect(handlers).toEqual([]);
    const links = await area
      .locator('a')
      .evaluateAll(nodes => nodes.map(node => node.getAttribute('href') ?? ''));
    expect(links.filter(href => /^\s*(javascript|data|vbscript):/i.test(href))).toEqual([]);
  }
  expect(await page.evaluate(() => (window as any).__codeactXss)).toBeUndefined();
  await command(page, 'docmanager:close-all-files').catch(() => undefined);
});
