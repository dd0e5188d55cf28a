import type { ReactNode } from 'react';
import { hrefFor, isPlainClick, PageState } from './url-state';

/**
 * A link to another state of the page: a real href (shareable, opens in a tab on a modified
 * click), followed in the page on a plain click (history entry, no reload).
 */
export function StateLink({ state, patch, navigate, className, current, lang, children }: {
  state: PageState;
  patch: Partial<PageState>;
  navigate: (p: Partial<PageState>) => void;
  className?: string;
  /** The link to the view being shown (aria-current="page"). */
  current?: boolean;
  lang?: string;
  children: ReactNode;
}) {
  return (
    <a
      className={className}
      href={hrefFor(state, patch)}
      aria-current={current ? 'page' : undefined}
      lang={lang}
      onClick={(e) => {
        if (!isPlainClick(e)) return;
        e.preventDefault();
        navigate(patch);
      }}
    >
      {children}
    </a>
  );
}
