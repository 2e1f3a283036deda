export {
  PrismaClient, Prisma, type CustomerMessage, type Account, type Conversation, type OutboundMessage, type AgentApp
} from './generated/prisma/client.js'
export { createPrismaClient, pgPoolOf, openDatabase, type Database, type OpenDatabaseOptions, type PrismaOptions } from './database.js'
export { startEmbeddedPostgres, EmbeddedDatabaseBusyError, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded.js'
export { migrate, readMigrations, MigrationError, type MigrateResult, type MigrateOptions, type MigrationFile } from './migrate.js'
export { MIGRATIONS_DIR, findRepoRoot, defaultDataDir } from './paths.js'
export { databasePlugin, type DatabasePluginOptions } from './fastify.js'
