// `<home>/proxy.json`: how `codex-netpolicy env` finds the running proxy. 0600, because the
// proxyUrl carries the per-run credential. Removed on exit (only if it is still ours).
import { chmodSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ProxyState {
  pid: number;
  proxyUrl: string;
  /** `host:port` of the SOCKS5 listener, or null. */
  socks: string | null;
  caCert: string;
  allowLocalBinding: boolean;
  startedAt: string;
  /** Brokered credentials: variable → dummy (never a real value). */
  brokered?: Record<string, string>;
}

/**
 * Decision: our home is `$CODEX_NETPOLICY_HOME`, else `~/.codex-netpolicy` — never `~/.codex/proxy`,
 * so our CA and bundles cannot collide with (or be pruned by) Codex's own proxy files.
 */
export function netpolicyHome(env: Record<string, string | undefined>): string {
  return env.CODEX_NETPOLICY_HOME || join(homedir(), '.codex-netpolicy');
}

export function defaultCaDir(env: Record<string, string | undefined>): string {
  return join(netpolicyHome(env), 'ca');
}

function stateFile(home: string): string {
  return join(home, 'proxy.json');
}

export function writeState(home: string, state: ProxyState): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = stateFile(home);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function readState(home: string): ProxyState | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(stateFile(home), 'utf8'));
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const s = raw as Partial<ProxyState>;
  if (typeof s.pid !== 'number' || typeof s.proxyUrl !== 'string' || typeof s.caCert !== 'string') return null;
  const brokered = s.brokered && typeof s.brokered === 'object' ? Object.fromEntries(Object.entries(s.brokered).filter((e): e is [string, string] => typeof e[1] === 'string')) : undefined;
  return { pid: s.pid, proxyUrl: s.proxyUrl, socks: typeof s.socks === 'string' ? s.socks : null, caCert: s.caCert, allowLocalBinding: s.allowLocalBinding === true, startedAt: String(s.startedAt ?? ''), ...(brokered ? { brokered } : {}) };
}

/** Whether the process that wrote the state is still alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function removeState(home: string, pid = process.pid): void {
  const s = readState(home);
  if (s && s.pid !== pid) return;
  try {
    unlinkSync(stateFile(home));
  } catch {
    // already gone
  }
}
