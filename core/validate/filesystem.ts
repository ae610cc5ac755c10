// `[permissions.<name>.filesystem]` rules Codex applies when it compiles a profile
// (core/src/config/permissions.rs), with its wording. Reported on every profile: Codex refuses
// the profile as soon as it is selected.
import type { PolicyDiagnostic } from '../diagnostics';
import type { PathSegment } from '../toml/positions';
import { table } from '../toml/values';

type Emit = (d: PolicyDiagnostic) => void;

const hasGlob = (p: string) => /[*?[\]]/.test(p);
const withoutTrailingGlob = (p: string) => (p.endsWith('/**') ? p.slice(0, -3) : p);
// Unix absolute, `~`/`~/…`, or a Windows drive/UNC path (the same file may serve Windows users).
const isAbsoluteLike = (p: string) => p.startsWith('/') || p === '~' || p.startsWith('~/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
const isProjectRoots = (p: string) => p === ':workspace_roots' || p === ':project_roots';
// Rust `Path::components` all `Normal`: not empty, not rooted, no `..`, no leading `.`.
const isDescendant = (p: string) => p !== '' && !p.startsWith('/') && p.split('/')[0] !== '.' && !p.split('/').includes('..');
const KNOWN_SPECIAL = new Set([':root', ':minimal', ':tmpdir', ':slash_tmp']);

export function checkFilesystemTable(fs: Record<string, unknown>, base: PathSegment[], emit: Emit): void {
  const err = (path: PathSegment[], target: 'key' | 'value', message: string) => emit({ path, target, severity: 'error', code: 'filesystem-path-invalid', message });
  for (const [path, permission] of Object.entries(fs)) {
    const at: PathSegment[] = [...base, path];
    if (path === 'glob_scan_max_depth') {
      if (permission === 0) err(at, 'value', 'glob_scan_max_depth must be at least 1');
      continue;
    }
    const special = path.startsWith(':');
    if (!special && !isAbsoluteLike(path)) err(at, 'key', `filesystem path \`${path}\` must be absolute, use \`~/...\`, or start with \`:\``);
    if (typeof permission === 'string') {
      if (permission !== 'deny' && permission !== 'none' && !special && hasGlob(withoutTrailingGlob(path))) {
        err(at, 'key', `filesystem glob path \`${path}\` only supports \`deny\` access; use an exact path or trailing \`/**\` for \`${permission}\` subtree access`);
      }
      continue;
    }
    for (const [subpath, access] of Object.entries(table(permission) ?? {})) {
      if (subpath === '.') continue;
      const sub: PathSegment[] = [...at, subpath];
      const glob = hasGlob(subpath);
      if (glob && access !== 'deny' && access !== 'none') err(sub, 'key', `filesystem glob subpath \`${subpath}\` only supports \`deny\` access`);
      else if (special && KNOWN_SPECIAL.has(path) && !isProjectRoots(path)) err(sub, 'key', `filesystem path \`${path}\` does not support nested entries`);
      else if (!isDescendant(subpath)) {
        err(sub, 'key', `filesystem subpath \`${subpath}\` must be a descendant path without \`.\` or \`..\` components`);
      }
    }
  }
}
