// sealwire/uws: sessions on a uWebSockets.js App or SSLApp (clients use sealwire/ws/client).
export { attach, type AttachUwsOptions, type AttachedUws } from './server.js';
