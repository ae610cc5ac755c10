// Terminal environment for a running policy proxy: variables, CA bundle, shell rendering.
export * from './keys';
export * from './proxyEnv';
export * from './bundle';
export * from './shell';
export { parsePemCertificates,  } from './pem';
