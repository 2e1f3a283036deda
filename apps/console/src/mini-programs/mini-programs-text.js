// The Mini programs page's words, one table per language (zh-CN by default, English for <html lang="en">).
const zh = {
  title: '小程序管理', back: '返回工作台', search: '搜索 AppID、名称或原始 ID', searchButton: '搜索', add: '添加小程序',
  options: '功能设置', transfer: '把用户消息转给微信客服工具（transfer_customer_service）', profileUrl: '客户资料查询地址（https://）', profileSecret: '客户资料查询签名密钥（至少 32 个字符）',
  templates: '订阅消息模板（JSON）', templatesHint: '例如 [{"templateId":"…","title":"订单状态提醒","fields":[{"key":"thing1","label":"商品"}]}]；留空表示没有模板。', templatesNotJson: '订阅消息模板不是有效的 JSON。',
  authorize: '授权小程序', authorized: (appid) => `${appid} 已授权本平台，可以接收和回复客服消息。`, none: '没有符合条件的小程序。', page: (p, n, total) => `第 ${p} / ${n} 页，共 ${total} 个`, prev: '上一页', next: '下一页',
  appid: 'AppID', name: '名称', originalId: '原始 ID', token: 'Token（令牌）', encodingAESKey: 'EncodingAESKey（消息加密密钥）',
  secret: 'AppSecret', format: '数据格式', enabled: '状态', on: '已启用', off: '已停用', managed: '由配置管理（只读）', component: '经第三方平台授权（只读）', console: '控制台管理',
  lastPush: '最近推送', pushesToday: '今日推送', lastError: '最近错误', never: '无', edit: '编辑', rotate: '更换 EncodingAESKey',
  disable: '停用', enable: '启用', test: '测试', testing: '测试中…', save: '保存', cancel: '取消', generate: '随机生成', copy: '复制', copied: '已复制',
  keepSecret: '留空则保留已保存的值', stored: (v) => `已保存（末四位 ${v}）`, previousKey: (v) => `旧密钥仍可解密（末四位 ${v}）`,
  pushSettings: '在微信公众平台「开发 → 开发管理 → 开发设置 → 消息推送」填写：', url: 'URL（服务器地址）', mode: '消息加密方式',
  safe: '安全模式', plain: '明文模式', pasteNow: '请现在复制：保存后 kefu 不再显示 Token 和密钥。',
  secretsHidden: 'Token 和密钥只显示末四位：请使用你保存时填写的值。', saved: '已保存', actions: '操作', details: '详情',
  newKey: '新的 EncodingAESKey', rotated: '已更换：先在微信中填写新密钥；旧密钥在下次更换前仍可用。'
}
const en = {
  title: 'Mini programs', back: 'Back to the console', search: 'Search by AppID, name or original ID', searchButton: 'Search', add: 'Add a mini program',
  options: 'Options', transfer: "Hand customers' messages to WeChat's customer-service tool (transfer_customer_service)", profileUrl: 'Customer profile lookup URL (https://)', profileSecret: 'Profile lookup signing secret (32 characters or more)',
  templates: 'Subscribe-message templates (JSON)', templatesHint: 'For example [{"templateId":"…","title":"Order status","fields":[{"key":"thing1","label":"Item"}]}]; empty for none.', templatesNotJson: 'The subscribe-message templates are not valid JSON.',
  authorize: 'Authorize a mini program', authorized: (appid) => `${appid} has authorized this platform: its customer-service messages now come here and can be answered.`, none: 'No mini program matches.', page: (p, n, total) => `Page ${p} of ${n}, ${total} in all`, prev: 'Previous', next: 'Next',
  appid: 'AppID', name: 'Name', originalId: 'Original ID', token: 'Token', encodingAESKey: 'EncodingAESKey',
  secret: 'AppSecret', format: 'Data format', enabled: 'Status', on: 'Enabled', off: 'Disabled', managed: 'Managed by configuration (read-only)', component: 'Authorized through the third-party platform (read-only)', console: 'Managed here',
  lastPush: 'Last push', pushesToday: 'Pushes today', lastError: 'Last error', never: 'none', edit: 'Edit', rotate: 'Rotate EncodingAESKey',
  disable: 'Disable', enable: 'Enable', test: 'Test', testing: 'Testing…', save: 'Save', cancel: 'Cancel', generate: 'Generate', copy: 'Copy', copied: 'Copied',
  keepSecret: 'Leave empty to keep the stored value', stored: (v) => `stored (ends ${v})`, previousKey: (v) => `the previous key still opens pushes (ends ${v})`,
  pushSettings: 'In WeChat (Development → Development settings → Message push), enter:', url: 'URL', mode: 'Encryption mode',
  safe: 'Safe mode', plain: 'Plaintext mode', pasteNow: 'Copy them now: once saved, kefu never shows the token or key again.',
  secretsHidden: 'Only the last four characters of the token and key are shown: use the values you entered.', saved: 'Saved', actions: 'Actions', details: 'Details',
  newKey: 'New EncodingAESKey', rotated: 'Rotated: enter the new key in WeChat; the previous one keeps working until the next rotation.'
}
export const lang = document.documentElement.lang === 'en' ? 'en' : 'zh-CN'
export const M = lang === 'en' ? en : zh
