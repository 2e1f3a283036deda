import type { Lang } from '@kefu/sso-client'

const zh = {
  title: 'kefu 客服工作台',
  heading: '客服工作台',
  checking: '正在检查账户登录状态…',
  anonymous: '尚未登录。',
  anonymousHint: '请在账户站点登录，登录后此页面会自动进入工作台。',
  signIn: '去登录',
  account: '账户',
  unavailable: '账户站点暂时无法访问，请稍后重试。',
  error: '登录检查失败，请刷新页面重试。'
}
const en: typeof zh = {
  title: 'kefu agent console',
  heading: 'Agent console',
  checking: 'Checking your sign-in…',
  anonymous: 'You are not signed in.',
  anonymousHint: 'Sign in at the account site; this page then opens the console by itself.',
  signIn: 'Sign in',
  account: 'Account',
  unavailable: 'The account site cannot be reached right now. Try again shortly.',
  error: 'The sign-in check failed. Reload the page to try again.'
}

export function messages (lang: Lang): typeof zh {
  return lang === 'en' ? en : zh
}
