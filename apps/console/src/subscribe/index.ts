// Subscribe messages: what a customer accepted, per template (subscribe-store.ts, over the counts the database keeps
// as WeChat's events are stored), and sending one that the template's rules allow (subscribe-message.ts, routes.ts).
export { default, type SubscribeRoutesOptions as SubscribeOptions } from './routes.js'
