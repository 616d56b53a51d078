/**
 * Outputs of the agent's cells: trusted like any output of the session by
 * default; sanitized, with no script run, once the user turns on the
 * "Untrusted agent outputs" setting.
 */
import { expect } from '@jupyterlab/galata';
import { Page } from '@playwright/test';

import { test } from './fixtures';
import { ask, entries, notebookWithChat, script } from './helpers';

test.use({ autoGoto: true });

const SHOW_HTML =
  '<execute>\nfrom IPython.display import HTML, display\n' +
  'display(HTML("<b>agent html</b><script>document.body.dataset.agentScript = \'ran\'</script>"))\n' +
  '</execute>';

async function setUntrusted(page: Page, value: boolean): Promise<void> {
  await page.evaluate(async (value: boolean) => {
    const registry = await (window as any).galata.getPlugin(
      '@jupyterlab/apputils-extension:settings'
    );
    await registry.set('jupyter-codeact:plugin', 'untrustedAgentOutputs', value);
  }, value);
}

function scriptRan(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.body.dataset.agentScript);
}

test('agent outputs render untrusted (no script runs) when the setting is on', async ({
  page
}) => {
  await script([
    SHOW_HTML,
    '<solution>shown</solution>',
    SHOW_HTML,
    '<solution>shown again</solution>'
  ]);
  await notebookWithChat(page, 'untrusted.ipynb');
  try {
    await ask(page, 'Show some HTML.');
    await expect(entries(page, 'final')).toContainText('shown');
    const outputs = page.locator('.jp-Notebook .jp-OutputArea-output');
    await expect(outputs.first()).toContainText('agent html');
    expect(await scriptRan(page)).toBe('ran'); // trusted, like the user's own cells

    await setUntrusted(page, true);
    await page.evaluate(() => delete document.body.dataset.agentScript);
    await ask(page, 'Show it again.');
    await expect(entries(page, 'final')).toHaveCount(2);
    await expect(outputs.nth(1)).toContainText('agent html'); // sanitized, still shown
    expect(await scriptRan(page)).toBeUndefined();
    const trusted = await page.evaluate(() => {
      const cells = (window as any).jupyterapp.shell.currentWidget.content.model
        .cells;
      const found: boolean[] = [];
      for (let i = 0; i < cells.length; i++) {
        if (cells.get(i).getMetadata('codeact')) {
          found.push(cells.get(i).trusted);
        }
      }
      return found;
    });
    expect(trusted).toEqual([true, false]);
  } finally {
    await setUntrusted(page, false);
  }
});
