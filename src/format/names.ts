/**
 * Ids and names MLflow generates: run names, experiment ids, run ids, logged model ids, md5.
 *
 * @example
 * ```ts
 * generateRunName(); // e.g. 'bold-owl-417'
 * generateExperimentId(); // e.g. '472318652019283745'
 * newRunId(); // 32 lowercase hex digits
 * ```
 * @module
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';

/**
 * `mlflow/utils/name_utils.py` `_GENERATOR_PREDICATES`, copied verbatim (MLflow 3.17.2).
 *
 * @example
 * ```ts
 * PREDICATES.includes('bold'); // true
 * ```
 */
export const PREDICATES: readonly string[] = [
  'abundant', 'able', 'abrasive', 'adorable', 'adaptable', 'adventurous', 'aged', 'agreeable',
  'ambitious', 'amazing', 'amusing', 'angry', 'auspicious', 'awesome', 'bald', 'beautiful',
  'bemused', 'bedecked', 'big', 'bittersweet', 'blushing', 'bold', 'bouncy', 'brawny', 'bright',
  'burly', 'bustling', 'calm', 'capable', 'carefree', 'capricious', 'caring', 'casual', 'charming',
  'chill', 'classy', 'clean', 'clumsy', 'colorful', 'crawling', 'dapper', 'debonair', 'dashing',
  'defiant', 'delicate', 'delightful', 'dazzling', 'efficient', 'enchanting', 'entertaining',
  'enthused', 'exultant', 'fearless', 'flawless', 'fortunate', 'fun', 'funny', 'gaudy', 'gentle',
  'gifted', 'glamorous', 'grandiose', 'gregarious', 'handsome', 'hilarious', 'honorable',
  'illustrious', 'incongruous', 'indecisive', 'industrious', 'intelligent', 'inquisitive',
  'intrigued', 'invincible', 'judicious', 'kindly', 'languid', 'learned', 'legendary', 'likeable',
  'loud', 'luminous', 'luxuriant', 'lyrical', 'magnificent', 'marvelous', 'masked', 'melodic',
  'merciful', 'mercurial', 'monumental', 'mysterious', 'nebulous', 'nervous', 'nimble', 'nosy',
  'omniscient', 'orderly', 'overjoyed', 'peaceful', 'painted', 'persistent', 'placid', 'polite',
  'popular', 'powerful', 'puzzled', 'rambunctious', 'rare', 'rebellious', 'respected', 'resilient',
  'righteous', 'receptive', 'redolent', 'resilient', 'rogue', 'rumbling', 'salty', 'sassy',
  'secretive', 'selective', 'sedate', 'serious', 'shivering', 'skillful', 'sincere', 'skittish',
  'silent', 'smiling', 'sneaky', 'sophisticated', 'spiffy', 'stately', 'suave', 'stylish',
  'tasteful', 'thoughtful', 'thundering', 'traveling', 'treasured', 'trusting', 'unequaled',
  'upset', 'unique', 'unleashed', 'useful', 'upbeat', 'unruly', 'valuable', 'vaunted',
  'victorious', 'welcoming', 'whimsical', 'wistful', 'wise', 'worried', 'youthful', 'zealous',
];

/**
 * `mlflow/utils/name_utils.py` `_GENERATOR_NOUNS`, copied verbatim (MLflow 3.17.2).
 *
 * @example
 * ```ts
 * NOUNS.includes('owl'); // true
 * ```
 */
