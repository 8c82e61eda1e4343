/**
 * Request headers for a response that says `Vary: x-a, x-b`, each pair of which a naive join
 * of the values (by `''`, by `', '`, absent as empty) would confuse.
 */
export const SPLIT_VARIANTS: readonly Readonly<Record<string, string>>[] = [
  { 'x-a': 'a, b' },
  { 'x-a': 'a', 'x-b': 'b' },
  { 'x-a': 'a', 'x-b': '' },
  { 'x-a': 'a' },
  { 'x-a': 'ab' },
];
