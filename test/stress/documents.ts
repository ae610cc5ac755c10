// Hostile document generators shared by the LSP stress suites.

/** `k0 = [[[…]]]` lines, each `depth` levels deep, until the text reaches `bytes`. */
export function nestedArrays(depth: number, bytes: number): string {
  const unit = '['.repeat(depth) + ']'.repeat(depth);
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `k${i} = ${unit}\n`;
    out.push(line);
    size += line.length;
  }
  return out.join('');
}

/** `n` profiles, each with a network table, a domain, and a MITM hook with an action. */
export function manyProfiles(n: number): string {
  const out = ['default_permissions = "p0"\n'];
  for (let i = 0; i < n; i++) {
    out.push(`[permissions.p${i}.network]\nenabled = true\nmode = "full"\n[permissions.p${i}.network.domains]\n"d${i}.example.com" = "allow"\n`);
  }
  return out.join('');
}
