// What every language-server feature module gets: the connection, open documents, and the
// cached analysis of a document (parse + position index + diagnostics), built on core's model.
import type { ClientCapabilities, Connection } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LoadedDocument } from '../core/toml/load';
import type { PolicyTestRun } from '../core/policytest/run';
import type { ServedKind } from './files';
import type { ServerSettings } from './settings';
import type { DocumentDiagnostic } from '../core/validate/documents';

export interface DocumentAnalysis {
  uri: string;
  version: number;
  kind: ServedKind;
  /** A policy test file's run (cases judged against the policy it names, open edits included). */
  policyTest?: PolicyTestRun;
  /** This document, parsed and indexed (also when it does not parse: see `syntaxError`). */
  doc: LoadedDocument;
  /** The requirements.toml applying to a config document, when one is known. */
  requirements?: LoadedDocument;
  /** The config.toml this requirements document is being edited against, if any is open. */
  config?: LoadedDocument;
  /** Every rule's findings for this document (file === kind), already computed. */
  diagnostics: DocumentDiagnostic[];
}

export interface ServerContext {
  connection: Connection;
  /** Open document text by URI. */
  document(uri: string): TextDocument | undefined;
  /** Cached analysis for the current version of an open Codex policy document; undefined if not served. */
  analysis(uri: string): DocumentAnalysis | undefined;
  settings(): ServerSettings;
  /** What the client said it supports at initialize (limits such as folding's `rangeLimit`). */
  capabilities(): ClientCapabilities;
  /** Environment variable names of the editor (names only; values never leave this function). */
  envNames(): string[];
  /** Whether an environment variable is set (non-empty) in the editor's environment. */
  envHas(name: string): boolean;
  log(message: string): void;
  /** Re-analyse a document now (files on disk may have changed) and publish its diagnostics. */
  refresh(uri: string): void;
  /** Runs a handler; a throw is logged and answered with `fallback`, never a dead server. */
  safe<T>(feature: string, fallback: T, run: () => T | Promise<T>): Promise<T>;
}

/** Every feature module exports one of these; server/main.ts calls each once at startup. */
export type FeatureRegistration = (ctx: ServerContext) => void;
