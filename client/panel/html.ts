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
  <input id="filter" data-testid="filter" type="search" placeholder="Filter: host:github decision:deny hook:… reason:… outcome:failed or text  ( / )" aria-label="Filter decisions" spellcheck="false">
  <select id="decision" data-testid="decision-filter" aria-label="Decision">
    <option value="">all</option><option value="allow">allowed</option><option value="deny">blocked</option><option value="failed">failed</option>
  </select>
  <button id="group" data-testid="group-by-host" title="Group rows by host" aria-pressed="false">Group by host</button>
  <button id="overview-toggle" data-testid="overview-toggle" title="Show or hide the overview" aria-pressed="true" aria-controls="overview">Overview</button>
  <button id="pause" data-testid="pause" title="Pause live updates" aria-pressed="false">Pause</button>
  <button id="clear" data-testid="clear" title="Clear the log">Clear</button>
  <button id="export-jsonl" data-testid="export-jsonl" title="Export as JSON Lines">JSONL</button>
  <button id="export-har" data-testid="export-har" title="Export as HAR">HAR</button>
  <span id="count" data-testid="count" aria-live="polite"></span>
</div>
<div id="status" data-testid="status" class="status"></div>
<div id="overview" data-testid="overview" class="overview" role="region" aria-label="Overview"></div>
<div id="header" class="header" role="row" aria-label="Columns (click to sort)"><span role="columnheader" aria-sort="none"><button data-sort="time" data-testid="sort-time" title="Sort by time">Time</button></span><span role="columnheader" aria-sort="none"><button data-sort="decision" data-testid="sort-decision" title="Sort by decision">Decision</button></span><span role="columnheader" aria-sort="none"><button data-sort="method" data-testid="sort-method" title="Sort by method">Method</button></span><span role="columnheader" aria-sort="none"><button data-sort="host" data-testid="sort-host" title="Sort by host">Host</button></span><span role="columnheader" aria-sort="none"><button data-sort="path" data-testid="sort-path" title="Sort by path">Path</button></span><span role="columnheader" aria-sort="none"><button data-sort="reason" data-testid="sort-reason" title="Sort by reason">Reason</button></span><span role="columnheader" aria-sort="none"><button data-sort="hook" data-testid="sort-hook" title="Sort by hook">Hook</button></span><span role="columnheader" aria-sort="none"><button data-sort="status" data-testid="sort-status" title="Sort by status">Status</button></span><span role="columnheader" aria-sort="none"><button data-sort="duration" data-testid="sort-duration" title="Sort by duration">Duration</button></span><span role="columnheader" aria-sort="none"><button data-sort="bytes" data-testid="sort-bytes" title="Sort by size">Size</button></span></div>
<div id="list" data-testid="list" class="list" tabindex="0" role="listbox" aria-label="Decisions"><div id="spacer" class="spacer"></div></div>
<div id="detail" data-testid="detail" class="detail" tabindex="-1" role="region" hidden></div>
<script nonce="${nonce}" src="${opts.scriptUri}"></script>
</body>
</html>`;
}
