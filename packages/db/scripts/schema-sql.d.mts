export function schemaSql (options: { url: string, from?: string, to?: string }): Promise<string>
