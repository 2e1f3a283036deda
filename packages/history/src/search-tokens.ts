// Search tokens: character bigrams (and trigrams of Latin words and digits). A Chinese query is mostly two-character words (退款, 发货, 发票), which trigram
// indexes (pg_trgm) cannot look up: a two-character LIKE pattern yields no trigram and PostgreSQL scans every row
// (figures in the README's benchmarks). Bigrams index any word of any script without a dictionary, and match
// substrings: every match is then rechecked as a substring of the normalized text, so results are exact.

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
const WORD = /[\p{L}\p{N}]/u

/**
 * What is indexed and matched: NFKC (full-width letters and digits become ASCII) and lower case. A NUL (JSON text may
 * carry one, \u0000) becomes a space: no PostgreSQL text holds one, and it separates words as a space does.
 */
export function normalize (text: string): string {
  return text.normalize('NFKC').toLowerCase().replaceAll('\u0000', ' ')
}

/** Maximal runs of letters and digits; CJK and other scripts make separate runs (订单号dd123 → 订单号, dd123). */
export function runs (normalized: string): string[][] {
  const out: string[][] = []
  let current: string[] = []
  let currentCjk = false
  for (const ch of normalized) {
    if (!WORD.test(ch)) {
      if (current.length > 0) out.push(current)
      current = []
      continue
    }
    const cjk = CJK.test(ch)
    if (current.length > 0 && cjk !== currentCjk) {
      out.push(current)
      current = []
    }
    currentCjk = cjk
    current.push(ch)
  }
  if (current.length > 0) out.push(current)
  return out
}

const isCjk = (run: string[]): boolean => CJK.test(run[0]!)

/**
 * The lexemes of a text: every bigram of every run, and each run's last character, so that a one-character query
 * (a prefix match) finds the character wherever it stands; runs of other scripts (Latin words, digits) also give
 * their trigrams, since their bigrams are too common to narrow an order number down.
 */
export function documentTokens (text: string): string[] {
  const set = new Set<string>()
  for (const run of runs(normalize(text))) {
    for (let i = 0; i + 1 < run.length; i++) set.add(run[i]! + run[i + 1]!)
    if (!isCjk(run)) for (let i = 0; i + 2 < run.length; i++) set.add(run[i]! + run[i + 1]! + run[i + 2]!)
    set.add(run[run.length - 1]!)
  }
  return [...set]
}

export interface CompiledQuery {
  /** Normalized terms; each must occur in the text as a substring. */
  terms: string[]
  /** A tsquery (PostgreSQL's input syntax, no dictionary applied) that every matching text's tokens satisfy. */
  tsquery: string
  /** True when the tsquery alone decides (each term one run of at most two characters): no recheck needed. */
  exact: boolean
}

export const MAX_QUERY_LENGTH = 100
/**
 * The most lexemes a query's tsquery ANDs (each one more posting list the index reads). A hundred characters of
 * Chinese give 99 bigrams, and NFKC can make 100 characters into 1,800 (ﷺ); the first 32 narrow the rows down as
 * well as all of them would, and the substring recheck of every term keeps the results exact.
 */
export const MAX_LEXEMES = 32

function lexeme (s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`
}

/** The query for a search box text: whitespace separates terms that must all occur. Null when it has no letter or digit. */
export function compileQuery (text: string): CompiledQuery | null {
  const terms = [...new Set(normalize(text).split(/\s+/).filter((t) => t !== ''))]
  const parts: string[] = []
  let exact = true
  for (const term of terms) {
    const termRuns = runs(term)
    if (termRuns.length !== 1 || termRuns[0]!.join('') !== term || termRuns[0]!.length > 2) exact = false
    for (const run of termRuns) {
      if (run.length === 1) parts.push(`${lexeme(run[0]!)}:*`)
      else if (run.length > 2 && !isCjk(run)) for (let i = 0; i + 2 < run.length; i++) parts.push(lexeme(run[i]! + run[i + 1]! + run[i + 2]!))
      else for (let i = 0; i + 1 < run.length; i++) parts.push(lexeme(run[i]! + run[i + 1]!))
    }
  }
  if (parts.length === 0) return null
  const lexemes = [...new Set(parts)]
  return { terms, tsquery: lexemes.slice(0, MAX_LEXEMES).join(' & '), exact: exact && lexemes.length <= MAX_LEXEMES }
}
