// Loaded into every node process of a test (NODE_OPTIONS=--import): appends the pid of each process that runs
// scripts/start.mjs to the file KEFU_TEST_STARTS names, so a test can count kefu's starts whatever restarts it.
import { appendFileSync } from 'node:fs'

const file = process.env.KEFU_TEST_STARTS
if (file !== undefined && process.argv[1]?.endsWith('/scripts/start.mjs')) appendFileSync(file, `${process.pid}\n`)
