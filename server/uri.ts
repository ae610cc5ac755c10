// file: URIs to paths and back, without pulling in vscode-uri (the server has few URI needs).
import { fileURLToPath, pathToFileURL } from 'node:url';

export const URI_SCHEMES = new Set(['file', 'untitled', 'vscode-userdata', 'vscode-remote']);

export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return decodeURIComponent(uri.slice(5).replace(/^\/\/[^/]*/, ''));
    }
  }
  const m = /^[a-z][a-z0-9+.-]*:(?:\/\/[^/]*)?(.*)$/i.exec(uri);
  return decodeURIComponent(m?.[1] ?? uri);
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}
