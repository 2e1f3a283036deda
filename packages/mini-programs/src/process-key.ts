import { generateSecretKey } from '@kefu/secrets'

/**
 * The key of services started without KEFU_SECRET_KEY (tests, embedded runs): one per process, the same for every
 * service in it, so that a console and an ingest in one process open each other's rows.
 */
export const PROCESS_SECRET_KEY = generateSecretKey('process')
