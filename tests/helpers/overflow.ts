/**
 * Run in the page: what on it passes the right edge — the page scrolling sideways, a scroll
 * container that scrolls sideways, or an element whose visible part (after every clipping
 * ancestor) ends past the viewport — each finding naming the element; an empty list when nothing
 * does. The phone-layout checks read it (issue 18: no sideways scroll on any screen at 360 px).
 */
export const OVERFLOW = `(() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const found = [];
  if (root.scrollWidth > width) found.push('the page scrolls sideways: ' + root.scrollWidth + ' > ' + width);
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + (el.getAttribute('aria-label') ? '[' + el.getAttribute('aria-label') + ']' : '') + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    let right = box.right;
    let left = box.left;
    for (let up = el.parentElement; up !== null && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === 'visible') continue;
      const clip = up.getBoundingClientRect();
      right = Math.min(right, clip.right);
      left = Math.max(left, clip.left);
    }
    if (right > left && right > width + 0.5) found.push(name(el) + ' ends at ' + Math.round(right) + ' px');
    if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1)
      found.push(name(el) + ' scrolls sideways: ' + el.scrollWidth + ' > ' + el.clientWidth);
  }
  return found;
})()`;
