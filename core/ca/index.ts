// Local certificate authority for the MITM proxy. See README.md for the design choices.
export { loadOrCreateCa, regenerateCa, CA_CERT_FILE, CA_KEY_FILE, type RegeneratedCa } from './store';
export { CA_COMMON_NAME, CA_ORGANIZATION } from './authority';
export { normaliseHost, InvalidHostError, type HostName } from './host';
export { CaError, type CaErrorCode, type CaHandle, type CaOptions, type LeafCert } from './types';
