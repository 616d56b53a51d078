/**
 * What a data scientist reads in the panel: money that stays money (in the
 * chat and in the cell *Insert answer in notebook* makes), code highlighted
 * by JupyterLab's own highlighter, plots and DataFrames in the steps,
 * errors readable in the dark theme, each answer once.
 */
import { expect } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import { test } from './fixtures';
import {
  ask,
  chatPanel,
  entries,
  notebookCells,
  notebookWithChat,
  llmRequests,
  script,
  setSetting
} from './helpers';

test.use({ autoGoto: true });

const MONEY = 'Total revenue was **$32,000** (North $18,100, South $13,900)';

test('dollar amounts are text, in the panel and in the inserted answer cell', async ({
  page
}) => {
  await script([
    `<solution>${MONEY}; the growth rate is $g = 0.12$.</solution>`
  ]);
  await notebookWithChat(page, 'money.ipynb');
  await ask(page, 'What was the revenue?');
  const answer = entries(page, 'final');
  await expect(answer).toContainText(
    'Total revenue was $32,000 (North $18,100, South $13,900)'
  );
  // The real maths is typeset, and only it.
  await expect(answer.locator('mjx-container')).toHaveCount(1);
  await expect(answer.locator('strong')).toHaveText('$32,000');

  await answer
    .getByRole('button', { name: 'Insert answer in notebook' })
    .click();
  await expect(answer).toContainText('Inserted in the notebook');
  const cell = page.locator('.jp-Notebook .jp-MarkdownCell').last();
  // Checked as JupyterLab renders the cell, not only its source.
  await expect(cell.locator('mjx-container')).toHaveCount(1);
  await expect(cell.locator('.jp-RenderedMarkdown')).toContainText(
    'Total revenue was $32,000 (North $18,100, South $13,900)'
  );
  const [source] = (await notebookCells(page))
    .filter(found => found.type === 'markdown')
    .map(found => found.source);
  expect(source).toContain('$g = 0.12$');
});

/** A tiny PNG built in the kernel, displayed as a plot is. */
const PLOT = [
  'import base64, struct, zlib',
  'from IPython.display import display',
  'def chunk(kind, data):',
  "    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))",
  "rows = b''.join(b'\\x00' + b'\\x30\\x60\\xc0' * 64 for _ in range(32))",
  "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 64, 32, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')",
  "display({'image/png': base64.b64encode(png).decode(), 'text/plain': '<Figure size 640x480 with 1 Axes>'}, raw=True)",
  "display({'text/plain': '<Figure size 640x480 with 1 Axes>'}, raw=True)",
  'import pandas as pd',
  "pd.DataFrame({'region': ['North', 'South'], 'revenue': [18100, 13900]})"
].join('\n');

const TALL = Array.from({ length: 20 }, (_, i) => `step_${i} = ${i}`).join(
  '\n'
);
const LONG = `ranked = sorted({"north": 18100, "south": 13900}.items(), key=lambda item: item[1], reverse=True)[:10]  # ${'x'.repeat(60)}`;

async function lineCount(block: Locator): Promise<number> {
  return block.evaluate(node => {
    const style = getComputedStyle(node);
    const line = parseFloat(style.lineHeight);
    const padding =
      parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
    return Math.round((node.scrollHeight - padding) / line);
  });
}

test('code reads as in the notebook: highlighted, copied, opened whole, never wrapped', async ({
  page
}) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await script([
    `<execute>\nimport math\n${LONG}\n</execute>`,
    `<execute>\n${TALL}\n</execute>`,
    '<solution>| Region | Revenue |\n|---|---|\n| North | 12,000,000 |\n| South | 13,900,000 |</solution>'
  ]);
  await notebookWithChat(page, 'code.ipynb');
  await ask(page, 'Show me code.');
  await expect(entries(page, 'final')).toContainText('12,000,000');

  // Highlighted by CodeMirror's highlighter, in the theme's editor colours.
  const first = entries(page, 'action').first().locator('.jp-CodeAct-code');
  const keyword = first.locator('span', { hasText: /^import$/ });
  await expect(keyword).toHaveCount(1);
  const colours = await first.evaluate(node => {
    const span = [...node.querySelectorAll('span')].find(
      s => s.textContent === 'import'
    )!;
    return [getComputedStyle(span).color, getComputedStyle(node).color];
  });
  expect(colours[0]).not.toBe(colours[1]);
  // A long line scrolls sideways: one line, wider than the panel.
  expect(await lineCount(first)).toBe(2);
  expect(
    await first.evaluate(node => node.scrollWidth > node.clientWidth)
  ).toBe(true);

  // The step's header never breaks a word across lines.
  const parts = entries(page, 'action').locator('.jp-CodeAct-stepHeader > *');
  expect(await parts.count()).toBeGreaterThan(4);
  for (const lines of await parts.evaluateAll(nodes =>
    nodes.map(node => {
      const range = document.createRange();
      range.selectNodeContents(node);
      return range.getClientRects().length;
    })
  )) {
    expect(lines).toBe(1);
  }

  // Copy.
  await first.hover();
  await entries(page, 'action')
    .first()
    .getByRole('button', { name: 'Copy code' })
    .click();
  await expect(
    entries(page, 'action').first().getByRole('button', { name: 'Copied' })
  ).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(`import math\n${LONG}`);

  // A tall block shows its start, and opens whole on a click: no inner
  // scrollbar hides its last line.
  const tall = entries(page, 'action').nth(1);
  const block = tall.locator('.jp-CodeAct-code');
  const expand = tall.getByRole('button', { name: 'Show all 20 lines' });
  await expect(expand).toBeVisible();
  expect(
    await block.evaluate(node => node.clientHeight < node.scrollHeight)
  ).toBe(true);
  await block.click();
  await expect(tall.getByRole('button', { name: 'Show less' })).toHaveAttribute(
    'aria-expanded',
    'true'
  );
  expect(
    await block.evaluate(node => node.clientHeight >= node.scrollHeight)
  ).toBe(true);
  await expect(tall.getByText('step_19 = 19')).toBeVisible();

  // A table's numbers never break across lines in the narrow sidebar.
  const cell = entries(page, 'final').locator('td', { hasText: '12,000,000' });
  const heights = await cell.evaluate(node => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return range.getClientRects().length;
  });
  expect(heights).toBe(1);
});

