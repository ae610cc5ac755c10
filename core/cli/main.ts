// codex-netpolicy: explain, check, proxy, env, ca. Also the proxy child entry the extension spawns.
import { UsageError } from './args';
import { runExplain } from './explain';
import type { Io } from './io';
import { version } from '../../package.json';

const HELP = `codex-netpolicy ${version} — Codex network policy tools

Usage: codex-netpolicy <command> [options]

Commands:
  explain METHOD URL   What the proxy would do with a request (no traffic is sent)
  check FILE...        Diagnostics for config.toml / requirements.toml files
  fleet --requirements FILE CONFIG...
                       What a managed requirements.toml changes for each of many configs
  proxy                Run the MITM policy proxy
  env                  Print the shell environment for a running proxy
  ca                   Print the local CA path and fingerprint
  suggest --from FILE  Propose the policy edit that would have allowed denied requests
  test [FILE|DIR]...   Run *.policytest.toml policy tests (exit 1 on a failing case)
  effective            The policy the proxy would enforce, with where each entry comes from

Run 'codex-netpolicy <command> --help' for a command's options.`;

type Command = (argv: string[], io: Io) => number | Promise<number>;

/**
 * A write function that never throws and never crashes the process: after EPIPE (the reader went
 * away) or any other stream error, writes are dropped.
 */
export function safeWriter(stream: NodeJS.WriteStream): (s: string) => void {
  let broken = false;
  stream.on('error', () => {
    broken = true;
  });
  return (s) => {
    if (broken || stream.destroyed) return;
    try {
      stream.write(s + '\n');
    } catch {
      broken = true;
    }
  };
}

const commands: Record<string, () => Promise<Command>> = {
  explain: async () => runExplain,
  check: async () => (await import('./check')).runCheck,
  fleet: async () => (await import('./fleet')).runFleet,
  proxy: async () => (await import('./proxy')).runProxy,
  env: async () => (await import('./env')).runEnv,
  ca: async () => (await import('./ca')).runCa,
  suggest: async () => (await import('./suggest')).runSuggest,
  test: async () => (await import('./test')).runTest,
  effective: async () => (await import('./effective')).runEffective,
};

export function registerCommand(name: string, load: () => Promise<Command>): void {
  commands[name] = load;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(HELP);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    io.out(version);
    return 0;
  }
  const load = commands[cmd];
  if (!load) {
    io.err(`codex-netpolicy: unknown command '${cmd}'\n\n${HELP}`);
    return 64;
  }
  try {
    return await (await load())(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`codex-netpolicy ${cmd}: ${e.message} (see 'codex-netpolicy ${cmd} --help')`);
      return 64;
    }
    io.err(`codex-netpolicy ${cmd}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  const io: Io = { out: safeWriter(process.stdout), err: safeWriter(process.stderr), env: process.env, outBacklog: () => process.stdout.writableLength };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`codex-netpolicy: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
