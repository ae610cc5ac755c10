// undici's Pool on its own: the package's index also loads fetch, WebSocket, caches and mocks
// (~3× the start-up time of the proxy's one use). The file exports the same class as the index.
declare module 'undici/lib/dispatcher/pool' {
  import { Pool } from 'undici';
  export = Pool;
}
