/** WCAG contrast of the text the panel shows, against the backgrounds it is drawn on, for the browser end-to-end tests. */
import { Frame } from 'playwright-core';

export interface Contrast {
  min: number;
  worst: string;
  count: number;
}

/**
 * The lowest WCAG contrast ratio between the text and the effective background (the
 * element's and its ancestors' backgrounds composited) of the elements matching `selector`.
 */
async function textContrast(frame: Frame, selector: string): Promise<Contrast> {
  return frame.evaluate((sel) => {
    const parse = (c: string): number[] => {
      // color-mix() computes to color(srgb r g b / a), channels from 0 to 1.
      const srgb = /color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.e-]+))?\)/.exec(c);
      if (srgb) return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255, srgb[4] === undefined ? 1 : Number(srgb[4])];
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) throw new Error(`cannot read colour ${c}`);
      const v = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
    };
    const over = (top: number[], under: number[]): number[] => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
    const lum = (c: number[]): number => {
      const [r, g, b] = c.slice(0, 3).map((x) => {
        const s = x / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    let min = Infinity;
    let worst = '';
    const els = Array.from(document.querySelectorAll(sel)).filter((e) => (e.textContent ?? '').trim());
    for (const el of els) {
      const layers: number[][] = [];
      for (let e: Element | null = el; e; e = e.parentElement) layers.push(parse(getComputedStyle(e).backgroundColor));
      let bg = [255, 255, 255, 1];
      for (const l of layers.reverse()) bg = over(l, bg);
      const fg = over(parse(getComputedStyle(el).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < min) {
        min = ratio;
        worst = `"${el.textContent}" ${getComputedStyle(el).color} on ${`rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`}`;
      }
    }
    return { min, worst, count: els.length };
  }, selector);
}

export async function expectReadable(frame: Frame, selector: string, what: string, minRatio = 4.5): Promise<Contrast> {
  const c = await textContrast(frame, selector);
  if (!c.count) throw new Error(`no ${what} (${selector}) to check`);
  if (c.min < minRatio) throw new Error(`${what} are unreadable: contrast ${c.min.toFixed(2)} < ${minRatio} for ${c.worst}`);
  return c;
}
