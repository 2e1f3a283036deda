// Automatic assignment, shared by the console (which assigns as pushes arrive and an agent comes online) and the
// worker (which sweeps every 15 s for what still waits): auto-assign.ts, the round robin under an advisory lock per
// mini program; sweep.ts, the worker's timer and its announcement to the consoles.
export { AutoAssigner, type AutoAssigned, type AssignmentActivity } from './auto-assign.js'
export { assignmentSweep, CHANGES_CHANNEL, type AssignedChange, type AssignmentSweepOptions } from './sweep.js'
