// SHA-1, for one thing only: the name Redis gives a script (EVALSHA). Never a security use.
export { sha1 } from '@noble/hashes/legacy.js';
