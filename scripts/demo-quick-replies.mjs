// The demo's quick replies: a few shared ones for each demo mini program, so that `/` in the composer finds something
// from the first start (the demo's customers write in Chinese, and so do these).
export const DEMO_QUICK_REPLIES = [
  { shortcut: 'hi', text: '您好，我是客服 {{agent.name}}，请问有什么可以帮您？' },
  { shortcut: 'ship', text: '您的订单已发货，物流单号会通过订阅消息发给您。' },
  { shortcut: 'return', text: '收到商品 7 天内可申请退货：在“我的订单”中点击“申请售后”即可。' },
  { shortcut: 'hours', text: '我们的客服时间是每天 9:00–21:00。' },
  { shortcut: 'bye', text: '感谢您的耐心，还有其他问题随时联系我们。' }
]

/**
 * Gives each mini program of `appIds` that has no shared quick reply yet the demo's, as made by `by`: a later start
 * leaves what agents changed or deleted alone.
 */
export async function seedDemoQuickReplies (prisma, appIds, by) {
  const have = new Set((await prisma.quickReply.findMany({ where: { scope: 'app', scopeId: { in: appIds } }, select: { scopeId: true }, distinct: ['scopeId'] })).map((r) => r.scopeId))
  const data = appIds.filter((appId) => !have.has(appId)).flatMap((appId) => DEMO_QUICK_REPLIES.map((q) => ({ scope: 'app', scopeId: appId, ...q, createdBy: by })))
  if (data.length > 0) await prisma.quickReply.createMany({ data, skipDuplicates: true })
}
