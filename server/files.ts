// Which documents the server serves: config.toml / requirements.toml under a `.codex/` folder,
// `$CODEX_HOME`, `~/.codex/`, `/etc/codex/`, plus the user's extra globs. Anything else is ignored
// even if the client sends it (other TOML files belong to other tools).
import { homedir } from 'node:os';
import { SYSTEM_CODEX_DIR } from '../core/paths';
import { URI_SCHEMES, uriToPath } from './uri';
import type { ServerSettings } from './settings';
import { documentKindOf, type DocumentKind } from '../core/toml/load';
import { POLICY_TEST_FILE } from '../core/model/policyTest';

/** A policy file, or a `*.policytest.toml` naming one. */
export type ServedKind = DocumentKind | 'policytest';

const POLICY_NAME = /(^|\/)(config|requirements)\.toml$/i;

function norm(p: string): string {
  return p.replace(/\\/g, '/').replace(/\/+$/, '');
}

/** Compiles a glob (`**`, `*`, `?`, `{a,b}`) over `/`-separated paths; `~/` expands to home. */
function globToRegExp(glob: string, home = homedir()): RegExp {
  let g = norm(glob.trim());
  if (g.startsWith('~/')) g = norm(home) + g.slice(1);
  // Decision: a glob without a `/` matches the file name anywhere (as VS Code's file patterns do).
  if (!g.includes('/')) g = '**/' + g;
  let re = '';
  let depth = 0;
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        const slash = g[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') { re += '(?:'; depth++; }
    else if (c === '}' && depth > 0) { re += ')'; depth--; }
    else if (c === ',' && depth > 0) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  while (depth-- > 0) re += ')';
  return new RegExp(`^${g.startsWith('/') || /^[A-Za-z]:/.test(g) ? '' : '(?:.*/)?'}${re}$`, process.platform === 'win32' ? 'i' : '');
}

export interface ServedFile {
  path: string;
  kind: ServedKind;
}

/** The served kind of a document URI, or undefined when this server should leave it alone. */
export function servedFile(uri: string, settings: ServerSettings, env: Record<string, string | undefined> = process.env): ServedFile | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (!scheme || !URI_SCHEMES.has(scheme)) return undefined;
  const path = norm(uriToPath(uri));
  if (POLICY_TEST_FILE.test(path)) return { path, kind: 'policytest' };
  const kind = documentKindOf(path);
  for (const glob of settings.extraGlobs) {
    if (globToRegExp(glob).test(path)) return { path, kind };
  }
  if (!POLICY_NAME.test(path)) return undefined;
  const dir = path.slice(0, path.lastIndexOf('/'));
  const homes = [env.CODEX_HOME, `${homedir()}/.codex`, SYSTEM_CODEX_DIR].filter((h): h is string => !!h).map(norm);
  if (homes.some((h) => dir === h)) return { path, kind };
  // Any `.codex/` folder (project config); untitled documents have no folder, so serve by name.
  if (/(^|\/)\.codex$/.test(dir) || scheme === 'untitled') return { path, kind };
  return undefined;
}
