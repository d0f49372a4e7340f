/** Readable names for runs created without one, like `brave-otter-417`. */
const ADJECTIVES = ['amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'eager', 'fair', 'gentle', 'glad', 'keen', 'lively', 'lucid', 'merry', 'nimble', 'proud', 'quick', 'quiet', 'rapid', 'ripe', 'sharp', 'steady', 'sunny', 'swift', 'tidy', 'vivid', 'warm', 'wise', 'zesty'];
const NOUNS = ['apple', 'badger', 'birch', 'cedar', 'cherry', 'crane', 'falcon', 'fern', 'finch', 'fox', 'hazel', 'heron', 'lark', 'linden', 'lynx', 'maple', 'marten', 'oak', 'orchid', 'otter', 'owl', 'pear', 'plum', 'quince', 'raven', 'robin', 'rowan', 'sparrow', 'willow', 'wren'];

export function generateRunName(random: () => number = Math.random): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.floor(random() * 1000)}`;
}
