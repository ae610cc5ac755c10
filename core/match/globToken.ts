// A parsed glob (glob.ts) as the automaton (automaton.ts) compiles it: its own module so that
// neither of the two imports the other for it.
export type GlobToken =
  | { readonly t: 'lit'; readonly cp: number }
  | { readonly t: 'any' }
  | { readonly t: 'star' }
  | { readonly t: 'rprefix' } // `**/` at the start (or the whole glob `**`)
  | { readonly t: 'rsuffix' } // trailing `/**`
  | { readonly t: 'rzom' } // `/**/`
  | { readonly t: 'class'; readonly negated: boolean; readonly ranges: ReadonlyArray<readonly [number, number]> }
  | { readonly t: 'alt'; readonly branches: ReadonlyArray<readonly GlobToken[]> };
