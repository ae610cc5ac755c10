// config.toml checked against the requirements.toml that governs it: values the requirements
// forbid (Codex falls back with a startup warning), pinned features contradicted (a hard error),
// managed network ceilings, and user allow entries made inert by `managed_allowed_domains_only`.
import type { PolicyDiagnostic } from '../diagnostics';
import type { LoadedDocument } from '../toml/load';
import type { PathSegment } from '../toml/positions';
import { table } from '../toml/values';

type Emit = (d: PolicyDiagnostic) => void;

const quote = (v: string) => `\`${v}\``;
const list = (vs: readonly string[]) => vs.map(quote).join(', ');

/** Legacy feature aliases (`key_aliases.rs`, `features/src/legacy.rs`) to their canonical key. */
const FEATURE_ALIASES: Record<string, string> = { codex_hooks: 'hooks', connectors: 'apps' };
const canonicalFeature = (k: string) => FEATURE_ALIASES[k] ?? k;

interface Constrained {
  key: string;
  allowedKey: string;
  /** Normalise both sides (e.g. `guardian_subagent` reads as `auto_review`). */
  norm?: (v: string) => string;
  /** Always allowed regardless of the list. */
  implicit?: string[];
  fallback: (allowed: string[]) => string;
}

const CONSTRAINED: Constrained[] = [
  { key: 'approval_policy', allowedKey: 'allowed_approval_policies', fallback: (a) => a[0]! },
  { key: 'approvals_reviewer', allowedKey: 'allowed_approvals_reviewers', norm: (v) => (v === 'guardian_subagent' ? 'auto_review' : v), fallback: (a) => a[0]! },
  // Decision: the sandbox fallback named is `read-only`, the one mode every allowlist must hold.
  { key: 'sandbox_mode', allowedKey: 'allowed_sandbox_modes', fallback: () => 'read-only' },
  {
    key: 'web_search', allowedKey: 'allowed_web_search_modes', implicit: ['disabled'],
    fallback: (a) => ['cached', 'indexed', 'live'].find((m) => a.includes(m)) ?? 'disabled',
  },
];

/** Managed `[experimental_network]` booleans that are ceilings over the user's profile network. */
const CEILINGS = ['enabled', 'allow_local_binding', 'allow_upstream_proxy', 'dangerously_allow_non_loopback_proxy', 'dangerously_allow_all_unix_sockets'] as const;

export function checkCrossFile(config: LoadedDocument, requirements: LoadedDocument, emit: Emit): void {
  const cfg = config.value;
  const req = requirements.value;
  if (!cfg || !req) return;
  checkConstrainedValues(cfg, req, emit);
  checkPinnedFeatures(cfg, req, emit);
  checkNetworkCeilings(cfg, req, emit);
}

function checkConstrainedValues(cfg: Record<string, unknown>, req: Record<string, unknown>, emit: Emit): void {
  for (const c of CONSTRAINED) {
    const value = cfg[c.key];
    const allowedRaw = req[c.allowedKey];
    if (typeof value !== 'string' || !Array.isArray(allowedRaw)) continue;
    const allowed = allowedRaw.filter((x): x is string => typeof x === 'string');
    if (c.allowedKey !== 'allowed_web_search_modes' && allowed.length === 0) continue; // empty list: reported in requirements
    const norm = c.norm ?? ((v: string) => v);
    const ok = [...allowed, ...(c.implicit ?? [])].map(norm);
    if (ok.includes(norm(value))) continue;
    const fallback = c.fallback(allowed);
    emit({
      path: [c.key], target: 'value', severity: 'warning', code: 'requirements-forbidden-value', file: 'config',
      message: `\`${c.key} = "${value}"\` is not allowed by requirements.toml (\`${c.allowedKey}\` = [${list(allowed)}]): Codex falls back to \`${fallback}\` with a startup warning.`,
      related: [{ path: [c.allowedKey], message: 'allowed values set here', file: 'requirements' }],
      data: { key: c.key, allowed, fallback },
    });
  }
}

function checkPinnedFeatures(cfg: Record<string, unknown>, req: Record<string, unknown>, emit: Emit): void {
  const pins = new Map<string, { value: boolean; path: PathSegment[] }>();
  for (const key of ['feature_requirements', 'features'] as const) {
    for (const [k, v] of Object.entries(table(req[key]) ?? {})) if (typeof v === 'boolean') pins.set(canonicalFeature(k), { value: v, path: [key, k] });
  }
  if (!pins.size) return;
  const scan = (features: Record<string, unknown> | undefined, base: PathSegment[]) => {
    for (const [k, v] of Object.entries(features ?? {})) {
      const pin = pins.get(canonicalFeature(k));
      const user = typeof v === 'boolean' ? v : table(v) && typeof table(v)!.enabled === 'boolean' ? (table(v)!.enabled as boolean) : undefined;
      if (!pin || user === undefined || user === pin.value) continue;
      emit({
        path: [...base, k], target: typeof v === 'boolean' ? 'value' : 'key', severity: 'error', code: 'requirements-feature-conflict', file: 'config',
        message: `feature \`${k}\` is pinned to \`${pin.value}\` by requirements.toml; setting it to \`${user}\` here stops Codex from starting. Remove this line.`,
        related: [{ path: pin.path, message: `pinned to ${pin.value} here`, file: 'requirements' }],
        data: { feature: k, pinned: pin.value },
      });
    }
  };
  scan(table(cfg.features), ['features']);
  for (const [name, body] of Object.entries(table(cfg.profiles) ?? {})) scan(table(table(body)?.features), ['profiles', name, 'features']);
}

function checkNetworkCeilings(cfg: Record<string, unknown>, req: Record<string, unknown>, emit: Emit): void {
  const managed = table(req.experimental_network);
  if (!managed) return;
  const managedOnly = managed.managed_allowed_domains_only === true;
  for (const [profile, body] of Object.entries(table(cfg.permissions) ?? {})) {
    const net = table(table(body)?.network);
    if (!net) continue;
    const base: PathSegment[] = ['permissions', profile, 'network'];
    for (const key of CEILINGS) {
      if (managed[key] !== false || net[key] !== true) continue;
      // Decision: `enabled` is an error (C.2: a user `true` is invalid under a managed `false`);
      // the other ceilings are warnings because Codex writes the managed `false` over them.
      const hard = key === 'enabled';
      emit({
        path: [...base, key], target: 'value', severity: hard ? 'error' : 'warning', code: 'requirements-ceiling', file: 'config',
        message: hard
          ? '`enabled = true` exceeds the managed ceiling: requirements.toml sets `experimental_network.enabled = false`, so Codex rejects this network configuration.'
          : `\`${key} = true\` has no effect: requirements.toml sets \`experimental_network.${key} = false\`, which Codex enforces.`,
        related: [{ path: ['experimental_network', key], message: 'managed value set here', file: 'requirements' }],
        data: { key, managed: false },
      });
    }
    if (!managedOnly) continue;
    for (const [pattern, permission] of Object.entries(table(net.domains) ?? {})) {
      if (permission !== 'allow') continue;
      emit({
        path: [...base, 'domains', pattern], target: 'key', severity: 'warning', code: 'requirements-inert-allow', file: 'config',
        message: `this allow entry has no effect: requirements.toml sets \`managed_allowed_domains_only = true\`, so only the managed allowlist counts and \`${pattern}\` stays blocked unless the requirements allow it.`,
        related: [{ path: ['experimental_network', 'managed_allowed_domains_only'], message: 'set here', file: 'requirements' }],
        data: { pattern },
      });
    }
  }
}
