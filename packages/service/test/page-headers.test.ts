import t from 'tap'
import { htmlDocument } from '../src/page-headers.js'

t.test('htmlDocument: language, a viewport whose on-screen keyboard resizes the layout, the title escaped', async (t) => {
  const html = htmlDocument({ lang: 'zh-CN', title: 'a <b> & "c"', head: '<link rel="stylesheet" href="/x.css">', body: '<main></main>', bodyClass: 'page' })
  t.match(html, /^<!doctype html>\n<html lang="zh-CN">/)
  t.match(html, '<meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content">')
  t.match(html, '<title>a &lt;b&gt; &amp; &quot;c&quot;</title>\n<link rel="stylesheet" href="/x.css">')
  t.match(html, '<body class="page">\n<main></main>\n</body>')
})
