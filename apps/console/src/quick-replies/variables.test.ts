// The browser module that fills a quick reply's variables, run in Node (it touches no DOM).
import t from 'tap'
import { fillVariables, unfilledVariable, VARIABLES } from './variables.js'

const values = { 'customer.name': '王先生', 'agent.name': 'bob', 'mini_program.name': '好物小铺' }

t.test('known variables are filled, spaces inside the braces allowed', async (t) => {
  t.same(VARIABLES, ['customer.name', 'agent.name', 'mini_program.name'])
  t.same(fillVariables('{{customer.name}}您好，我是{{ agent.name }}（{{mini_program.name}}）', values), { text: '王先生您好，我是bob（好物小铺）', gap: null })
  t.same(fillVariables('no variables', values), { text: 'no variables', gap: null })
})

t.test('a value nobody knows leaves its placeholder; the first one left is the gap', async (t) => {
  const r = fillVariables('Hi {{agent.name}} / {{customer.name}} / {{mini_program.name}}', { 'agent.name': 'bob', 'customer.name': '' })
  t.equal(r.text, 'Hi bob / {{customer.name}} / {{mini_program.name}}')
  t.same(r.gap, { start: 9, end: 26 })
  t.equal(r.text.slice(r.gap!.start, r.gap!.end), '{{customer.name}}')
})

t.test('what is not a variable stays as written and is no gap', async (t) => {
  t.same(fillVariables('{{other}} {x} {{customer.name}}', values), { text: '{{other}} {x} 王先生', gap: null })
})

t.test('unfilledVariable finds a known placeholder left in a reply', async (t) => {
  t.equal(unfilledVariable('Hello {{ customer.name }}!'), '{{ customer.name }}')
  t.equal(unfilledVariable('Hello {{other}} and {{agent.name}}'), '{{agent.name}}')
  t.equal(unfilledVariable('Hello 王先生'), null)
})
