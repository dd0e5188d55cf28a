/**
 * The map's colours: a sequential scale read from light (low) to dark (high), sampled from viridis,
 * which stays ordered for the common colour-vision deficiencies and in greyscale. Values fall into
 * equal-width classes between the lowest and highest value shown, so that the legend can name each
 * class by its range. Each class carries the text colour (black or white) with the higher contrast
 * against it: for any background one of the two reaches at least 4.58:1 (WCAG AA for small text).
 */

/** Viridis at 1, 0.75, 0.5, 0.25, 0 (light to dark). */
const CLASS_COLOURS = ['#fde725', '#5ec962', '#21918c', '#3b528b', '#440154'];

export const NO_DATA_COLOUR = '#e6e6e6';
export const NO_DATA_HATCH = '#b3b3b3';
/** Hatching on top of the no-data colour: it must not read as the lightest class. */
export const NO_DATA_FILL = `repeating-linear-gradient(135deg, ${NO_DATA_COLOUR} 0 5px, ${NO_DATA_HATCH} 5px 7px)`;
export const NO_DATA_TEXT = '#1a1a1a';

export interface ColourClass {
  from: number;
  to: number;
  fill: string;
  text: string;
}

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever reads better on the background. */
export function textOn(fill: string): string {
  return contrast(fill, '#000000') >= contrast(fill, '#ffffff') ? '#000000' : '#ffffff';
}

/**
 * The classes for these values: as many as there are distinct values, at most five, equal width
 * between the minimum and the maximum (one class when all values are equal, none without values).
 */
export function colourClasses(values: (number | null)[]): ColourClass[] {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return [];
  const min = Math.min(...present);
  const max = Math.max(...present);
  const count = Math.min(CLASS_COLOURS.length, new Set(present).size);
  // With fewer classes, spread the colours over the whole scale so the extremes stay light and dark.
  const colours = count === 1 ? [CLASS_COLOURS[2]] : Array.from({ length: count }, (_, i) => CLASS_COLOURS[Math.round((i * (CLASS_COLOURS.length - 1)) / (count - 1))]);
  const width = (max - min) / count;
  return colours.map((fill, i) => ({
    from: min + i * width,
    to: i === count - 1 ? max : min + (i + 1) * width,
    fill,
    text: textOn(fill),
  }));
}

/** The class holding a value (the upper bound belongs to the class above, except the maximum). */
export function classOf(classes: ColourClass[], value: number | null): ColourClass | undefined {
  if (value === null || !Number.isFinite(value) || classes.length === 0) return undefined;
  return classes.find((c, i) => value < c.to || i === classes.length - 1);
}
