// Every editing feature, registered once at startup by server/main.ts (explicit list: the bundle
// must see each import).
import type { FeatureRegistration } from '../context';
import { register as completion } from './completion';
import { register as hover } from './hover';
import { register as navigation } from './navigation';
import { register as symbols } from './symbols';
import { register as folding } from './folding';
import { register as codeActions } from './codeActions';
import { register as policyTestLens } from './policyTestLens';
import { register as semanticTokens } from './semanticTokens';

export const FEATURES: ReadonlyArray<readonly [string, FeatureRegistration]> = [
  ['completion', completion],
  ['hover', hover],
  ['navigation', navigation],
  ['symbols', symbols],
  ['folding', folding],
  ['codeActions', codeActions],
  ['policyTestLens', policyTestLens],
  ['semanticTokens', semanticTokens],
];
