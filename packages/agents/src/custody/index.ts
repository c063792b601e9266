/**
 * `@nqc/agents/custody`: the key-custody agent (`nqc-agent`): a separate process holding identities
 * and signing keys, reachable only by its owner over a Unix domain socket, and its client.
 * @module
 */
export { CustodyServer, type CustodyServerOptions } from './server.js';
export { CustodyClient, type AgentKey, type CustodyClientOptions } from './client.js';
export { agentIdentity, agentSigner, type AgentSigner } from './adapters.js';
export {
  encodeFrame,
  FrameDecoder,
  MAX_BODY_BYTES,
  MAX_FRAME_BYTES,
  MAX_SIGN_MESSAGE_BYTES,
  MAX_STANZAS,
  parseRequest,
  type CustodyOp,
  type CustodyRequest,
} from './protocol.js';
export { startAgent, type StartAgentOptions } from './start.js';
