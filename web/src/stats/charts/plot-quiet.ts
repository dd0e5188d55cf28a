/** Accessibility of the figures Observable Plot draws (the trend chart, the 766 index chart). */

/**
 * Plot labels each mark's <g> with aria-label ("line", "rule", "x-axis tick"), which axe reports
 * as a serious violation (aria-label on an element without a role) and which says nothing useful.
 * The chart is one image (role="img", named and described by Plot's ariaLabel/ariaDescription);
 * its figures are in the table beside it.
 */
export function quietMarks<T extends Element>(figure: T): T {
  const svgs = figure instanceof SVGSVGElement ? [figure] : [...figure.querySelectorAll('svg')];
  for (const svg of svgs) {
    if (svg.hasAttribute('aria-label')) svg.setAttribute('role', 'img');
    else svg.setAttribute('aria-hidden', 'true'); // the legend's swatches: their names are in the text next to them
    for (const g of svg.querySelectorAll('[aria-label]')) if (g !== svg) g.removeAttribute('aria-label');
  }
  return figure;
}
