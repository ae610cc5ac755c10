// `codex-netpolicy env`: the shell environment for a running proxy (found via <home>/proxy.json,
// or --proxy-url). Prints the credential-bearing proxy URL on purpose: that is the point.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadOrCreateCa } from '../ca';
import { buildCaBundle, buildProxyEnv, detectShell, parseShell, renderEnv } from '../env';
import { defaultCaDir, isAlive, netpolicyHome, readState } from '../proxy/state';
import { one, parseArgs, UsageError } from './args';
import type { Io } from './io';

export const ENV_HELP = `Usage: codex-netpolicy env [--shell bash|zsh|fish|powershell] [--proxy-url URL] [--ca-dir DIR]

Prints the variables a shell needs to use the running proxy, e.g. eval "$(codex-netpolicy env)".
The running proxy is found through $CODEX_NETPOLICY_HOME/proxy.json (~/.codex-netpolicy).
With 'proxy --broker', the brokered variables are printed with their dummy values.`;

export async function runEnv(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { flags: ['help'], options: ['shell', 'proxy-url', 'ca-dir', 'socks-url'] });
  if (args.flags.has('help')) {
    io.out(ENV_HELP);
    return 0;
  }
  const shellText = one(args, 'shell');
  let shell;
  try {
    shell = shellText ? parseShell(shellText) : detectShell(io.env);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const home = netpolicyHome(io.env);
  let proxyUrl = one(args, 'proxy-url');
  let socks: string | null = one(args, 'socks-url') ?? null;
  let caCertPem: string;
  let allowLocalBinding = false;
  let brokered: Record<string, string> = {};
  if (proxyUrl) {
    const ca = await loadOrCreateCa(resolve(one(args, 'ca-dir') ?? defaultCaDir(io.env)));
    caCertPem = ca.certPem;
  } else {
    const state = readState(home);
    if (!state || !isAlive(state.pid)) {
      io.err(`codex-netpolicy env: no running proxy found (${join(home, 'proxy.json')}); start one with 'codex-netpolicy proxy' or pass --proxy-url`);
      return 1;
    }
    proxyUrl = state.proxyUrl;
    socks = state.socks ? `socks5h://${state.socks}` : null;
    allowLocalBinding = state.allowLocalBinding;
    brokered = state.brokered ?? {};
    caCertPem = readFileSync(state.caCert, 'utf8');
  }
  const bundle = await buildCaBundle({ dir: home, caCertPem, env: io.env });
  let result;
  try {
    result = buildProxyEnv({ proxyUrl, socksUrl: socks, allowLocalBinding, caBundlePath: bundle.path, caCertPath: bundle.caCertPath, currentEnv: io.env });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  for (const n of result.notes) io.err(`# ${n}`);
  // Brokered credentials: the shell gets the dummies; the proxy holds the real values.
  io.out(renderEnv({ ...result.set, ...brokered }, shell).replace(/\n$/, ''));
  return 0;
}
