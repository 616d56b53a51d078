/**
 * The model line of the header: the model the next request uses, picked
 * from what the endpoint lists (and its reasoning effort, where the model
 * takes one); or, with no model set up, a plain "No model set up".
 */
import React from 'react';

import type { ModelChoices } from '../modelchoice';
import type { SettingsModel } from '../settings';
import { REASONING_EFFORTS, ReasoningEffort } from '../tokens';
import type { IPublicConfig } from '../wire';

export function ModelLine(props: {
  config: IPublicConfig | null;
  configError: string | null;
  models: ModelChoices;
  settings: SettingsModel;
}): JSX.Element {
  const { config, models, settings } = props;
  if (!config) {
    return (
      <div className="jp-CodeAct-model">
        {props.configError ?? 'Loading the configuration…'}
      </div>
    );
  }
  if (!config.configured) {
    return <div className="jp-CodeAct-model jp-mod-unset">No model set up</div>;
  }
  const list = models.list;
  const model = models.model || config.model;
  const names = list?.models.map(item => item.id) ?? [config.model];
  const where = config.base_url ?? 'api.openai.com';
  const problem = list?.problem ?? models.error;
  return (
    <div className="jp-CodeAct-model">
      <select
        className="jp-CodeAct-modelSelect"
        aria-label="Model"
        title={`The model your requests use, served at ${where}${problem ? `\n${problem}` : ''}`}
        value={model}
        disabled={!list}
        onChange={event => {
          const picked = event.target.value;
          void settings.set('model', picked === list?.default ? '' : picked);
        }}
      >
        {names.map(name => (
          <option key={name} value={name}>
            {name === (list?.default ?? config.model)
              ? `${name} (server default)`
              : name}
          </option>
        ))}
      </select>
      {models.takesEffort(model) && (
        <select
          className="jp-CodeAct-effortSelect"
          aria-label="Reasoning effort"
          title="How hard the model thinks before it answers"
          value={settings.current.reasoningEffort}
          onChange={event => {
            void settings.set(
              'reasoningEffort',
              event.target.value as ReasoningEffort
            );
          }}
        >
          <option value="">Default effort</option>
          {REASONING_EFFORTS.map(effort => (
            <option key={effort} value={effort}>
              {`${effort[0].toUpperCase()}${effort.slice(1)} effort`}
            </option>
          ))}
        </select>
      )}
      {models.unavailable && (
        <div className="jp-CodeAct-modelNote" role="note">
          {`${models.unavailable} is not offered by the endpoint now: using ${model}.`}
        </div>
      )}
    </div>
  );
}
