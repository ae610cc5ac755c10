// Whole-table snippets (snippets/codex-toml.json), served by the language server instead of a static
// `contributes.snippets`, so each is offered only where it is valid: in its file kind (config.toml
// vs requirements.toml), and only where a new table can start (a key typed at the start of a line).
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type Range } from 'vscode-languageserver/node';
import snippets from '../../snippets/codex-toml.json';

interface SnippetDef { prefix: string | string[]; description: string; body: string | string[]; files: ('config' | 'requirements')[] }

const DEFS = Object.entries(snippets as Record<string, SnippetDef>);

/** Snippet items for a document kind (policy test files get none); `lineBefore` is the line's text before the cursor. */
export function snippetItems(kind: string, lineBefore: string, range: Range): CompletionItem[] {
  if (!/^\s*[A-Za-z0-9_-]*$/.test(lineBefore)) return [];
  return DEFS.filter(([, s]) => (s.files as string[]).includes(kind)).map(([name, s]) => {
    const prefixes = Array.isArray(s.prefix) ? s.prefix : [s.prefix];
    return {
      label: prefixes[0]!, kind: CompletionItemKind.Snippet, detail: name, documentation: { kind: MarkupKind.Markdown, value: s.description },
      insertTextFormat: InsertTextFormat.Snippet, filterText: prefixes.join(' '), sortText: `~${prefixes[0]}`,
      textEdit: { range, newText: Array.isArray(s.body) ? s.body.join('\n') : s.body },
    };
  });
}
