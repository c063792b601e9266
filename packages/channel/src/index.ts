/**
 * `@nqc/channel`: a post-quantum secure channel for HTTP. Oblivious HTTP (RFC 9458) with the
 * X-Wing HPKE suite of draft-ietf-hpke-pq, key configurations signed by the server's ML-DSA-65 key,
 * and ML-DSA-65 client authentication bound to the HPKE context. Browser-safe; the `node:http`
 * middleware lives in `@nqc/channel/node`.
 * @module
 */
export { DECRYPT_FAILED_MESSAGE, NqcChannelError, type ChannelErrorCode } from './errors.js';
export {
  AEAD_AES_128_GCM,
  AEAD_AES_256_GCM,
  AEAD_CHACHA20_POLY1305,
  DEFAULT_SUITE,
  isSupportedSuite,
  KDF_HKDF_SHA256,
  KEM_X25519,
  KEM_XWING,
  type Suite,
  type SymmetricSuite,
} from './suite.js';
export {
  encodeKeyConfig,
  encodeKeyConfigs,
  GATEWAY_SEED_LENGTH,
  GatewayKey,
  MAX_KEY_CONFIGS,
  MAX_SYMMETRIC_SUITES,
  parseKeyConfig,
  parseKeyConfigs,
  type GatewayKeyOptions,
  type KeyConfig,
} from './key-config.js';
export {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  MAX_FIELD_LENGTH,
  MAX_FIELDS,
  type BhttpRequest,
  type BhttpResponse,
  type Fields,
} from './bhttp.js';
export {
  decapsulateRequest,
  decapsulateResponse,
  encapsulateRequest,
  encapsulateResponse,
  REQUEST_LABEL,
  REQUEST_MEDIA_TYPE,
  RESPONSE_LABEL,
  RESPONSE_MEDIA_TYPE,
  selectSuite,
  type LabelOptions,
  type RequestContext,
  type ResponseOptions,
} from './ohttp.js';
export {
  KEY_CONFIG_SIGNATURE_CONTEXT,
  KEYS_MEDIA_TYPE,
  MAX_SIGNED_KEYS_LENGTH,
  MAX_VALIDITY_SECONDS,
  SIGNED_KEYS_MEDIA_TYPE,
  signKeyConfigs,
  signKeyConfigsAsync,
  verifyKeyConfigs,
  type KeyConfigSigner,
  type SignedKeyConfigs,
  type VerifyKeyConfigsOptions,
} from './signed-config.js';
export {
  allowList,
  AUTH_KEY_HEADER,
  AUTH_SIGNATURE_HEADER,
  BINDING_LABEL,
  CREATED_HEADER,
  REQUEST_SIGNATURE_CONTEXT,
  type ClientIdentity,
  type ClientKeyResolver,
} from './auth.js';
export { StrikeRegister, type ReplayRegister, type StrikeRegisterOptions } from './replay.js';
export { CHALLENGE_HEADER, CHALLENGE_PATH, ChallengeStore, type ChallengeStoreOptions } from './challenge.js';
export {
  Gateway,
  STATUS_HEADER,
  type AuthPolicy,
  type ChannelHandler,
  type ChannelRequest,
  type ChannelResponse,
  type GatewayOptions,
  type OuterResponse,
  type StreamingOuterResponse,
} from './gateway.js';
export { CHUNKED_THRESHOLD, ChannelClient, GATEWAY_PATH, type ChannelClientOptions, type ChannelRequestInit } from './client.js';
export {
  CHUNKED_REQUEST_LABEL,
  CHUNKED_REQUEST_MEDIA_TYPE,
  CHUNKED_RESPONSE_LABEL,
  CHUNKED_RESPONSE_MEDIA_TYPE,
  chunkedRequestHeaderLength,
  decapsulateChunkedRequest,
  decapsulateChunkedResponse,
  DEFAULT_MAX_CHUNK,
  encapsulateChunkedRequest,
  encapsulateChunkedResponse,
  type ChunkOpener,
  type ChunkSealer,
} from './chunked.js';
export {
  ChannelSocket,
  SOCKET_CLOSE,
  SOCKET_PROTOCOL,
  SOCKET_REQUEST_LABEL,
  SOCKET_RESPONSE_LABEL,
  type SocketClose,
  type SocketOptions,
  type WebSocketLike,
} from './socket.js';
