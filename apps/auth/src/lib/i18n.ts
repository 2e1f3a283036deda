import type { Lang } from '@kefu/sso-client'

export { pickLang, type Lang } from '@kefu/sso-client'

const zh = {
  signInTitle: '登录',
  signInHeading: '登录 kefu 账号',
  signInHint: '登录一次，所有接入的站点都会自动登录。',
  username: '用户名',
  password: '密码',
  signIn: '登录',
  badCredentials: '用户名或密码错误。',
  tooMany: (minutes: number) => `登录尝试次数过多，请 ${minutes} 分钟后再试。`,
  expiredForm: '页面已过期或来源不对，请重新提交。',
  signedOut: '你已退出登录，所有站点的登录也已结束。',
  homeTitle: '账号',
  signedInAs: '当前登录账号：',
  sessions: (n: number) => `此账号有 ${n} 个有效登录。`,
  signOut: '退出登录',
  signOutEverywhere: '在所有设备上退出',
  sites: '使用此账号登录的站点',
  sitesHint: '在这里登录后，打开下列站点即自动登录；在这里退出，这些站点也会退出。',
  errorTitle: '无法继续',
  unknownClient: '未登记的站点（client_id 无效）。',
  badRedirect: '回跳地址未登记，已拒绝。',
  badState: '缺少或无效的 state 参数。',
  badPrompt: '无效的 prompt 参数。',
  backHome: '返回首页'
}

export type Messages = typeof zh

const en: Messages = {
  signInTitle: 'Sign in',
  signInHeading: 'Sign in to kefu',
  signInHint: 'Sign in once and every connected site signs you in by itself.',
  username: 'Username',
  password: 'Password',
  signIn: 'Sign in',
  badCredentials: 'Wrong username or password.',
  tooMany: (minutes: number) => `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
  expiredForm: 'This form expired or came from elsewhere. Please submit it again.',
  signedOut: 'You are signed out, here and on every connected site.',
  homeTitle: 'Account',
  signedInAs: 'Signed in as ',
  sessions: (n: number) => `This account has ${n} active sign-in${n === 1 ? '' : 's'}.`,
  signOut: 'Sign out',
  signOutEverywhere: 'Sign out everywhere',
  sites: 'Sites that use this sign-in',
  sitesHint: 'Sign in here and these sites sign you in by themselves; sign out here and they sign you out.',
  errorTitle: 'Cannot continue',
  unknownClient: 'Unknown site (invalid client_id).',
  badRedirect: 'The return address is not registered; refused.',
  badState: 'The state parameter is missing or invalid.',
  badPrompt: 'Invalid prompt parameter.',
  backHome: 'Back to the home page'
}

export function messages (lang: Lang): Messages {
  return lang === 'en' ? en : zh
}
