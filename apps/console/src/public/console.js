// kefu agent console: conversations, a live timeline (Server-Sent Events), and replies through WeChat.
// Plain browser JavaScript: no build step, no dependencies.
'use strict'
;(function consoleMain () {
  const root = document.getElementById('app')
  const lang = document.documentElement.lang === 'en' ? 'en' : 'zh-CN'
  const T = {
    'zh-CN': {
      title: '客服工作台', signedIn: '客服：', account: '账户', live: '实时连接', offline: '连接中断，正在重连…', ended: '登录已结束',
      allApps: '全部小程序', noConversations: '还没有会话。用户给小程序客服发消息后会出现在这里。', noApps: '你还没有被分配任何小程序，请联系管理员（pnpm --filter @kefu/console agent:add）。',
      pick: '从左侧选择一个会话', back: '返回', image: '[图片]', card: '[小程序卡片]', link: '[链接]', entered: '进入客服会话，来源：', enteredNoSource: '进入客服会话',
      event: '事件：', other: '消息类型：', send: '发送', sending: '发送中…', sent: '已发送', failed: '发送失败', placeholder: '输入回复，Enter 发送，Shift+Enter 换行',
      uploadImage: '发送图片', more: '链接 / 小程序卡片', linkTitle: '标题', linkDesc: '描述', linkUrl: '链接地址', thumbUrl: '缩略图地址', sendLink: '发送链接',
      pageTitle: '卡片标题', pagePath: '页面路径', thumbMedia: '缩略图 media_id（可先上传图片）', sendPage: '发送小程序卡片',
      windowOpen: (n, t) => `可回复 ${n} 条，窗口 ${t} 关闭`, windowUsed: '本窗口回复条数已用完', windowClosed: '回复窗口已关闭（用户 48 小时内未发消息）',
      noSecret: '此小程序未配置 secret，无法回复', unread: (n) => `${n} 条未读`, loadOlder: '加载更早的消息', you: '我', by: '由'
    },
    en: {
      title: 'Agent console', signedIn: 'Agent: ', account: 'Account', live: 'Live', offline: 'Disconnected, reconnecting…', ended: 'Signed out',
      allApps: 'All mini programs', noConversations: 'No conversations yet. They appear here when users message the mini program’s customer service.', noApps: 'No mini program is assigned to you yet; ask an administrator (pnpm --filter @kefu/console agent:add).',
      pick: 'Pick a conversation on the left', back: 'Back', image: '[image]', card: '[mini program card]', link: '[link]', entered: 'Entered the chat from: ', enteredNoSource: 'Entered the chat',
      event: 'Event: ', other: 'Message type: ', send: 'Send', sending: 'Sending…', sent: 'Sent', failed: 'Not delivered', placeholder: 'Type a reply; Enter sends, Shift+Enter for a new line',
      uploadImage: 'Send an image', more: 'Link / mini program card', linkTitle: 'Title', linkDesc: 'Description', linkUrl: 'URL', thumbUrl: 'Thumbnail URL', sendLink: 'Send link',
      pageTitle: 'Card title', pagePath: 'Page path', thumbMedia: 'Thumbnail media_id (upload an image first)', sendPage: 'Send card',
      windowOpen: (n, t) => `${n} replies left, window closes at ${t}`, windowUsed: 'This window’s replies are used up', windowClosed: 'Reply window closed (no message from the user in 48 hours)',
      noSecret: 'This mini program has no secret configured: replies are off', unread: (n) => `${n} unread`, loadOlder: 'Load older messages', you: 'me', by: 'by'
    }
  }[lang]

  const state = { apps: [], canReply: new Set(), filter: '', conversations: [], next: null, current: null, items: new Map() }

  function el (tag, attrs, ...children) {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
      else if (k === 'text') node.textContent = v
      else node.setAttribute(k, v === true ? '' : v)
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c)
    return node
  }

  // `person: true` marks a call the agent made (a click, a reply, typing): it counts as activity and keeps the sign-in
  // alive. Everything the page does by itself (start-up, live updates, refreshes) is background and does not.
  async function api (path, options) {
    const o = options || {}
    const headers = { accept: 'application/json', 'x-kefu-activity': o.person ? 'person' : 'background' }
    if (o.json !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(path, { credentials: 'same-origin', method: o.method || 'GET', headers, body: o.json !== undefined ? JSON.stringify(o.json) : o.body })
    if (res.status === 401) { showEnded(); throw new Error('signed out') }
    if (res.status === 204) return null
    const body = await res.json().catch(() => ({}))
    if (!res.ok && res.status !== 201) throw Object.assign(new Error(body.message || res.statusText), { status: res.status, body })
    return body
  }

  const fmtTime = (ms) => new Date(ms).toLocaleString(lang, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
  const shortId = (openid) => openid.length > 14 ? openid.slice(0, 6) + '…' + openid.slice(-6) : openid
  const convKey = (appId, openid) => appId + '/' + openid

  function preview (item) {
    if (item === null || item === undefined) return ''
    switch (item.type) {
      case 'text': return item.text || ''
      case 'image': return T.image
      case 'miniprogrampage': return T.card + ' ' + (item.title || '')
      case 'link': return T.link + ' ' + (item.title || '')
      case 'event': return item.event === 'user_enter_tempsession' ? (item.sessionFrom ? T.entered + item.sessionFrom : T.enteredNoSource) : T.event + item.event
      default: return item.text || T.other + item.type
    }
  }

  // ---- layout ----
  const status = el('span', { class: 'status', role: 'status', 'aria-live': 'polite', text: '' })
  const appSelect = el('select', { 'aria-label': T.allApps, onchange: () => { state.filter = appSelect.value; loadConversations(true) } })
  const convList = el('ul', { class: 'conversations', 'aria-label': T.title })
  const listBox = el('nav', { class: 'list' }, el('div', { class: 'list-tools' }, appSelect), convList)
  const chatTitle = el('h2', { id: 'chat-title', text: '' })
  const windowInfo = el('span', { class: 'window', id: 'window-info' })
  const backButton = el('button', { class: 'back', type: 'button', text: T.back, onclick: () => { layout.classList.remove('has-chat'); state.current = null; rememberConversation(null); renderList() } })
  const timeline = el('section', { class: 'timeline', 'aria-live': 'polite', 'aria-labelledby': 'chat-title', tabindex: '0' })
  const textarea = el('textarea', { id: 'reply-text', placeholder: T.placeholder, 'aria-label': T.placeholder, rows: '3' })
  const sendButton = el('button', { class: 'primary', type: 'button', id: 'send', text: T.send })
  const fileInput = el('input', { type: 'file', accept: 'image/jpeg,image/png,image/gif', class: 'visually-hidden', id: 'image-file', 'aria-label': T.uploadImage })
  const imageButton = el('button', { type: 'button', text: T.uploadImage, onclick: () => fileInput.click() })
  const notice = el('div', { class: 'notice', role: 'alert', id: 'notice' })
  const linkForm = el('form', { id: 'link-form' },
    el('input', { type: 'text', name: 'title', required: true, maxlength: '64', placeholder: T.linkTitle, 'aria-label': T.linkTitle }),
    el('input', { type: 'text', name: 'description', required: true, maxlength: '256', placeholder: T.linkDesc, 'aria-label': T.linkDesc }),
    el('input', { type: 'url', name: 'url', required: true, placeholder: T.linkUrl, 'aria-label': T.linkUrl }),
    el('input', { type: 'url', name: 'thumbUrl', required: true, placeholder: T.thumbUrl, 'aria-label': T.thumbUrl }),
    el('button', { type: 'submit', text: T.sendLink }))
  const pageForm = el('form', { id: 'page-form' },
    el('input', { type: 'text', name: 'title', required: true, maxlength: '64', placeholder: T.pageTitle, 'aria-label': T.pageTitle }),
    el('input', { type: 'text', name: 'pagePath', required: true, placeholder: T.pagePath, 'aria-label': T.pagePath }),
    el('input', { type: 'text', name: 'thumbMediaId', required: true, placeholder: T.thumbMedia, 'aria-label': T.thumbMedia }),
    el('button', { type: 'submit', text: T.sendPage }))
  const composer = el('div', { class: 'composer' }, textarea,
    el('div', { class: 'row' }, el('span', { class: 'grow' }, notice), imageButton, fileInput, sendButton),
    el('details', {}, el('summary', { text: T.more }), linkForm, pageForm))
  const chat = el('main', { class: 'chat' }, el('div', { class: 'chat-head' }, backButton, chatTitle, windowInfo), timeline, composer)
  const placeholder = el('main', { class: 'chat' }, el('div', { class: 'placeholder', text: T.pick }))
  const layout = el('div', { class: 'layout' }, listBox, placeholder)
  root.append(
    el('header', { class: 'top' }, el('h1', { text: 'kefu · ' + T.title }), status,
      el('span', { text: T.signedIn + root.dataset.username, id: 'agent' }),
      el('a', { href: root.dataset.authUrl + '/', text: T.account })),
    layout)

  function showEnded () {
    status.textContent = T.ended
    status.classList.add('offline')
    sendButton.disabled = true
    if (source) source.close()
    source = null
    // The session watch (sso-client) says so and offers a sign-in that comes back to this conversation.
    if (window.kefuSession) window.kefuSession.check()
  }
  document.addEventListener('kefu-session', (e) => { if (e.detail === 'ended') showEnded() })

  // The open conversation is in the address (?c=<appid>/<openid>), so a reload or a sign-in comes back to it.
  function rememberConversation (conv) {
    const q = conv === null ? '' : '?c=' + encodeURIComponent(convKey(conv.appId, conv.openid))
    history.replaceState(null, '', location.pathname + q)
  }

  // ---- conversation list ----
  function renderList () {
    convList.replaceChildren()
    if (state.apps.length === 0) { convList.append(el('li', { class: 'empty', text: T.noApps })); return }
    if (state.conversations.length === 0) { convList.append(el('li', { class: 'empty', text: T.noConversations })); return }
    for (const c of state.conversations) {
      const current = state.current !== null && convKey(c.appId, c.openid) === convKey(state.current.appId, state.current.openid)
      const unread = c.unreadCount > 0 ? el('span', { class: 'unread', 'aria-label': T.unread(c.unreadCount), text: String(c.unreadCount) }) : null
      convList.append(el('li', {}, el('button', {
        type: 'button', 'aria-current': current ? 'true' : 'false', 'data-conversation': convKey(c.appId, c.openid),
        onclick: () => openConversation(c.appId, c.openid, true)
      },
      el('div', { class: 'conv-top' }, el('span', { class: 'conv-name', text: shortId(c.openid) }), el('span', { class: 'conv-time', text: fmtTime(c.lastMessageAt) })),
      el('div', { class: 'conv-preview' }, unread, el('span', { text: (state.apps.length > 1 ? c.appId.slice(-4) + ' · ' : '') + preview(c.last) })))))
    }
    if (state.next !== null) convList.append(el('li', {}, el('button', { type: 'button', text: '…', onclick: loadMoreConversations })))
  }

  async function loadConversations (person) {
    const q = new URLSearchParams({ limit: '30' })
    if (state.filter) q.set('appid', state.filter)
    const body = await api('/api/conversations?' + q, { person })
    state.conversations = body.conversations
    state.next = body.next
    renderList()
  }

  async function loadMoreConversations () {
    if (state.next === null) return
    const q = new URLSearchParams({ limit: '30', ...Object.fromEntries(Object.entries(state.next).map(([k, v]) => [k, String(v)])) })
    if (state.filter) q.set('appid', state.filter)
    const body = await api('/api/conversations?' + q, { person: true })
    state.conversations.push(...body.conversations)
    state.next = body.next
    renderList()
  }

  // ---- timeline ----
  function messageNode (item) {
    const cls = ['msg', item.direction, item.type === 'event' ? 'event' : '', item.status === 'failed' ? 'msg-failed' : ''].filter(Boolean).join(' ')
    const node = el('div', { class: cls, 'data-key': item.key, 'data-status': item.status })
    switch (item.type) {
      case 'text': node.append(el('span', { class: 'text', text: item.text || '' })); break
      case 'image': node.append(item.mediaId ? el('img', { src: `/api/media/${item.appId}/${encodeURIComponent(item.mediaId)}`, alt: T.image, loading: 'lazy' }) : T.image); break
      case 'miniprogrampage':
        node.append(el('div', { class: 'card-msg' }, el('strong', { text: item.title || T.card }),
          item.thumbMediaId ? el('img', { src: `/api/media/${item.appId}/${encodeURIComponent(item.thumbMediaId)}`, alt: '', loading: 'lazy' }) : null,
          el('small', { text: item.pagePath || '' })))
        break
      case 'link':
        node.append(el('div', { class: 'card-msg' }, el('strong', { text: item.title || '' }), el('span', { text: item.description || '' }), el('small', { text: item.url || '' })))
        break
      case 'event': node.append(el('span', { text: preview(item) })); break
      default: node.append(el('span', { text: preview(item) }))
    }
    const meta = [fmtTime(item.at)]
    if (item.direction === 'out') meta.push((item.agent ? T.by + ' ' + item.agent + ' · ' : '') + (item.status === 'sent' ? T.sent : item.status === 'failed' ? T.failed : T.sending))
    if (item.type !== 'event') node.append(el('div', { class: 'meta', text: meta.join(' · ') }))
    if (item.status === 'failed') node.append(el('div', { class: 'failure', text: (item.errcode !== undefined ? `[${item.errcode}] ` : '') + (item.errmsg || '') }))
    return node
  }

  function upsertItem (item) {
    const existing = timeline.querySelector(`[data-key="${item.key}"]`)
    const node = messageNode(item)
    state.items.set(item.key, item)
    if (existing) { existing.replaceWith(node); return }
    const stick = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 80
    timeline.append(node)
    if (stick) timeline.scrollTop = timeline.scrollHeight
  }

  function renderWindow (conv) {
    const app = conv.appId
    windowInfo.className = 'window'
    if (!state.canReply.has(app)) { windowInfo.textContent = T.noSecret; windowInfo.classList.add('closed'); sendButton.disabled = true; return }
    const w = conv.window
    if (w.open) windowInfo.textContent = T.windowOpen(w.remaining, new Date(w.closesAt).toLocaleString(lang, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }))
    else { windowInfo.textContent = w.reason === 'closed' ? T.windowClosed : T.windowUsed; windowInfo.classList.add('closed') }
    sendButton.disabled = !w.open
  }

  async function openConversation (appId, openid, person) {
    state.current = { appId, openid }
    rememberConversation(state.current)
    layout.replaceChild(chat, layout.lastChild)
    layout.classList.add('has-chat')
    chatTitle.textContent = openid + (state.apps.length > 1 ? ' · ' + appId : '')
    timeline.replaceChildren()
    state.items.clear()
    notice.textContent = ''
    renderList()
    const body = await api(`/api/conversations/${appId}/${encodeURIComponent(openid)}`, { person })
    if (state.current === null || state.current.openid !== openid || state.current.appId !== appId) return
    renderWindow(body.conversation)
    for (const item of body.messages) upsertItem(item)
    timeline.scrollTop = timeline.scrollHeight
    const listed = state.conversations.find((c) => c.appId === appId && c.openid === openid)
    if (listed && listed.unreadCount > 0) {
      listed.unreadCount = 0
      renderList()
      api(`/api/conversations/${appId}/${encodeURIComponent(openid)}/read`, { method: 'POST', person }).catch(() => {})
    }
    textarea.focus()
  }

  async function refreshCurrentWindow () {
    if (state.current === null) return
    const { appId, openid } = state.current
    const body = await api(`/api/conversations/${appId}/${encodeURIComponent(openid)}?limit=1`)
    renderWindow(body.conversation)
  }

  // ---- replying ----
  async function send (payload) {
    if (state.current === null) return
    const { appId, openid } = state.current
    notice.textContent = ''
    sendButton.disabled = true
    try {
      const body = await api(`/api/conversations/${appId}/${encodeURIComponent(openid)}/messages`, { method: 'POST', json: payload, person: true })
      upsertItem(body.message)
      if (body.message.status === 'failed') notice.textContent = (body.message.errcode !== undefined ? `[${body.message.errcode}] ` : '') + (body.message.errmsg || T.failed)
      return body.message.status === 'sent'
    } catch (err) {
      notice.textContent = err.message
      return false
    } finally {
      stopTyping()
      await refreshCurrentWindow().catch(() => {})
    }
  }

  sendButton.addEventListener('click', async () => {
    const text = textarea.value.trim()
    if (text === '') { textarea.focus(); return }
    if (await send({ type: 'text', text })) textarea.value = ''
    textarea.focus()
  })
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendButton.click() }
  })
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0]
    fileInput.value = ''
    if (!file || state.current === null) return
    notice.textContent = ''
    const form = new FormData()
    form.append('media', file, file.name)
    try {
      const up = await api(`/api/apps/${state.current.appId}/images`, { method: 'POST', body: form, person: true })
      pageForm.elements.thumbMediaId.value = up.mediaId
      await send({ type: 'image', mediaId: up.mediaId })
    } catch (err) { notice.textContent = err.message }
  })
  linkForm.addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = linkForm.elements
    if (await send({ type: 'link', title: f.title.value, description: f.description.value, url: f.url.value, thumbUrl: f.thumbUrl.value })) linkForm.reset()
  })
  pageForm.addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = pageForm.elements
    if (await send({ type: 'miniprogrampage', title: f.title.value, pagePath: f.pagePath.value, thumbMediaId: f.thumbMediaId.value })) pageForm.reset()
  })

  // Typing state: on while the agent composes (renewed every 10 s: WeChat shows it for about 15 s), off when idle or sent.
  let typingSince = 0
  let typingTimer = null
  function typing (on) {
    if (state.current === null || !state.canReply.has(state.current.appId)) return
    api(`/api/conversations/${state.current.appId}/${encodeURIComponent(state.current.openid)}/typing`, { method: 'POST', json: { typing: on }, person: on }).catch(() => {})
  }
  function stopTyping () {
    clearTimeout(typingTimer)
    if (typingSince !== 0) { typingSince = 0; typing(false) }
  }
  textarea.addEventListener('input', () => {
    if (textarea.value.trim() === '') { stopTyping(); return }
    if (Date.now() - typingSince > 10_000) { typingSince = Date.now(); typing(true) }
    clearTimeout(typingTimer)
    typingTimer = setTimeout(stopTyping, 5000)
  })
  textarea.addEventListener('blur', stopTyping)

  // ---- live ----
  let source = null
  function connect () {
    source = new EventSource('/api/events')
    source.addEventListener('open', () => { status.textContent = T.live; status.classList.remove('offline') })
    source.addEventListener('error', () => { if (source) { status.textContent = T.offline; status.classList.add('offline') } })
    source.addEventListener('message', (e) => onInbound(JSON.parse(e.data)))
    source.addEventListener('outbound', (e) => {
      const item = JSON.parse(e.data)
      if (state.current !== null && item.appId === state.current.appId && item.openid === state.current.openid) upsertItem(item)
    })
    source.addEventListener('resync', () => { loadConversations(false); if (state.current) openConversation(state.current.appId, state.current.openid, false) })
    // The agent's mini programs changed: start over with the new list.
    source.addEventListener('apps', () => { source.close(); source = null; start() })
    // The stream checks the sign-in without extending it; it ended (idle everywhere, the absolute limit, a sign-out).
    source.addEventListener('ended', () => { showEnded() })
    source.addEventListener('unavailable', () => { source.close(); source = null; status.textContent = T.offline; setTimeout(connect, 3000) })
  }

  function onInbound (item) {
    const key = convKey(item.appId, item.openid)
    const open = state.current !== null && convKey(state.current.appId, state.current.openid) === key
    if (open) {
      upsertItem(item)
      refreshCurrentWindow().catch(() => {})
      if (!document.hidden) api(`/api/conversations/${item.appId}/${encodeURIComponent(item.openid)}/read`, { method: 'POST' }).catch(() => {})
    }
    if (state.filter && state.filter !== item.appId) return
    let conv = state.conversations.find((c) => convKey(c.appId, c.openid) === key)
    if (!conv) {
      conv = { appId: item.appId, openid: item.openid, unreadCount: 0, lastMessageAt: item.at, last: item, window: { open: true, remaining: 5, closesAt: null, reason: 'message' } }
    } else {
      state.conversations = state.conversations.filter((c) => c !== conv)
    }
    conv.last = item
    conv.lastMessageAt = Math.max(conv.lastMessageAt, item.at)
    if (!open && item.type !== 'event') conv.unreadCount++
    state.conversations.unshift(conv)
    renderList()
  }

  // ---- start ----
  function start () {
    api('/api/me').then(async (me) => {
      state.apps = me.apps.map((a) => a.appId)
      state.canReply = new Set(me.apps.filter((a) => a.canReply).map((a) => a.appId))
      appSelect.replaceChildren(el('option', { value: '', text: T.allApps }), ...state.apps.map((a) => el('option', { value: a, text: a })))
      appSelect.parentElement.hidden = state.apps.length < 2
      if (state.filter && !state.apps.includes(state.filter)) state.filter = ''
      if (state.current !== null && !state.apps.includes(state.current.appId)) { layout.classList.remove('has-chat'); layout.replaceChild(placeholder, layout.lastChild); state.current = null; rememberConversation(null) }
      await loadConversations(false)
      connect()
      const wanted = new URLSearchParams(location.search).get('c')
      const slash = wanted === null ? -1 : wanted.indexOf('/')
      if (state.current === null && slash > 0 && state.apps.includes(wanted.slice(0, slash))) openConversation(wanted.slice(0, slash), wanted.slice(slash + 1), false)
    }).catch((err) => { status.textContent = err.message })
  }
  start()
})()
