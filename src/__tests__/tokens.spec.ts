import schema from '../../schema/plugin.json';
import {
  codeactUrl,
  CONTEXT_CELLS_MAX,
  CONTEXT_CELLS_MIN,
  DEFAULT_SETTINGS,
  normalizeSettings
} from '../tokens';

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
        actionStyle: 'tools',
        insertPosition: 'end',
        contextCells: 12,
        untrustedAgentOutputs: true,
        replaceFailedCells: false,
        narrate: true,
        model: 'gpt-5-mini',
        reasoningEffort: 'low'
      })
    ).toEqual({
      approvalMode: 'ask',
      actionStyle: 'tools',
      insertPosition: 'end',
      contextCells: 12,
      untrustedAgentOutputs: true,
      replaceFailedCells: false,
      narrate: true,
      model: 'gpt-5-mini',
      reasoningEffort: 'low'
    });
  });

  it('replaces invalid values with defaults and clamps contextCells', () => {
    expect(
      normalizeSettings({
        approvalMode: 'never',
        actionStyle: 'json',
        insertPosition: 3,
        untrustedAgentOutputs: 'yes',
        replaceFailedCells: 'yes',
        narrate: 1
      })
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
    expect(properties.actionStyle.default).toBe(DEFAULT_SETTINGS.actionStyle);
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
    for (const value of properties.actionStyle.enum) {
      expect(normalizeSettings({ actionStyle: value }).actionStyle).toBe(value);
    }
    for (const value of properties.reasoningEffort.enum) {
      expect(
        normalizeSettings({ reasoningEffort: value }).reasoningEffort
      ).toBe(value);
    }
    expect(properties.model.default).toBe(DEFAULT_SETTINGS.model);
    for (const value of properties.insertPosition.enum) {
      expect(normalizeSettings({ insertPosition: value }).insertPosition).toBe(
        value
      );
    }
  });
});
