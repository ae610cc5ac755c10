// Stub: the editing-features helper replaces this module.
import type { FeatureRegistration } from '../context';

export const register: FeatureRegistration = () => {};
