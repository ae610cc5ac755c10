// A generated fleet sample: one managed requirements.toml and N user config.toml files with the
// shapes seen in practice (own profiles, allows the managed denylist shadows, local binding,
// sandbox_mode, forbidden profiles, broken entries). Deterministic for a given N.

export const SAMPLE_REQUIREMENTS = `# Managed policy for the fleet
default_permissions = "corp"

[allowed_permission_profiles]
corp = true
work = true
":workspace" = true

[permissions.corp.network]
enabled = true
mode = "full"

[experimental_network]
allow_local_binding = false
dangerously_allow_non_loopback_proxy = false

[experimental_network.domains]
"github.com" = "allow"
"*.github.com" = "allow"
"registry.npmjs.org" = "allow"
"pypi.org" = "allow"
"*.pastebin.com" = "deny"
"**.evil.example" = "deny"
"transfer.sh" = "deny"
`;

export function sampleConfig(i: number): string {
  const profile = ['work', 'work', 'work', 'dev', 'corp'][i % 5]!;
  const lines = [`# developer ${i}`, `default_permissions = "${profile}"`, ''];
  if (profile !== 'corp') {
    lines.push(`[permissions.${profile}.network]`, 'enabled = true', `mode = "${i % 7 === 0 ? 'limited' : 'full'}"`);
    if (i % 3 === 0) lines.push('allow_local_binding = true');
    if (i % 11 === 0) lines.push('dangerously_allow_non_loopback_proxy = true');
    lines.push('', `[permissions.${profile}.network.domains]`);
    for (let d = 0; d < 4 + (i % 12); d++) lines.push(`"svc${d}.team${i % 40}.example.com" = "allow"`);
    if (i % 4 === 0) lines.push('"paste.pastebin.com" = "allow"');
    if (i % 9 === 0) lines.push('"cdn.evil.example" = "allow"');
    if (i % 6 === 0) lines.push('"tracker.example" = "deny"');
  }
  if (i % 13 === 0) lines.push('', '[permissions.yolo.network]', 'enabled = true', '[permissions.yolo.network.domains]', '"*" = "allow"');
  if (i % 50 === 0) lines.push('', 'approval_policy = 12'); // a broken value: this config fails to load
  return lines.join('\n') + '\n';
}
