// `[permissions.<name>]`: a permission profile (config.toml, and managed profiles in requirements.toml).
import { z } from 'zod';
import { field, looseTable, withMeta } from './meta';
import { networkTable } from './network';

export const BUILTIN_PROFILES = [':read-only', ':workspace', ':danger-full-access'] as const;
export type BuiltinProfile = (typeof BUILTIN_PROFILES)[number];

export const builtinDocs: Record<BuiltinProfile, string> = {
  ':read-only': 'Built-in: read files, no writes, no network.',
  ':workspace': 'Built-in: write inside the workspace roots; network only as `[sandbox_workspace_write].network_access` allows (no proxy policy).',
  ':danger-full-access': 'Built-in: no sandbox and unrestricted network (requirements may still impose managed denies). Cannot be extended.',
};

const access = withMeta(z.enum(['read', 'write', 'deny', 'none']), {
  description: '`read`, `write` or `deny` (`none` is a temporary legacy alias of `deny`).',
});

const filesystemTable = withMeta(
  z.record(z.string(), z.union([access, z.number(), z.record(z.string(), access)])),
  {
    description:
      'Filesystem access by path: absolute paths, `~/…`, globs, or special paths (`:root`, `:minimal`, `:tmpdir`, `:slash_tmp`, `:workspace_roots`) mapped to `read` / `write` / `deny`. `glob_scan_max_depth` caps deny-read glob expansion.',
    keyLabel: 'path',
  },
);

export const profileTable = looseTable(
  {
    description: field(z.string(), 'What this profile is for. Not inherited.'),
    extends: field(z.string(), 'Parent profile: another custom profile, `:read-only` or `:workspace` (not `:danger-full-access`). The child is merged on top of the parent. Not inherited.', { valueSource: 'profile' }),
    workspace_roots: field(withMeta(z.record(z.string(), z.boolean()), { keyLabel: 'path', description: 'Extra workspace roots: path → `true` to enable.' }), 'Extra workspace roots: path → `true` to enable. Relative paths resolve against the working directory.', { keyLabel: 'path' }),
    filesystem: field(filesystemTable, filesystemTable.description ?? ''),
    network: field(networkTable, networkTable.description ?? ''),
  },
  'A named permission profile: filesystem and network rules, selected by `default_permissions`.',
);

export const permissionsTable = withMeta(z.record(z.string(), profileTable), {
  description: 'Named permission profiles. Select one with `default_permissions`. Names must not start with `:` (reserved for built-ins).',
  keyLabel: 'profile name',
});

