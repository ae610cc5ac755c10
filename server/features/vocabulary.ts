// HTTP vocabulary offered while writing hooks and actions. These are protocol words, not policy
// rules: which keys and values are valid still comes from the zod model.
export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'TRACE'] as const;

export const COMMON_HEADERS = [
  'authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'api-key', 'user-agent', 'accept',
  'content-type', 'x-goog-api-key', 'openai-organization', 'openai-project', 'x-github-api-version',
  'x-request-id', 'x-forwarded-for', 'origin', 'referer',
] as const;

export const MATCHER_PREFIXES = [
  { label: 'pattern:', doc: '`pattern:<glob>`: the whole value must match this glob (for paths `*` stays within one segment, a whole `**` segment crosses segments).' },
  { label: 'literal:', doc: '`literal:<text>`: the text is taken literally (for paths: a prefix), even if it starts with `pattern:`.' },
] as const;

export const NEW_HOOK_LABEL = 'New MITM hook…';
export const NEW_ACTION_LABEL = 'New action with injected secret…';

export function newHookSnippet(profile: string): string {
  return `[permissions.${profile}.network.mitm.hooks.\${1:name}]\nhost = "\${2}"\nmethods = [\${3:"GET"}]\npath_prefixes = [\${4:"/"}]\naction = [\${5}]`;
}

export function newActionSnippet(profile: string): string {
  return (
    `[permissions.${profile}.network.mitm.actions.\${1:name}]\nstrip_request_headers = [\${2:"authorization"}]\n` +
    `[[permissions.${profile}.network.mitm.actions.\${1:name}.inject_request_headers]]\nname = "\${3:authorization}"\n` +
    `secret_env_var = "\${4:TOKEN_ENV_VAR}"\nprefix = "\${5:Bearer }"`
  );
}
