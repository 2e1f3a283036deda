// The keys of a list that completes what is typed in a textarea (the quick-replies and the mention pickers): the
// arrows move the active option (round), Enter or Tab picks it, Escape closes the list. Listened to in the capture
// phase, so they come before the composer's own (Enter would send).

/**
 * `picker`: open() whether the list is shown; size() how many options; active() the active one's index;
 * select(i) makes option i active (and draws it); choose() picks the active one; close().
 */
export function listboxKeys (textarea, picker) {
  textarea.addEventListener('keydown', (e) => {
    if (!picker.open()) return
    if (e.key === 'Escape') {
      e.preventDefault()
      e.stopImmediatePropagation()
      picker.close()
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      const n = picker.size()
      if (n > 0) picker.select((picker.active() + (e.key === 'ArrowDown' ? 1 : n - 1)) % n)
    } else if ((e.key === 'Enter' || e.key === 'Tab') && picker.size() > 0 && !e.isComposing) {
      e.preventDefault()
      e.stopImmediatePropagation()
      picker.choose()
    }
  }, true)
}
