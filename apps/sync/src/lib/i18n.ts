import type { Lang } from '@kefu/sso-client'

const zh = {
  title: '同步登录示例站点',
  heading: '同步登录 · B 站点',
  intro: '此站点不保存密码：在账号站点（A）登录一次，这里就会自动登录；在 A 退出，这里也会退出。',
  checking: '正在向账号站点确认登录状态…',
  signedInAs: '当前登录：',
  anonymous: '未登录。',
  anonymousHint: '在账号站点登录后，打开或刷新此页面即自动登录。',
  signIn: '登录',
  account: '打开账号站点（在那里退出）',
  unavailable: '账号站点暂时无法访问，请稍后刷新。',
  error: '登录检查未完成，请刷新页面重试。'
}

export type Messages = typeof zh

const en: Messages = {
  title: 'Sync login demo site',
  heading: 'Sync login · B site',
  intro: 'This site keeps no passwords: sign in once at the account site (A) and you are signed in here; sign out at A and you are signed out here too.',
  checking: 'Checking your sign-in with the account site…',
  signedInAs: 'Signed in as ',
  anonymous: 'Not signed in.',
  anonymousHint: 'Sign in at the account site, then open or reload this page: it signs you in by itself.',
  signIn: 'Sign in',
  account: 'Open the account site (sign out there)',
  unavailable: 'The account site cannot be reached right now. Reload in a moment.',
  error: 'The sign-in check did not finish. Reload the page to try again.'
}

export function messages (lang: Lang): Messages {
  return lang === 'en' ? en : zh
}
