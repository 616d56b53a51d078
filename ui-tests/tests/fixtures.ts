/**
 * Galata's `test`, with more time for JupyterLab to start in the page.
 *
 * Galata waits a fixed 15 s for the application to start and then for its
 * Launcher (`waitForCondition` without a timeout); on a busy machine, with
 * the Python tests beside the browser tests, a page can take longer, which
 * says nothing of what a test checks. A wait given its own timeout keeps it.
 */
import { JupyterLabPage, test } from '@jupyterlab/galata';

const START_TIMEOUT = 60_000;

const waitForCondition = JupyterLabPage.prototype.waitForCondition;
JupyterLabPage.prototype.waitForCondition = function (
  condition: () => Promise<boolean> | boolean,
  timeout?: number
): Promise<void> {
  return waitForCondition.call(this, condition, timeout ?? START_TIMEOUT);
};

export { test };
