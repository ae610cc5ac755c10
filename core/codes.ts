// The diagnostic vocabulary: every code a rule may emit, grouped by the part of the model it
// guards. Codes are stable identifiers (quick fixes, `check --json`, the managed diff key on them);
// adding a rule means adding its code here first, so a typo is a type error, not a silent miss.
export type DiagnosticCode =
  // TOML itself and the schema walk (core/validate/schema.ts, model metadata `code`).
  | 'toml-syntax' | 'toml-nesting' | 'read-failed'
  | 'unknown-key' | 'invalid-type' | 'invalid-value' | 'removed-key' | 'deprecated-key'
  | 'legacy-network-key' | 'legacy-network-list' | 'legacy-network-proxy'
  // Domains and unix sockets.
  | 'domain-pattern-invalid' | 'domain-global-deny' | 'domain-global-managed' | 'domain-duplicate' | 'socket-not-absolute'
  // MITM hooks and actions (the lowering pass, core/lower/mitm.ts).
  | 'mitm-hook-missing-field' | 'mitm-hook-host-invalid' | 'mitm-hook-invalid'
  | 'mitm-methods-empty' | 'mitm-method-invalid' | 'mitm-path-invalid' | 'mitm-query-invalid' | 'mitm-value-invalid'
  | 'mitm-header-name-invalid' | 'mitm-header-name-missing' | 'mitm-body-unsupported' | 'mitm-enabled-removed'
  | 'mitm-action-empty' | 'mitm-action-no-operation' | 'mitm-undefined-action'
  | 'mitm-secret-source' | 'mitm-secret-file-relative' | 'mitm-secret-unavailable' | 'mitm-secret-invalid'
  // MITM semantics (warnings and notes nothing enforces).
  | 'mitm-unused-action' | 'mitm-hook-unreachable' | 'mitm-hook-host-denied' | 'mitm-hook-host-not-allowed'
  | 'mitm-secret-env-unset' | 'mitm-secret-file-missing' | 'network-not-enabled'
  // Permission profiles.
  | 'profile-reserved-name' | 'profile-managed-collision' | 'profile-not-allowed' | 'profile-undefined' | 'profile-unknown-builtin'
  | 'profile-missing-permissions' | 'profile-extends-cycle' | 'profile-extends-too-deep' | 'profile-extends-undefined'
  | 'profile-extends-unsupported' | 'profiles-ignored-by-sandbox-mode'
  // requirements.toml and config ↔ requirements.
  | 'requirements-ceiling' | 'requirements-default-missing' | 'requirements-default-not-allowed' | 'requirements-default-without-allowlist'
  | 'requirements-feature-conflict' | 'requirements-filesystem-profile' | 'requirements-forbidden-value' | 'requirements-ignored-key'
  | 'requirements-inert-allow' | 'requirements-legacy-key' | 'requirements-missing-field' | 'requirements-network-mixed'
  | 'requirements-only-key' | 'requirements-profile-undefined' | 'requirements-removed-key' | 'requirements-rules-invalid'
  // Filesystem, lifecycle hooks, MCP, inline secrets.
  | 'filesystem-path-invalid'
  | 'hook-handler-missing-field' | 'hook-handler-not-run' | 'hook-managed-dir-relative' | 'hook-matcher-invalid' | 'hook-timeoutsec'
  | 'mcp-matcher-regex-invalid' | 'mcp-legacy-matcher' | 'mcp-inline-token' | 'inline-secret'
  // Policy test files (*.policytest.toml).
  | 'policytest-invalid' | 'policytest-failed' | 'policytest-policy-invalid' | 'policytest-policy-missing'
  | 'policytest-unknown-hook' | 'policytest-unknown-profile';
