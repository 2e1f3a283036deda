import createError from '@fastify/error'

// Every refusal the ingest route can give, one code each. WeChat only looks at the status; people read the rest.
export const UnknownApp = createError('KEFU_INGEST_UNKNOWN_APP', 'no mini program with appid %s is configured, or it is disabled', 404)
export const BadSignature = createError('KEFU_INGEST_BAD_SIGNATURE', '%s', 401)
export const StaleTimestamp = createError('KEFU_INGEST_STALE_TIMESTAMP', 'timestamp is %d s away from now; the allowed window is ±%d s', 401)
export const ReplayedNonce = createError('KEFU_INGEST_REPLAYED_NONCE', 'this timestamp and nonce were already used with a different body', 401)
export const BadBody = createError('KEFU_INGEST_BAD_BODY', '%s', 400)
export const DecryptFailed = createError('KEFU_INGEST_DECRYPT_FAILED', 'Encrypt could not be decrypted: %s', 400)
export const AppidMismatch = createError('KEFU_INGEST_APPID_MISMATCH', 'the decrypted message belongs to another appid', 400)
export const StoreUnavailable = createError('KEFU_INGEST_STORE_UNAVAILABLE', '%s; WeChat will retry', 503)