test('a step shows its plot as a thumbnail leading to its cell, and its DataFrame as a table', async ({
  page
}) => {
  await script([
    `<execute>\n${PLOT}\n</execute>`,
    '<solution>plotted</solution>'
  ]);
  await notebookWithChat(page, 'plot.ipynb');
  await ask(page, 'Plot the revenue.');
  await expect(entries(page, 'final')).toContainText('plotted');
  const step = entries(page, 'observation');
  const thumbnail = step.getByRole('button', { name: /^Plot: go to cell/ });
  await expect(thumbnail).toHaveCount(1);
  await expect(thumbnail.locator('img')).toHaveAttribute(
    'src',
    /^data:image\/png;base64,/
  );
  // The figure's text alone is not an output.
  await expect(step).not.toContainText('<Figure size');
  // The DataFrame, as a table.
  const table = step.getByRole('region', { name: 'Table' });
  await expect(table.locator('th')).toContainText(['', 'region', 'revenue']);
  await expect(table.locator('tbody tr').first()).toContainText('North');

  await page.notebook.selectCells(0);
  await thumbnail.click();
  await expect(
    page.locator('.jp-Notebook .jp-Cell.jp-mod-active')
  ).toContainText('png = b');
});

/** The WCAG contrast ratio of an element's text on its background. */
async function contrast(element: Locator): Promise<number> {
  return element.evaluate(node => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    // The browser resolves theme variables and color-mix(); read it back.
    const rgba = (css: string, over?: number[]): number[] => {
      context.clearRect(0, 0, 1, 1);
      if (over) {
        context.fillStyle = `rgb(${over.join(',')})`;
        context.fillRect(0, 0, 1, 1);
      }
      context.fillStyle = css;
      context.fillRect(0, 0, 1, 1);
      return [...context.getImageData(0, 0, 1, 1).data.slice(0, 3)];
    };
    let background = 'rgba(0, 0, 0, 0)';
    for (let at: Element | null = node; at; at = at.parentElement) {
      const colour = getComputedStyle(at).backgroundColor;
      if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') {
        background = colour;
        break;
      }
    }
    const back = rgba(background, [255, 255, 255]);
    const text = rgba(getComputedStyle(node).color, back);
    const luminance = (rgb: number[]): number => {
      const [r, g, b] = rgb.map(value => {
        const c = value / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [light, dark] = [luminance(text), luminance(back)].sort(
      (a, b) => b - a
    );
    return (light + 0.05) / (dark + 0.05);
  });
}

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const galata = page as unknown as {
    theme: { setDarkTheme(): Promise<void>; setLightTheme(): Promise<void> };
  };
  await (theme === 'dark'
    ? galata.theme.setDarkTheme()
    : galata.theme.setLightTheme());
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    theme === 'light' ? 'true' : 'false'
  );
}

test('error boxes reach WCAG AA contrast in the light and dark themes', async ({
  page
}) => {
  await script([{ status: 401, error_message: 'Incorrect API key provided.' }]);
  await notebookWithChat(page, 'contrast.ipynb');
  await ask(page, 'Hello?');
  const error = entries(page, 'error').locator('.jp-CodeAct-errorText');
  await expect(error).toContainText('rejected the API key');
  for (const theme of ['dark', 'light'] as const) {
    await setTheme(page, theme);
    expect(await contrast(error)).toBeGreaterThanOrEqual(4.5);
  }
});

test('each answer once: a reply in plain prose is the answer, shown once', async ({
  page
}) => {
  const answer = 'The North region earned the most: $18,100 of $32,000.';
  await script([
    answer,
    // The tools style: a reply without a call is the answer too.
    {
      content: 'Nothing more to run: South earned $13,900.',
      tool_calls: []
    }
  ]);
  await notebookWithChat(page, 'once.ipynb');
  await setSetting(page, 'actionStyle', 'tags');
  try {
    await eachAnswerOnce(page, answer);
  } finally {
    await setSetting(page, 'actionStyle', null);
  }
});

async function eachAnswerOnce(page: Page, answer: string): Promise<void> {
  await ask(page, 'Which region earned most?');
  await expect(entries(page, 'final')).toHaveCount(1);
  await expect(entries(page, 'final')).toContainText(answer);
  const panelText = (await chatPanel(page).innerText()).replace(/\s+/g, ' ');
  expect(panelText.split('The North region earned the most').length - 1).toBe(
    1
  );
  await setSetting(page, 'actionStyle', 'tools');
  await ask(page, 'And South?');
  await expect(entries(page, 'final')).toHaveCount(2);
  const after = (await chatPanel(page).innerText()).replace(/\s+/g, ' ');
  expect(after.split('South earned $13,900').length - 1).toBe(1);
  const [, second] = await llmRequests();
  expect(second.body.tools?.length).toBeGreaterThan(0); // it was the tools style
}
