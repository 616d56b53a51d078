import { JupyterFrontEnd } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';

import schema from '../../schema/plugin.json';
import plugin, {
  codeactUrl,
  CONTEXT_CELLS_MAX,
  CONTEXT_CELLS_MIN,
  DEFAULT_SETTINGS,
  normalizeSettings,
  PLUGIN_ID
} from '../index';

describe('codeactUrl', () => {
  it('joins the server base URL with the API namespace', () => {
    expect(codeactUrl('http://localhost:8888/')).toBe(
      'http://localhost:8888/codeact'
    );
    expect(codeactUrl('http://localhost:8888/user/alice/', 'sessions')).toBe(
      'http://localhost:8888/user/alice/codeact/sessions'
    );
  });

  it('does not duplicate or drop slashes', () => {
    expect(codeactUrl('http://localhost:8888/user/alice', 'runs/')).toBe(
      'http://localhost:8888/user/alice/codeact/runs%2F'
    );
    expect(codeactUrl('/', 'sessions')).toBe('/codeact/sessions');
  });

  it('encodes each segment so it stays a single path level', () => {
    expect(codeactUrl('http://h/', 'sessions', 'a b/../c?d')).toBe(
      'http://h/codeact/sessions/a%20b%2F..%2Fc%3Fd'
    );
  });
});

describe('normalizeSettings', () => {
  it('returns a copy of the defaults when there are no settings', () => {
    const settings = normalizeSettings(undefined);
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(settings).not.toBe(DEFAULT_SETTINGS);
  });

  it('keeps valid values', () => {
    expect(
      normalizeSettings({
        approvalMode: 'ask',
        insertPosition: 'end',
        contextCells: 12
      })
    ).toEqual({ approvalMode: 'ask', insertPosition: 'end', contextCells: 12 });
  });

  it('replaces invalid values with defaults and clamps contextCells', () => {
    expect(
      normalizeSettings({ approvalMode: 'never', insertPosition: 3 })
    ).toEqual(DEFAULT_SETTINGS);
    expect(normalizeSettings({ contextCells: 1000 }).contextCells).toBe(
      CONTEXT_CELLS_MAX
    );
    expect(normalizeSettings({ contextCells: -4 }).contextCells).toBe(
      CONTEXT_CELLS_MIN
    );
    expect(normalizeSettings({ contextCells: 7.9 }).contextCells).toBe(7);
    expect(normalizeSettings({ contextCells: '9' }).contextCells).toBe(
      DEFAULT_SETTINGS.contextCells
    );
  });
});

describe('settings schema', () => {
  const { properties } = schema;

  it('has the same defaults as the front-end', () => {
    expect(properties.approvalMode.default).toBe(DEFAULT_SETTINGS.approvalMode);
    expect(properties.insertPosition.default).toBe(
      DEFAULT_SETTINGS.insertPosition
    );
    expect(properties.contextCells.default).toBe(DEFAULT_SETTINGS.contextCells);
  });

  it('has the same bounds and choices as the front-end', () => {
    expect(properties.contextCells.minimum).toBe(CONTEXT_CELLS_MIN);
    expect(properties.contextCells.maximum).toBe(CONTEXT_CELLS_MAX);
    for (const value of properties.approvalMode.enum) {
      expect(normalizeSettings({ approvalMode: value }).approvalMode).toBe(
        value
      );
    }
    for (const value of properties.insertPosition.enum) {
      expect(normalizeSettings({ insertPosition: value }).insertPosition).toBe(
        value
      );
    }
  });
});

describe('plugin', () => {
  beforeEach(() => {
    jest.spyOn(console, 'debug').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('is an auto-started plugin with an optional setting registry', () => {
    expect(plugin.id).toBe(PLUGIN_ID);
    expect(plugin.autoStart).toBe(true);
    expect(plugin.optional).toEqual([ISettingRegistry]);
    expect(plugin.requires ?? []).toEqual([]);
  });

  it('activates without a setting registry', () => {
    const app = {} as JupyterFrontEnd;
    expect(() => plugin.activate(app, null)).not.toThrow();
  });

  it('loads its settings and follows their changes', async () => {
    const changed = new Signal<unknown, void>({});
    const settings = {
      composite: { approvalMode: 'ask', contextCells: 3 },
      changed
    };
    const load = jest.fn().mockResolvedValue(settings);
    const registry = { load } as unknown as ISettingRegistry;

    plugin.activate({} as JupyterFrontEnd, registry);
    await load.mock.results[0].value;
    await Promise.resolve();

    expect(load).toHaveBeenCalledWith(PLUGIN_ID);
    expect(console.debug).toHaveBeenLastCalledWith(`${PLUGIN_ID} settings`, {
      approvalMode: 'ask',
      insertPosition: 'belowLast',
      contextCells: 3
    });

    settings.composite = { approvalMode: 'auto', contextCells: 40 };
    changed.emit();
    expect(console.debug).toHaveBeenLastCalledWith(`${PLUGIN_ID} settings`, {
      approvalMode: 'auto',
      insertPosition: 'belowLast',
      contextCells: 40
    });
  });
});
