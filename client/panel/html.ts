// The webview document: strict CSP, nonce'd bundled script, theme variables only, no remote resources.
import { randomBytes } from 'node:crypto';

export function panelHtml(opts: { cspSource: string; scriptUri: string; styleUri: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = `default-src 'none'; style-src ${opts.cspSource}; script-src 'nonce-${nonce}'; img-src ${opts.cspSource}; font-src ${opts.cspSource}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${opts.styleUri}">
<title>Codex decision log</title>
</head>
<body>
<div class="toolbar" role="toolbar" aria-label="Decision log tools">
  <input id="filter" data-testid="filter" type="search" placeholder="Filter: host:github decision:deny hook:… reason:… or text  ( / )" aria-label="Filter decisions" spellcheck="false">
  <select id="decision" data-testid="decision-filter" aria-label="Decision">
    <option value="">all</option><option value="allow">allowed</option><option value="deny">blocked</option>
  </select>
  <button id="pause" data-testid="pause" title="Pause live updates">Pause</button>
  <button id="clear" data-testid="clear" title="Clear the log">Clear</button>
  <button id="export-jsonl" data-testid="export-jsonl" title="Export as JSON Lines">JSONL</button>
  <button id="export-har" data-testid="export-har" title="Export as HAR">HAR</button>
  <span id="count" data-testid="count" aria-live="polite"></span>
</div>
<div id="status" data-testid="status" class="status"></div>
<div class="header" aria-hidden="true"><span>Time</span><span>Decision</span><span>Method</span><span>Host</span><span>Path</span><span>Reason</span><span>Hook</span></div>
<div id="list" data-testid="list" class="list" tabindex="0" role="listbox" aria-label="Decisions"><div id="spacer" class="spacer"></div></div>
<div id="detail" data-testid="detail" class="detail" tabindex="-1" hidden></div>
<script nonce="${nonce}" src="${opts.scriptUri}"></script>
</body>
</html>`;
}
