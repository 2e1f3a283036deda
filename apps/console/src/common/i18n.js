// Every word the console shows, one table per language: zh-CN by default, English when the page is <html lang="en">.
export const lang = document.documentElement.lang === 'en' ? 'en' : 'zh-CN'

const zh = {
  title: '客服工作台', miniPrograms: '小程序管理', signedIn: '客服：', account: '账户', live: '实时连接', offline: '连接中断，正在重连…', ended: '登录已结束',
  replaced: '实时更新已转到较新的标签页，此页已暂停（刷新可恢复）',
  allApps: '全部小程序', noApps: '你还没有被分配任何小程序，请联系管理员（pnpm --filter @kefu/console agent:add）。',
  pick: '从左侧选择一个会话', back: '返回', image: '[图片]', card: '[小程序卡片]', link: '[链接]', entered: '进入客服会话，来源：', enteredNoSource: '进入客服会话',
  event: '事件：', other: '消息类型：', send: '发送', sending: '发送中…', sent: '已发送', failed: '发送失败', placeholder: '输入回复，Enter 发送，Shift+Enter 换行，/ 搜索快捷回复',
  notePlaceholder: '内部备注（仅客服可见，不会发给客户），@ 提及同事，Enter 保存', uploadImage: '发送图片', more: '链接 / 小程序卡片', linkTitle: '标题', linkDesc: '描述', linkUrl: '链接地址', thumbUrl: '缩略图地址', sendLink: '发送链接',
  pageTitle: '卡片标题', pagePath: '页面路径', thumbMedia: '缩略图 media_id（可先上传图片）', sendPage: '发送小程序卡片',
  windowOpen: (n, t) => `可回复 ${n} 条，窗口 ${t} 关闭`, windowUsed: '本窗口回复条数已用完', windowClosed: '回复窗口已关闭（用户 48 小时内未发消息）',
  noSecret: '此小程序未配置 secret，无法回复', unread: (n) => `${n} 条未读`, loadOlder: '加载更早的消息', you: '我', by: '由',
  // views and filters
  views: '会话视图', mine: '我的', unassigned: '未分配', all: '全部', statusFilter: '状态', tagFilter: '标签', anyTag: '全部标签',
  status: { open: '进行中', pending: '等待客户', resolved: '已解决', snoozed: '已暂缓', all: '全部状态' },
  // assignment and status
  assignee: '负责人', assigneeMe: (n) => `${n}（我）`, nobody: '未分配', claim: '接手', release: '释放', handTo: '转交给', handOver: '转交', takenBy: (who) => `${who} 已接手此会话`,
  releasedMeanwhile: '此会话刚刚被释放，请重试', setStatus: '会话状态', snooze: '暂缓', snoozeNone: '不暂缓', snooze1h: '1 小时', snoozeTomorrow: '明天 9:00', snoozeWeek: '一周',
  snoozedUntil: (t) => `暂缓至 ${t}`, internalNote: '内部备注', reply: '回复', note: '备注', saveNote: '保存备注', composerMode: '撰写方式',
  // timeline entries
  actClaimed: (a) => `${a} 接手了会话`, actHanded: (a, from, to) => from === a ? `${a} 把会话转交给 ${to}` : `${a} 把会话从 ${from || '未分配'} 转给 ${to}`,
  actReleased: (a, from) => from === a ? `${a} 释放了会话` : `${a} 把 ${from} 的会话设为未分配`, actAuto: (to) => `自动分配给 ${to}`,
  actUnavailable: (from) => `${from} 不在线或已不负责此小程序，会话回到未分配`, actStatus: (a, to) => `${a} 将状态改为「${to}」`,
  actReopened: (from) => `客户发来新消息，会话从「${from}」重新打开`, actSnoozed: (a, t) => `${a} 暂缓会话至 ${t}`, actUnsnoozed: (a) => `${a} 取消了暂缓`,
  actWoken: '客户发来新消息，暂缓结束',
  // availability and team
  availability: '我的状态', availabilityOf: { online: '在线', away: '离开', offline: '离线' }, colleagues: '同事', noColleagues: '还没有其他客服负责你的小程序；管理员可在「管理」中添加。',
  notifications: '通知', notifyDesktop: '后台时弹出浏览器通知', notifySound: '新消息提示音', notifyDenied: '浏览器已阻止通知，请在浏览器设置中允许。',
  newMessage: (who) => `新消息 · ${who}`, close: '关闭', save: '保存', saved: '已保存', delete: '删除', edit: '编辑', cancel: '取消', add: '添加',
  // quick replies
  quickReplies: '快捷回复', manageQuickReplies: '管理快捷回复', shortcut: '快捷词', text: '内容', shared: '共享', personal: '我的',
  sharedOf: (app) => `共享（${app}）`, adminOnlyShared: '共享快捷回复由管理员维护。',
  quickReplyVariables: (list) => `可用变量（插入时填入）：${list}`, fillVariable: (v) => `请先替换 ${v} 再发送。`,
  // customer panel
  customer: '客户信息', openid: 'OpenID', miniProgram: '小程序', firstContact: '首次联系', lastEntry: '最近进入场景', noEntry: '无', messageCount: '消息数',
  messageCounts: (i, o) => `客户 ${i} 条 · 回复 ${o} 条`, tags: '标签', tagsHint: '用逗号分隔，Enter 保存',
  tooManyTags: (n) => `最多 ${n} 个标签`, tagTooLong: (tag, n) => `标签“${tag}”太长：每个标签最多 ${n} 个字`, customerInvalid: '标签或备注的格式不对，请修改后再保存', customerNote: '客户备注', profile: '业务资料',
  profileLoading: '正在查询业务系统…', profileNone: '业务系统中没有此客户', profileUnavailable: '业务系统暂时无法查询', openProfile: '在业务系统中打开',
  // administration
  admin: '管理', agents: '客服与小程序', role: { agent: '客服', admin: '管理员' }, addAgent: '添加客服（A 站账户名）', autoAssign: '自动分配',
  autoAssignOf: { off: '关闭', round_robin: '轮流分配给在线客服' }, maxOpen: '每人最多进行中会话', username: '账户名',
  // keyboard, drafts, unread separator, pasted images, delivery (issue 23, helper "keys")
  keys: {
    newMessages: '新消息', palette: '命令面板', paletteSearch: '搜索会话、视图或操作', paletteNone: '没有匹配的结果',
    groupConversations: '会话', groupViews: '视图', groupActions: '操作', searchMessages: (q) => `搜索消息：${q}`,
    assignMe: '分配给我', resolve: '标记为已解决', focusReply: '聚焦回复框', signOut: '退出登录（前往账户站点）', openSearch: '搜索消息',
    shortcuts: '键盘快捷键', shortcutList: {
      palette: '打开命令面板', help: '显示快捷键', next: '下一个会话', previous: '上一个会话', reply: '聚焦回复框', resolve: '标记为已解决', search: '搜索消息', escape: '关闭打开的对话框或菜单'
    },
    imagePreview: '发送这张图片？', sendImage: '发送图片', notImage: (name) => `“${name}”不是图片：只能发送 JPG、PNG 或 GIF`,
    tooLarge: (name, mb) => `“${name}”太大：图片最大 ${mb} MB`,
    retry: '重试', retrying: '正在重试…', failedBecause: (why) => `发送失败：${why}`, unknownReason: '微信未说明原因'
  },
  // search, kept media, reports (issue 11)
  history: {
    search: '搜索', title: '搜索消息', placeholder: '搜索消息内容，如 退款、订单号', filters: '筛选', tag: '标签', status: '状态', assignee: '负责人',
    from: '从', to: '到', results: '搜索结果', more: '更多结果', agent: '客服', reports: '报表',
    mediaPending: '图片正在保存…', mediaFailed: (why) => `图片未能保存：${why}`
  },
  // subscribe messages (issue 12)
  subscribe: {
    title: '订阅消息', offers: '可发送的订阅消息', offer: (title, n) => `发送订阅消息：${title}（剩余 ${n} 次）`, offerLongTerm: (title) => `发送订阅消息：${title}（长期订阅）`,
    notAccepted: (title) => `${title}：客户未订阅`, usedUp: (title) => `${title}：客户同意的次数已用完`, send: '发送订阅消息', query: '页面参数（可选）', queryRule: 'key=value，多个用 & 连接', noPage: '此模板不跳转页面',
    tag: '[订阅消息]', colon: '：', separator: '；', opens: (page) => `打开 ${page}`,
    accepted: (title) => `客户同意接收订阅消息「${title}」`, rejected: (title) => `客户拒绝了订阅消息「${title}」`,
    turnedOff: (title) => `客户在设置中关闭了订阅消息「${title}」`, turnedOn: (title) => `客户在设置中开启了订阅消息「${title}」`,
    delivered: (title) => `订阅消息「${title}」已送达`, notDelivered: (title, why) => `订阅消息「${title}」未送达（${why}）`
  },
  // @mentions in notes (issue 23)
  mentions: {
    title: '提及', unread: (n) => `${n} 条未读`, unreadItem: '未读：',
    item: (by, who) => `${by} 在「${who}」的备注中提及了你`, open: '打开', dismiss: '关闭',
    pickerLabel: '提及同事', noColleague: '没有匹配的同事', colleaguesFound: (n) => `${n} 位同事可提及`,
    markAllRead: '全部标为已读'
  },
  // names, avatars, icons, time zone (issue 23)
  // Empty states (issue 23): each says what to do next.
  empty: {
    mine: '没有分配给你的会话。可在「未分配」中认领，或换一个状态筛选。',
    unassigned: '没有等待认领的会话。客户发来消息时会出现在这里。',
    all: '没有符合筛选条件的会话。换一个状态或标签试试；客户发来消息时会出现在这里。',
    search: '没有找到匹配的消息。换个关键词，或在「筛选」中放宽小程序、状态或日期。',
    mentions: '还没有人在备注中提及你。同事在内部备注中输入 @ 加你的名字时，会显示在这里。',
    quickReplies: '没有匹配的快捷回复。可在「管理快捷回复」中添加。'
  },
  look: {
    displayName: '客户名称', displayNameHint: '留空则显示昵称或 OpenID', saveDisplayName: '保存客户名称',
    displayNameTooLong: (n) => `客户名称最多 ${n} 个字`, displayNameInvalid: '客户名称的格式不对（不能含控制字符，最多 64 个字）',
    timesIn: (zone) => `时间：${zone}`, timesInReports: (zone, team) => `时间：${zone} · 报表：${team}`,
    timeZone: '团队时区', timeZoneHint: '报表按此时区统计每天的数据（IANA 名称，如 Asia/Shanghai）。', badTimeZone: (z) => `没有“${z}”这个时区，请填写 IANA 名称，如 Asia/Shanghai`
  },
  // the command palette's conversation actions and the shortcut list's composer keys (issue 23)
  paletteActions: {
    release: '释放会话', handTo: (who) => `转交给 ${who}`, pending: '标记为待处理', reopen: '重新打开会话', unsnooze: '取消暂缓', snooze: (when) => `暂缓：${when}`,
    note: '写内部备注', customer: '打开客户资料', quickReply: '插入快捷回复', manageQuickReplies: '管理快捷回复', mentions: '查看提及',
    anywhere: '任意位置（不在输入框中时）', inComposer: '在回复框中', send: '发送回复或保存备注', newLine: '换行', quickReplies: '快捷回复（行首或空格后）',
    mention: '提及同事（备注中）', pick: '在列表中选择，Enter 或 Tab 插入'
  }
}

