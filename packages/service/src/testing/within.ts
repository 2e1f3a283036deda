/**
 * Polls `condition` every 20 ms until it holds or `ms` have passed; resolves to whether it held (checked once more at
 * the deadline). For bounds a change must meet, such as "on every instance within 2 s".
 */
export async function within (ms: number, condition: () => boolean | Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return await condition()
}
