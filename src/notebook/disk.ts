/**
 * After the server wrote a notebook's file while this page was away (its
 * connection dropped past the grace period), the page has applied the same
 * operations to its own copy; its next save would still compare the file on
 * disk with the one it loaded and raise JupyterLab's "File Changed" dialog.
 *
 * When the file changed only by the server's writes (a chain that starts at
 * the hash this page last loaded or saved, each write starting where the last
 * ended) and the page holds everything they wrote, the file on disk is a
 * state this page has merged: the page takes it as its own. It does so
 * through the contents API, with a rename of the file to its own path: the
 * server answers with the file's current model, and the document context,
 * which follows renames of its file, takes that model as the one on disk.
 * Any other change of the file (another tab, an editor) still raises the
 * dialog, as it must.
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';

import { IDiskWrite } from '../wire';

/**
 * Whether `writes` account for every change of the file since `panel` last
 * read or wrote it, and `panel` holds all they wrote (`applied`).
 */
export function mergedWrites(
  hash: string | null | undefined,
  writes: readonly IDiskWrite[],
  applied: Readonly<Record<string, number>>
): boolean {
  if (!hash || !writes.length) {
    return false;
  }
  const start = writes.findIndex(write => write.before === hash);
  if (start < 0) {
    return false;
  }
  for (let index = start + 1; index < writes.length; index++) {
    if (writes[index].before !== writes[index - 1].after) {
      return false;
    }
  }
  const last = writes[writes.length - 1];
  return Object.entries(last.applied).every(
    ([chat, seq]) => (applied[chat] ?? -1) >= seq
  );
}

/**
 * Take the file on disk as this page's own, when it is what the page has
 * merged (see the module's comment). Resolves to whether it did.
 */
export async function adoptDiskWrites(
  panel: NotebookPanel,
  writes: readonly IDiskWrite[],
  applied: Readonly<Record<string, number>>,
  contents: Contents.IManager
): Promise<boolean> {
  const context = panel.context;
  if (!mergedWrites(context.contentsModel?.hash, writes, applied)) {
    return false;
  }
  try {
    await contents.rename(context.path, context.path);
    return true;
  } catch (error) {
    console.warn('CodeAct: could not refresh the notebook file model', error);
    return false;
  }
}
