// `--adapter uws`: the sealwire sessions on a uWebSockets.js App (SSLApp with the chat's
// certificate) listening on its own port, while Node's https server keeps serving the page and the
// login. uWS is loaded only when asked for, and only as its native binary: the package silently
// falls back to a JavaScript shim, and a demo of uWS running on the shim would be a false claim.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Uws from 'uWebSockets.js';
import type { SecureServer } from '../../../src/index.js';
import { attach } from '../../../src/adapters/uws/index.js';
import type { Certificate } from './cert.js';

const require = createRequire(import.meta.url);

function nativeUws(): typeof Uws {
  const uws = require('uWebSockets.js') as typeof Uws;
  const binary = join(dirname(require.resolve('uWebSockets.js')), '..', 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  let native: unknown;
  try {
    native = require(binary);
  } catch {
    native = undefined;
  }
  if (native !== uws) throw new Error(`uWebSockets.js has no native binary for this platform (${binary}): use --adapter ws`);
  return uws;
}

export interface UwsTransport {
  readonly port: number;
  close(): void;
}

export async function startUwsTransport(
  secure: SecureServer,
  options: { host: string; port: number; path: string; certificate: Certificate | undefined },
): Promise<UwsTransport> {
  const uws = nativeUws();
  const { certificate } = options;
  const app = certificate === undefined ? uws.App() : uws.SSLApp({ cert_file_name: certificate.certPath, key_file_name: certificate.keyPath });
  const attached = attach(secure, { app, path: options.path });
  app.any('/*', (res) => void res.writeStatus('404 Not Found').end('not found'));
  const listenOnce = (): Promise<Uws.us_listen_socket | false> => new Promise((resolve) => app.listen(options.host, options.port, resolve));
  let listenSocket = await listenOnce();
  // Under load uWS has been seen to refuse an ephemeral port once; asking again for another one is safe.
  for (let attempt = 1; listenSocket === false && options.port === 0 && attempt < 3; attempt++) listenSocket = await listenOnce();
  if (listenSocket === false) throw new Error(`uWS could not listen on ${options.host}:${options.port}`);
  return {
    port: uws.us_socket_local_port(listenSocket as unknown as Uws.us_socket),
    close() {
      attached.close();
      uws.us_listen_socket_close(listenSocket);
    },
  };
}
