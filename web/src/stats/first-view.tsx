import { useEffect } from 'react';

/**
 * Rendered after a view's data (inside the same Suspense boundary, so after its lazy chart too):
 * marks the first view complete, once per page load, for the first-view bench and the tests.
 */
export function FirstViewMark() {
  useEffect(() => {
    const root = document.documentElement;
    if (root.dataset.firstView === 'complete') return;
    performance.mark('dvc:first-view');
    root.dataset.firstView = 'complete';
  }, []);
  return null;
}
