// The requests TRY-ME.md promises, with what each must give. One list serves the markdown the demo
// writes into its workspace and the test that runs every request through the demo's real proxy.

export interface TryMe {
  /** What the request shows (one line). */
  title: string;
  /** Exactly what the user types in a proxied terminal. */
  command: string;
  /** What the user will see, in words. */
  promise: string;
  expect: {
    /** The decision the log records for the request (the last one for that host). */
    decision: 'allow' | 'deny';
    reason?: string;
    /** Text the decision's explanation contains. */
    explanation?: RegExp;
    /** Text the terminal output contains / must not contain. */
    output?: RegExp[];
    absent?: RegExp[];
  };
}

export const TRY_ME: readonly TryMe[] = [
  {
    title: 'Pattern 2: reads of your org carry the CI token, never the agent\'s',
    command: 'curl -sS https://api.github.com/repos/myorg/app',
    promise: 'allowed; the stand-in\'s echo shows `"authorization": "Bearer demo-ci-token"`, injected by hook `github_controlled_access`',
    expect: { decision: 'allow', explanation: /^matched hook `github_controlled_access` at config\.toml:\d+, stripped `authorization`, injected `authorization`$/, output: [/"authorization": "Bearer demo-ci-token"/, /local demo stand-in for api\.github\.com/] },
  },
  {
    title: 'Pattern 1: credentials the agent leaks into a write are stripped',
    command: 'curl -sS -X POST -H "Authorization: Bearer leaked-agent-token" -H "Cookie: session=leak" https://api.github.com/repos/openai/codex/issues',
    promise: 'allowed; the echo shows no `authorization` and no `cookie` header (hook `strip_all_auth`)',
    expect: { decision: 'allow', explanation: /^matched hook `strip_all_auth` at config\.toml:\d+, stripped `authorization`, `x-api-key`, `cookie`$/, output: [/"method": "POST"/], absent: [/leaked-agent-token/, /session=leak/, /"authorization"/] },
  },
  {
    title: 'Pattern 3: the internal API is read-only',
    command: 'curl -sS -X POST https://internal-api.company.com/v1/deploy',
    promise: '403 `HTTPS request denied by MITM hook policy.` and a `Why:` line: no hook matches POST /v1/deploy',
    expect: { decision: 'deny', reason: 'mitm_hook_denied', explanation: /^no hook on internal-api\.company\.com matches POST \/v1\/deploy/, output: [/^HTTPS request denied by MITM hook policy\.$/m, /^Why: no hook on internal-api\.company\.com matches POST \/v1\/deploy/m] },
  },
  {
    title: 'Pattern 3, continued: reads of the internal API pass',
    command: 'curl -sS https://internal-api.company.com/v1/status',
    promise: 'allowed; the echo shows the GET (hook `internal_read_only`)',
    expect: { decision: 'allow', explanation: /^matched hook `internal_read_only`/, output: [/"path": "\/v1\/status"/] },
  },
  {
    title: 'Pattern 4: publishing only under /-/package/ gets the npm token',
    command: 'curl -sS -X PUT https://registry.npmjs.org/-/package/left-pad/dist-tags',
    promise: 'allowed; the echo shows `"authorization": "Bearer demo-npm-token"` (hook `registry_publish`)',
    expect: { decision: 'allow', explanation: /^matched hook `registry_publish`/, output: [/"authorization": "Bearer demo-npm-token"/] },
  },
  {
    title: 'A denylisted tracker',
    command: 'curl -sS http://tracker.example.com/pixel.gif',
    promise: '403 JSON with `"reason":"denied"` and an `explanation`: denied by `tracker.example.com`, and a deny always wins',
    expect: { decision: 'deny', reason: 'denied', explanation: /^tracker\.example\.com is denied by `tracker\.example\.com` \(config\.toml:\d+\), and a deny always wins$/, output: [/"reason":"denied"/, /"explanation":"tracker\.example\.com is denied/] },
  },
  {
    title: 'A host outside the allowlist',
    command: 'curl -sS http://example.org/',
    promise: '403 JSON with `"reason":"not_allowed"`: example.org is not in the allowlist',
    expect: { decision: 'deny', reason: 'not_allowed', explanation: /^example\.org is not in the allowlist$/, output: [/"reason":"not_allowed"/] },
  },
  {
    title: 'A DNS failure, explained',
    command: 'curl -sS http://mirror.company.invalid/',
    promise: '403 JSON with `"reason":"not_allowed_local"` (as Codex reports it) and an explanation: the name could not be resolved, and Codex fails closed',
    expect: { decision: 'deny', reason: 'not_allowed_local', explanation: /^mirror\.company\.invalid could not be resolved \([A-Z_]+\), and Codex fails closed/, output: [/could not be resolved/] },
  },
];

/** TRY-ME.md for the demo workspace. */
export function tryMeMarkdown(): string {
  const lines = [
    '# Codex Network Policy demo',
    '',
    '> **Everything here runs against local stand-ins.** `npm run demo` started one HTTPS server on',
    '> 127.0.0.1 (with its own test CA, trusted by the proxy) that answers for every host below and',
    '> echoes what it received. Nothing leaves this machine; no real GitHub or npm is contacted.',
    '> `mirror.company.invalid` has no stand-in (and `.invalid` never resolves) on purpose: it shows a DNS failure.',
    '',
    '1. Open `.codex/config.toml`: hover a hook, a domain pattern or a key; try completion after `action = [`.',
    '2. Run **Codex Network Policy: Open Proxied Terminal** (F1), then try:',
    '',
  ];
  TRY_ME.forEach((t, i) => {
    lines.push(`   ${i + 1}. ${t.title}`, '', '      ```sh', `      ${t.command}`, '      ```', '', `      → ${t.promise}.`, '');
  });
  lines.push(
    '3. Watch **Codex Network Policy: Show Decision Log**: every decision with one sentence saying why, and the TOML line that decided.',
    '',
    'The demo injects placeholder tokens (`demo-ci-token`, `demo-npm-token`): the stand-in echoes them back,',
    'the decision log and exports only ever show header names.',
    '',
  );
  return lines.join('\n');
}
