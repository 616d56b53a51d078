/**
 * The trust prompt: the project's files the user has not trusted, what
 * each would do (the commands an mcp.json runs, the URLs it calls, the
 * rules an AGENTS.md gives), and Trust / Not now. Everything is plain text.
 */
import React, { useState } from 'react';

import type { TrustModel } from '../trust';
import { ITrustFile, ITrustServer } from '../wire';
import { useSignals } from './hooks';

function ServerView(props: { server: ITrustServer }): JSX.Element {
  const { server } = props;
  const variables = server.variables ?? [];
  return (
    <li className="jp-CodeAct-trustServer">
      <strong>{server.name}</strong>
      {server.disabled ? ' (disabled)' : ''}
      {server.command !== undefined && (
        <>
          {' runs '}
          <code>{server.command}</code>
          {server.cwd ? ` in ${server.cwd}` : ''}
        </>
      )}
      {server.url !== undefined && (
        <>
          {' connects to '}
          <code>{server.url}</code>
        </>
      )}
      {server.problem ? ` (${server.problem})` : ''}
      {server.env?.length ? (
        <div>sets the variables {server.env.join(', ')}</div>
      ) : null}
      {server.headers?.length ? (
        <div>sends the headers {server.headers.join(', ')}</div>
      ) : null}
      {variables.length ? (
        <div>
          asks for your variables{' '}
          {variables
            .map(
              v =>
                `\${${v.name}} (${v.given ? 'given' : 'not given: not in c.CodeAct.project_variables'})`
            )
            .join(', ')}
        </div>
      ) : null}
    </li>
  );
}

function FileView(props: { file: ITrustFile }): JSX.Element {
  const { file } = props;
  if (file.kind === 'rules') {
    return (
      <div
        className="jp-CodeAct-trustFile"
        data-codeact-trust-file={file.label}
      >
        <div>
          <code>{file.label}</code>: rules the agent would follow
        </div>
        <pre className="jp-CodeAct-trustExcerpt">
          {file.excerpt}
          {file.truncated ? '\n[…]' : ''}
        </pre>
      </div>
    );
  }
  const servers = file.servers ?? [];
  return (
    <div className="jp-CodeAct-trustFile" data-codeact-trust-file={file.label}>
      <div>
        <code>{file.label}</code>:{' '}
        {file.problem
          ? `cannot be read (${file.problem})`
          : servers.length
            ? 'MCP servers'
            : 'no MCP server'}
      </div>
      {servers.length ? (
        <ul>
          {servers.map(server => (
            <ServerView key={server.name} server={server} />
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function TrustPrompt(props: { model: TrustModel }): JSX.Element | null {
  const { model } = props;
  const [reviewing, setReviewing] = useState(false);
  useSignals(model.changed);
  const files = model.files;
  if (!files.length) {
    return null;
  }
  const names = files.map(file => file.label).join(', ');
  if (files.every(file => file.declined) && !reviewing) {
    return (
      <div className="jp-CodeAct-trust jp-mod-folded">
        Not trusted, so not used: {names}.{' '}
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject jp-CodeAct-trustReview"
          onClick={() => setReviewing(true)}
        >
          Review
        </button>
      </div>
    );
  }
  return (
    <div
      className="jp-CodeAct-trust"
      role="alertdialog"
      aria-label="Trust this project's files?"
    >
      <div className="jp-CodeAct-trustTitle">
        Trust this project&apos;s files?
      </div>
      <div>
        They came with the folder, not from your settings, and the agent does
        not use them until you trust them. Trust them only if you trust whoever
        wrote them: an MCP server runs a command on this machine or calls a URL.
      </div>
      {files.map(file => (
        <FileView key={file.path} file={file} />
      ))}
      {model.problem && (
        <div className="jp-CodeAct-trustProblem" role="alert">
          {model.problem}
        </div>
      )}
      <div className="jp-CodeAct-trustButtons">
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          disabled={model.deciding}
          onClick={() => {
            setReviewing(false);
            void model.decide('trust');
          }}
        >
          Trust
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          disabled={model.deciding}
          onClick={() => {
            setReviewing(false);
            void model.decide('not_now');
          }}
        >
          Not now
        </button>
      </div>
    </div>
  );
}