/** "1 reply", "2 replies": English says one and many apart. */
const count = (n, one, many) => `${n} ${new Intl.PluralRules('en').select(n) === 'one' ? one : many}`

const en = {
  title: 'Agent console', miniPrograms: 'Mini programs', signedIn: 'Agent: ', account: 'Account', live: 'Live', offline: 'Disconnected, reconnecting…', ended: 'Signed out',
  replaced: 'Live updates moved to a newer tab; paused here (reload to resume)',
  allApps: 'All mini programs', noApps: 'No mini program is assigned to you yet; ask an administrator (pnpm --filter @kefu/console agent:add).',
  pick: 'Pick a conversation on the left', back: 'Back', image: '[image]', card: '[mini program card]', link: '[link]', entered: 'Entered the chat from: ', enteredNoSource: 'Entered the chat',
  event: 'Event: ', other: 'Message type: ', send: 'Send', sending: 'Sending…', sent: 'Sent', failed: 'Not delivered', placeholder: 'Type a reply; Enter sends, Shift+Enter for a new line, / for quick replies',
  notePlaceholder: 'Internal note (agents only, never sent to the customer); @ mentions a colleague, Enter saves', uploadImage: 'Send an image', more: 'Link / mini program card', linkTitle: 'Title', linkDesc: 'Description', linkUrl: 'URL', thumbUrl: 'Thumbnail URL', sendLink: 'Send link',
  pageTitle: 'Card title', pagePath: 'Page path', thumbMedia: 'Thumbnail media_id (upload an image first)', sendPage: 'Send card',
  windowOpen: (n, t) => `${count(n, 'reply', 'replies')} left, window closes at ${t}`, windowUsed: 'This window’s replies are used up', windowClosed: 'Reply window closed (no message from the user in 48 hours)',
  noSecret: 'This mini program has no secret configured: replies are off', unread: (n) => `${n} unread`, loadOlder: 'Load older messages', you: 'me', by: 'by',
  views: 'Conversation views', mine: 'Mine', unassigned: 'Unassigned', all: 'All', statusFilter: 'Status', tagFilter: 'Tag', anyTag: 'Any tag',
  status: { open: 'Open', pending: 'Pending', resolved: 'Resolved', snoozed: 'Snoozed', all: 'Any status' },
  assignee: 'Assignee', assigneeMe: (n) => `${n} (me)`, nobody: 'Unassigned', claim: 'Claim', release: 'Release', handTo: 'Hand to', handOver: 'Hand over', takenBy: (who) => `${who} already took this conversation`,
  releasedMeanwhile: 'This conversation was just released; try again', setStatus: 'Status', snooze: 'Snooze', snoozeNone: 'Not snoozed', snooze1h: '1 hour', snoozeTomorrow: 'Tomorrow 9:00', snoozeWeek: 'A week',
  snoozedUntil: (t) => `Snoozed until ${t}`, internalNote: 'Internal note', reply: 'Reply', note: 'Note', saveNote: 'Save note', composerMode: 'Write a',
  actClaimed: (a) => `${a} claimed the conversation`, actHanded: (a, from, to) => from === a ? `${a} handed the conversation to ${to}` : `${a} moved the conversation from ${from || 'unassigned'} to ${to}`,
  actReleased: (a, from) => from === a ? `${a} released the conversation` : `${a} unassigned ${from}’s conversation`, actAuto: (to) => `Assigned automatically to ${to}`,
  actUnavailable: (from) => `${from} is not online or no longer serves this mini program: back to unassigned`, actStatus: (a, to) => `${a} set the status to “${to}”`,
  actReopened: (from) => `The customer wrote again: reopened (was “${from}”)`, actSnoozed: (a, t) => `${a} snoozed the conversation until ${t}`, actUnsnoozed: (a) => `${a} ended the snooze`,
  actWoken: 'The customer wrote again: snooze ended',
  availability: 'My status', availabilityOf: { online: 'Online', away: 'Away', offline: 'Offline' }, colleagues: 'Colleagues', noColleagues: 'No other agent serves your mini programs yet; an administrator adds them under Admin.',
  notifications: 'Notifications', notifyDesktop: 'Browser notification while in the background', notifySound: 'Sound on new messages', notifyDenied: 'The browser blocks notifications; allow them in its settings.',
  newMessage: (who) => `New message · ${who}`, close: 'Close', save: 'Save', saved: 'Saved', delete: 'Delete', edit: 'Edit', cancel: 'Cancel', add: 'Add',
  quickReplies: 'Quick replies', manageQuickReplies: 'Manage quick replies', shortcut: 'Shortcut', text: 'Text', shared: 'Shared', personal: 'Mine',
  sharedOf: (app) => `Shared (${app})`, adminOnlyShared: 'Administrators manage the shared quick replies.',
  quickReplyVariables: (list) => `Variables, filled in when inserted: ${list}`, fillVariable: (v) => `Replace ${v} before sending.`,
  customer: 'Customer', openid: 'OpenID', miniProgram: 'Mini program', firstContact: 'First contact', lastEntry: 'Last entry scene', noEntry: 'none', messageCount: 'Messages',
  messageCounts: (i, o) => `${i} from the customer · ${count(o, 'reply', 'replies')}`, tags: 'Tags', tagsHint: 'Comma-separated; Enter saves',
  tooManyTags: (n) => `At most ${n} tags`, tagTooLong: (tag, n) => `The tag “${tag}” is too long: at most ${n} characters each`, customerInvalid: 'The tags or the note are not in a form that can be saved; change them and save again', customerNote: 'Note about the customer', profile: 'From the business',
  profileLoading: 'Asking the business’s system…', profileNone: 'The business’s system knows no such customer', profileUnavailable: 'The business’s system cannot be reached right now', openProfile: 'Open in the business’s system',
  admin: 'Admin', agents: 'Agents and mini programs', role: { agent: 'Agent', admin: 'Administrator' }, addAgent: 'Add an agent (account name at A)', autoAssign: 'Automatic assignment',
  autoAssignOf: { off: 'Off', round_robin: 'Round robin among online agents' }, maxOpen: 'Open conversations per agent at most', username: 'Account name',
  // keyboard, drafts, unread separator, pasted images, delivery (issue 23, helper "keys")
  keys: {
    newMessages: 'New messages', palette: 'Command palette', paletteSearch: 'Search conversations, views or actions', paletteNone: 'Nothing matches',
    groupConversations: 'Conversations', groupViews: 'Views', groupActions: 'Actions', searchMessages: (q) => `Search messages: ${q}`,
    assignMe: 'Assign to me', resolve: 'Resolve', focusReply: 'Focus the reply box', signOut: 'Sign out (at the account site)', openSearch: 'Search messages',
    shortcuts: 'Keyboard shortcuts', shortcutList: {
      palette: 'Open the command palette', help: 'Show the shortcuts', next: 'Next conversation', previous: 'Previous conversation', reply: 'Focus the reply box', resolve: 'Resolve', search: 'Search messages', escape: 'Close what is open'
    },
    imagePreview: 'Send this image?', sendImage: 'Send image', notImage: (name) => `“${name}” is not an image: only JPG, PNG or GIF can be sent`,
    tooLarge: (name, mb) => `“${name}” is too large: images are ${mb} MB at most`,
    retry: 'Retry', retrying: 'Retrying…', failedBecause: (why) => `Not delivered: ${why}`, unknownReason: 'WeChat gave no reason'
  },
  history: {
    search: 'Search', title: 'Search messages', placeholder: 'Search what was said, e.g. refund, an order number', filters: 'Filters', tag: 'Tag', status: 'Status', assignee: 'Assignee',
    from: 'From', to: 'To', results: 'Results', more: 'More results', agent: 'Agent', reports: 'Reports',
    mediaPending: 'Saving the picture…', mediaFailed: (why) => `The picture could not be kept: ${why}`
  },
  subscribe: {
    title: 'Subscribe messages', offers: 'Subscribe messages you can send', offer: (title, n) => `Send a subscribe message: ${title} (${n} left)`, offerLongTerm: (title) => `Send a subscribe message: ${title} (long-term)`,
    notAccepted: (title) => `${title}: not accepted by the customer`, usedUp: (title) => `${title}: the customer’s acceptances are used up`, send: 'Send subscribe message', query: 'Page query (optional)', queryRule: 'key=value pairs joined by &', noPage: 'This template opens no page',
    tag: '[Subscribe message]', colon: ': ', separator: '; ', opens: (page) => `Opens ${page}`,
    accepted: (title) => `The customer accepted the subscribe message “${title}”`, rejected: (title) => `The customer rejected the subscribe message “${title}”`,
    turnedOff: (title) => `The customer turned off “${title}” in their settings`, turnedOn: (title) => `The customer turned on “${title}” in their settings`,
    delivered: (title) => `“${title}” was delivered`, notDelivered: (title, why) => `“${title}” was not delivered (${why})`
  },
  mentions: {
    title: 'Mentions', unread: (n) => `${n} unread`, unreadItem: 'Unread: ',
    item: (by, who) => `${by} mentioned you in a note on ${who}`, open: 'Open', dismiss: 'Dismiss',
    pickerLabel: 'Mention a colleague', noColleague: 'No colleague matches', colleaguesFound: (n) => `${count(n, 'colleague', 'colleagues')} to mention`,
    markAllRead: 'Mark all read'
  },
  // names, avatars, icons, time zone (issue 23)
  // Empty states (issue 23): each says what to do next.
  empty: {
    mine: 'Nothing is assigned to you here. Claim a conversation under Unassigned, or pick another status.',
    unassigned: 'No conversation is waiting for an agent. New ones appear here when a customer writes.',
    all: 'No conversation matches. Try another status or tag; new ones appear here when a customer writes.',
    search: 'No message matches. Try other words, or widen the mini program, status or dates under Filters.',
    mentions: 'Nobody has mentioned you in a note yet. When a colleague types @ and your name in an internal note, it shows here.',
    quickReplies: 'No quick reply matches. Add one under Manage quick replies.'
  },
  look: {
    displayName: 'Customer name', displayNameHint: 'Empty: their nickname or openid', saveDisplayName: 'Save the customer name',
    displayNameTooLong: (n) => `A customer name is at most ${n} characters`, displayNameInvalid: 'The customer name cannot be saved (no control characters, at most 64 characters)',
    timesIn: (zone) => `Times: ${zone}`, timesInReports: (zone, team) => `Times: ${zone} · reports: ${team}`,
    timeZone: 'Team time zone', timeZoneHint: 'Reports count each day in this time zone (an IANA name such as Asia/Shanghai).', badTimeZone: (z) => `There is no time zone “${z}”: give an IANA name such as Asia/Shanghai`
  },
  // the command palette's conversation actions and the shortcut list's composer keys (issue 23)
  paletteActions: {
    release: 'Release the conversation', handTo: (who) => `Hand over to ${who}`, pending: 'Mark as pending', reopen: 'Reopen the conversation', unsnooze: 'Stop snoozing', snooze: (when) => `Snooze: ${when}`,
    note: 'Write an internal note', customer: 'Open the customer panel', quickReply: 'Insert a quick reply', manageQuickReplies: 'Manage quick replies', mentions: 'Show mentions',
    anywhere: 'Anywhere (outside a text field)', inComposer: 'In the reply box', send: 'Send the reply or save the note', newLine: 'New line', quickReplies: 'Quick replies (at the start or after a space)',
    mention: 'Mention a colleague (in a note)', pick: 'Move in the list; Enter or Tab inserts'
  }
}

export const T = lang === 'en' ? en : zh
