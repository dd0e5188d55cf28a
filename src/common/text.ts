/**
 * Folds Vietnamese text for accent-insensitive matching: "Tây Ninh" and "Tay Ninh" both become
 * "tay ninh". NFD splits letters from their tone and vowel marks; đ/Đ has no decomposition.
 */
export function foldVietnamese(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
