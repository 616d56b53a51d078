/**
 * Galata's `test`, with a start-up wait that gives JupyterLab as long as the
 * test itself has. Galata waits a fixed 15 s for the Launcher once the splash
 * is gone; with two workers and the Python tests beside them on a busy
 * machine, a page can take longer to start, which says nothing of the tests.
 */
import { expect, test as galataTest } from '@jupyterlab/galata';

export const test = galataTest.extend({
  waitForApplication: async ({}, use, testInfo) => {
    await use(async (page, helpers) => {
      await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
      await expect
        .poll(() => helpers.activity.isTabActive('Launcher'), {
          timeout: testInfo.timeout
        })
        .toBe(true);
      // As Galata does: the current tab is not always set active.
      if (!(await helpers.isInSimpleMode())) {
        await helpers.activity.activateTab('Launcher');
      }
    });
  }
});
