import { ReactNode, useEffect, useRef, useState } from 'react';
import { HEIGHT, LABELS, Lang } from './trend-text';

/**
 * A figure drawn by Observable Plot (the trend chart, the 766 index chart): Plot is loaded only
 * when a chart is shown (the drawing module is a chunk of its own), so the page's first view does
 * not wait for it; it draws into a div this component owns, at its container's width, once per
 * change of `drawKey` (Plot's data must not change identity on each render). `children` (a table
 * of the figures, for screen readers) stays the fallback when Plot cannot load.
 */
export function PlotFigure({ title, drawKey, draw, lang, minHeight = HEIGHT, failed, className, children }: {
  title: string;
  /** The content drawn, as a string: a new key draws again. */
  drawKey: string;
  /** Imports the drawing chunk and draws at a width. */
  draw: (width: number) => Promise<Element>;
  lang: Lang;
  minHeight?: number;
  /** What to say when Plot could not be loaded (default: the figures are in the table below). */
  failed?: string;
  className?: string;
  children?: ReactNode;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'drawn' | 'failed'>('loading');
  const [width, setWidth] = useState(0);

  // The chart follows its container's width.
  useEffect(() => {
    const el = host.current;
    if (!el) return undefined;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(([entry]) => setWidth(Math.round(entry.contentRect.width)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = host.current;
    if (!el || width === 0) return undefined;
    let cancelled = false;
    draw(width)
      .then((figure) => {
        if (cancelled) return;
        el.replaceChildren(figure);
        setState('drawn');
      })
      .catch(() => {
        if (!cancelled) setState('failed');
      });
    return () => {
      cancelled = true;
    };
    // `drawKey` stands for what `draw` draws.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [drawKey, width]);

  return (
    <figure className={className} style={{ margin: '0.5rem 0', position: 'relative' }}>
      <figcaption style={{ fontWeight: 600, marginBottom: '0.3rem' }}>{title}</figcaption>
      {state !== 'drawn' && <p role="status" style={{ color: '#4a4f57', fontSize: '0.9rem' }}>{state === 'failed' ? failed ?? LABELS[lang].failed : LABELS[lang].loading}</p>}
      <div ref={host} style={{ width: '100%', minHeight }} />
      {children}
    </figure>
  );
}
