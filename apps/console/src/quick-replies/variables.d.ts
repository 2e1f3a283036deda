// Types of variables.js (a browser module, served as written) for the server and tests that import it.
export declare const VARIABLES: readonly string[]
export declare function fillVariables (text: string, values: Record<string, string | undefined>): { text: string, gap: { start: number, end: number } | null }
export declare function unfilledVariable (text: string): string | null
