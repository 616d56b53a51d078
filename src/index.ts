import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { URLExt } from '@jupyterlab/coreutils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

/**
 * The id of the main plugin. Its settings schema is `schema/plugin.json`.
 */
export const PLUGIN_ID = 'jupyter-codeact:plugin';

/**
 * The URL namespace of the jupyter-codeact server extension.
 */
export const API_NAMESPACE = 'codeact';

/**
 * Whether each cell written by the agent runs immediately or waits for
 * the user's approval.
 */
export type ApprovalMode = 'auto' | 'ask';

/**
 * Where the agent inserts the cells it writes.
 */
export type InsertPosition = 'belowLast' | 'end';

/**
 * The user settings of the extension.
 */
export interface ICodeActSettings {
  approvalMode: ApprovalMode;
  insertPosition: InsertPosition;
  contextCells: number;
}

/**
 * Bounds of the `contextCells` setting (kept in sync with the schema).
 */
export const CONTEXT_CELLS_MIN = 0;
export const CONTEXT_CELLS_MAX = 50;

/**
 * The settings used when the setting registry is unavailable.
 */
export const DEFAULT_SETTINGS: Readonly<ICodeActSettings> = Object.freeze({
  approvalMode: 'auto',
  insertPosition: 'belowLast',
  contextCells: 5
});

/**
 * Build the URL of a jupyter-codeact server endpoint.
 *
 * @param baseUrl - The Jupyter server base URL
 *   (e.g. `ServerConnection.makeSettings().baseUrl`).
 * @param segments - Path segments below the API namespace; each one is
 *   URI-encoded so that it can never add or remove a path level.
 */
export function codeactUrl(baseUrl: string, ...segments: string[]): string {
  return URLExt.join(
    baseUrl,
    API_NAMESPACE,
    ...segments.map(segment => encodeURIComponent(segment))
  );
}

/**
 * Turn raw composite settings into typed settings.
 *
 * Missing or invalid values fall back to the defaults; `contextCells` is
 * truncated to an integer and clamped to its allowed range.
 */
export function normalizeSettings(
  raw: ReadonlyPartialJSONObject | null | undefined
): ICodeActSettings {
  const settings: ICodeActSettings = { ...DEFAULT_SETTINGS };
  if (!raw) {
    return settings;
  }
  if (raw.approvalMode === 'auto' || raw.approvalMode === 'ask') {
    settings.approvalMode = raw.approvalMode;
  }
  if (raw.insertPosition === 'belowLast' || raw.insertPosition === 'end') {
    settings.insertPosition = raw.insertPosition;
  }
  const contextCells = raw.contextCells;
  if (typeof contextCells === 'number' && Number.isFinite(contextCells)) {
    settings.contextCells = Math.min(
      CONTEXT_CELLS_MAX,
      Math.max(CONTEXT_CELLS_MIN, Math.trunc(contextCells))
    );
  }
  return settings;
}

/**
 * Initialization data for the jupyter-codeact extension.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A notebook-native CodeAct agent for JupyterLab.',
  autoStart: true,
  optional: [ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null
  ): void => {
    console.debug(`${PLUGIN_ID} activated`);
    if (!settingRegistry) {
      return;
    }
    settingRegistry
      .load(PLUGIN_ID)
      .then(settings => {
        const onChange = (): void => {
          console.debug(
            `${PLUGIN_ID} settings`,
            normalizeSettings(settings.composite)
          );
        };
        onChange();
        settings.changed.connect(onChange);
      })
      .catch(reason => {
        console.error(`${PLUGIN_ID}: failed to load settings`, reason);
      });
  }
};

export default plugin;