export const NOUNS: readonly string[] = [
  'ant', 'ape', 'asp', 'auk', 'bass', 'bat', 'bear', 'bee', 'bird', 'boar', 'bug', 'calf', 'carp',
  'cat', 'chimp', 'cod', 'colt', 'conch', 'cow', 'crab', 'crane', 'croc', 'crow', 'cub', 'deer',
  'doe', 'dog', 'dolphin', 'donkey', 'dove', 'duck', 'eel', 'elk', 'fawn', 'finch', 'fish', 'flea',
  'fly', 'foal', 'fowl', 'fox', 'frog', 'gnat', 'gnu', 'goat', 'goose', 'grouse', 'grub', 'gull',
  'hare', 'hawk', 'hen', 'hog', 'horse', 'hound', 'jay', 'kit', 'kite', 'koi', 'lamb', 'lark',
  'loon', 'lynx', 'mare', 'midge', 'mink', 'mole', 'moose', 'moth', 'mouse', 'mule', 'newt', 'owl',
  'ox', 'panda', 'penguin', 'perch', 'pig', 'pug', 'quail', 'ram', 'rat', 'ray', 'robin', 'roo',
  'rook', 'seal', 'shad', 'shark', 'sheep', 'shoat', 'shrew', 'shrike', 'shrimp', 'skink', 'skunk',
  'sloth', 'slug', 'smelt', 'snail', 'snake', 'snipe', 'sow', 'sponge', 'squid', 'squirrel',
  'stag', 'steed', 'stoat', 'stork', 'swan', 'tern', 'toad', 'trout', 'turtle', 'vole', 'wasp',
  'whale', 'wolf', 'worm', 'wren', 'yak', 'zebra',
];

const pick = (words: readonly string[]): string => words[randomInt(words.length)]!;

/**
 * MLflow `_generate_random_name(sep="-", integer_scale=3, max_length=20)`:
 * `<predicate>-<noun>-<n>` with `n = random.randint(0, 10**3)` — **0 to 1000 inclusive** (Python's
 * `randint` includes both ends, so 1000 can occur); drawn up to 10 times until at most 20
 * characters, else the last draw cut to 20 characters.
 *
 * @example
 * ```ts
 * /^[a-z]+-[a-z]+-\d{1,4}$/.test(generateRunName()); // true
 * ```
 */
export function generateRunName(sep = '-', integerScale = 3, maxLength = 20): string {
  let name = '';
  for (let i = 0; i < 10; i++) {
    const num = randomInt(10 ** integerScale + 1);
    name = `${pick(PREDICATES).toLowerCase()}${sep}${pick(NOUNS).toLowerCase()}${sep}${num}`;
    if (name.length <= maxLength) return name;
  }
  return name.slice(0, maxLength);
}

/**
 * MLflow 2.0+ `_generate_unique_integer_id()`: the last 18 decimal digits of a uuid4's 128-bit
 * integer; for each leading `0` a random digit is appended; then `int()` — so normally 18
 * digits without a leading zero. Returned as the decimal string MLflow stores.
 *
 * @example
 * ```ts
 * /^[1-9]\d{17}$/.test(generateExperimentId()); // true (almost always: see MLflow's algorithm)
 * ```
 */
export function generateExperimentId(): string {
  const uuidInt = BigInt('0x' + newRunId());
  let s = uuidInt.toString().slice(-18);
  for (const ch of s) {
    if (ch === '0') s += String(randomInt(10));
    else break;
  }
  return BigInt(s).toString();
}

/**
 * A new run id: `uuid.uuid4().hex` — 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * /^[0-9a-f]{32}$/.test(newRunId()); // true
 * ```
 */
export function newRunId(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * A new logged model id (3.x): `m-` + `uuid.uuid4().hex`.
 *
 * @example
 * ```ts
 * /^m-[0-9a-f]{32}$/.test(newLoggedModelId()); // true
 * ```
 */
export function newLoggedModelId(): string {
  return `m-${newRunId()}`;
}

/**
 * Hex md5 of the UTF-8 bytes of the given strings, fed in order (`md5(a); md5.update(b)`), as
 * MLflow computes ids: dataset id = `md5Hex(name, digest)`, run input id =
 * `md5Hex(datasetId, runId)` (`FileStore._get_dataset_id` / `_get_dataset_input_id`).
 *
 * @example
 * ```ts
 * md5Hex('abc'); // '900150983cd24fb0d6963f7d28e17f72'
 * md5Hex('ab', 'c'); // same
 * ```
 */
export function md5Hex(...parts: string[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest('hex');
}
