export type Lang = 'zh-CN' | 'en'

/**
 * Simplified Chinese unless Accept-Language prefers English (RFC 9110 §12.5.4: highest q wins, then order).
 */
export function pickLang (header: string | undefined): Lang {
  if (header === undefined) return 'zh-CN'
  const ranges = header.split(',').slice(0, 32).map((part, index) => {
    const [tag = '', ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const weight = q === undefined ? 1 : Number(q.slice(2))
    return { tag: tag.trim().toLowerCase(), q: Number.isFinite(weight) ? weight : 0, index }
  }).filter((r) => r.q > 0).sort((a, b) => b.q - a.q || a.index - b.index)
  for (const r of ranges) {
    if (r.tag === 'zh' || r.tag.startsWith('zh-') || r.tag === '*') return 'zh-CN'
    if (r.tag === 'en' || r.tag.startsWith('en-')) return 'en'
  }
  return 'zh-CN'
}
