/**
 * The page side of "a login ends when idle everywhere" (served at `/sso/session-watch.js`, include it on every page
 * for a signed-in person). It asks `/sso/status` every `pollMs` (not activity), and:
 * - `warnBeforeMs` before an idle sign-out, shows a warning with a "stay signed in" button (`/sso/keepalive`, which
 *   is activity); near the absolute limit it says when the login ends instead (nothing can extend it);
 * - at the end, says the session ended and offers a sign-in link that returns to this page (path and query).
 * State on `<html data-session="active|warning|ended">` and a `kefu-session` event, for pages and tests;
 * `window.kefuSession.check()` asks at once (a page calls it when its live stream ends).
 * zh-CN unless `<html lang>` is English. Styles are set through the DOM, so a strict style-src CSP is fine.
 */
export const SESSION_WATCH_SOURCE = `'use strict';
(function kefuSessionWatch () {
  var T = {
    'zh-CN': {
      warn: function (t) { return '由于长时间没有操作，你将在 ' + t + '后退出登录。'; },
      cap: function (t) { return '本次登录已到最长时限，将在 ' + t + '后结束。请保存工作，之后重新登录。'; },
      stay: '保持登录', ok: '知道了', ended: '登录已结束', endedText: '由于长时间没有操作或已在账户站点退出，你已退出登录。',
      signIn: '重新登录并回到此处', time: function (s) { return s >= 60 ? Math.floor(s / 60) + ' 分 ' + (s % 60) + ' 秒' : s + ' 秒'; }
    },
    en: {
      warn: function (t) { return 'You have been inactive: you will be signed out in ' + t + '.'; },
      cap: function (t) { return 'This sign-in reaches its maximum length in ' + t + '. Save your work; you will need to sign in again.'; },
      stay: 'Stay signed in', ok: 'OK', ended: 'Your session has ended', endedText: 'You were signed out after a period of inactivity, or you signed out at the account site.',
      signIn: 'Sign in again and come back here', time: function (s) { return s >= 60 ? Math.floor(s / 60) + ' min ' + (s % 60) + ' s' : s + ' s'; }
    }
  }[/^en\\b/i.test(document.documentElement.lang) ? 'en' : 'zh-CN'];
  var root = document.documentElement;
  var status = null;
  var receivedAt = 0;
  var box = null;
  var dismissedCap = false;
  var timer = null;
  var pollMs = 5000;
  var asking = false;

  function setState (s) {
    if (root.getAttribute('data-session') === s) return;
    root.setAttribute('data-session', s);
    try { document.dispatchEvent(new CustomEvent('kefu-session', { detail: s })); } catch (e) {}
  }
  function remaining () { return status.expiresAt - status.now - (Date.now() - receivedAt); }
  function style (node, css) { for (var k in css) node.style[k] = css[k]; return node; }
  function make (tag, css, text) { var n = style(document.createElement(tag), css || {}); if (text) n.textContent = text; return n; }
  function button (text, primary, onclick) {
    var b = make('button', { minHeight: '44px', padding: '.5rem 1rem', marginTop: '.75rem', marginRight: '.5rem', borderRadius: '6px', border: '1px solid #0a66c2', font: 'inherit', fontWeight: '600', cursor: 'pointer', background: primary ? '#0a66c2' : 'transparent', color: primary ? '#fff' : 'inherit' }, text);
    b.type = 'button';
    b.addEventListener('click', onclick);
    return b;
  }
  function show (kind, text, actions) {
    if (box === null || box.getAttribute('data-kind') !== kind) {
      if (box !== null) box.remove();
      box = make('div', { position: 'fixed', left: '50%', transform: 'translateX(-50%)', bottom: '1rem', zIndex: '2147483000', maxWidth: 'min(32rem, calc(100vw - 2rem))', width: 'max-content', padding: '1rem 1.25rem', borderRadius: '8px', border: '1px solid #8a8a8a', background: 'Canvas', color: 'CanvasText', boxShadow: '0 4px 24px rgba(0,0,0,.25)', font: '15px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif' });
      box.id = 'kefu-session-' + kind;
      box.setAttribute('data-kind', kind);
      box.setAttribute('role', kind === 'ended' ? 'alertdialog' : 'alert');
      if (kind === 'ended') {
        box.setAttribute('aria-modal', 'true');
        box.setAttribute('aria-labelledby', 'kefu-session-title');
        var title = make('strong', { display: 'block', marginBottom: '.25rem' }, T.ended);
        title.id = 'kefu-session-title';
        box.appendChild(title);
      }
      var p = make('p', { margin: '0' });
      p.className = 'kefu-session-text';
      box.appendChild(p);
      for (var i = 0; i < actions.length; i++) box.appendChild(actions[i]);
      document.body.appendChild(box);
      // The ended notice takes the focus (nothing else works any more); a warning takes it only from nobody, so a
      // person typing keeps typing (and Tab reaches the button).
      var first = box.querySelector('a, button');
      if (first && (kind === 'ended' || document.activeElement === null || document.activeElement === document.body)) first.focus();
    }
    box.querySelector('.kefu-session-text').textContent = text;
  }
  function hide () { if (box !== null) { box.remove(); box = null; } }

  function render () {
    if (status === null) return;
    if (!status.active || status.expiresAt <= status.now) return ended();
    var left = remaining();
    if (left <= 0) { ask(); return; }
    if (left > status.warnBeforeMs) { hide(); setState('active'); return; }
    var t = T.time(Math.ceil(left / 1000));
    if (status.capAt <= status.expiresAt) {
      if (dismissedCap) { hide(); setState('active'); return; }
      show('cap', T.cap(t), [button(T.ok, false, function () { dismissedCap = true; hide(); })]);
    } else {
      show('warning', T.warn(t), [button(T.stay, true, stay)]);
    }
    setState('warning');
  }
  function ended () {
    clearInterval(timer);
    var here = location.pathname + location.search;
    var link = make('a', { display: 'inline-block', minHeight: '44px', padding: '.55rem 1rem', marginTop: '.75rem', borderRadius: '6px', background: '#0a66c2', color: '#fff', fontWeight: '600', textDecoration: 'none' }, T.signIn);
    link.href = (status && status.loginPath ? status.loginPath : '/sso/login?return_to=') + encodeURIComponent(here);
    link.id = 'kefu-session-sign-in';
    show('ended', T.endedText, [link]);
    setState('ended');
  }
  function apply (s) {
    if (s === null || typeof s !== 'object') return;
    status = s;
    receivedAt = Date.now();
    if (typeof s.pollMs === 'number' && s.pollMs !== pollMs) { pollMs = s.pollMs; restart(); }
    render();
  }
  function ask () {
    if (asking || root.getAttribute('data-session') === 'ended') return;
    asking = true;
    fetch('/sso/status', { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json', 'x-kefu-activity': 'background' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(apply, function () {})
      .then(function () { asking = false; });
  }
  function stay () {
    fetch('/sso/keepalive', { method: 'POST', credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json', 'x-kefu-activity': 'person' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(apply, function () {});
  }
  var ticks = 0;
  function restart () {
    clearInterval(timer);
    ticks = 0;
    timer = setInterval(function () {
      ticks += 1000;
      if (ticks >= pollMs) { ticks = 0; ask(); } else render();
    }, 1000);
  }
  window.kefuSession = { check: ask };
  restart();
  ask();
})();
`
