import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;
/** zxcvbn's scale 0-4; 3 = "safely unguessable", resists an offline attack on a slow hash. */
const MIN_SCORE = 3;

const estimator = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });

export type PasswordVerdict = { ok: true } | { ok: false; reason: string };

/**
 * A password people choose: at least 10 characters, and not trivially guessable (zxcvbn, with
 * the common-password and keyboard-pattern dictionaries and the user's own name and username,
 * rates it 3 of 4 or better). The reason is a sentence the user can act on.
 */
export function checkPassword(password: string, userInputs: string[] = []): PasswordVerdict {
  if (password.length < PASSWORD_MIN_LENGTH) return { ok: false, reason: `password must be at least ${PASSWORD_MIN_LENGTH} characters` };
  if (password.length > PASSWORD_MAX_LENGTH) return { ok: false, reason: `password must be at most ${PASSWORD_MAX_LENGTH} characters` };
  const result = estimator.check(password, userInputs.filter(Boolean));
  if (result.score >= MIN_SCORE) return { ok: true };
  const why = result.feedback.warning ? ` (${warningText[result.feedback.warning] ?? result.feedback.warning})` : '';
  return { ok: false, reason: `password is too easy to guess${why}: use a longer one mixing unrelated words, digits and symbols` };
}

// zxcvbn-ts reports warning keys; its translations are a separate package, and these few suffice.
const warningText: Record<string, string> = {
  straightRow: 'a row of keys',
  keyPattern: 'a keyboard pattern',
  simpleRepeat: 'a repeated character',
  extendedRepeat: 'a repeated pattern',
  sequences: 'a sequence such as abc or 123',
  recentYears: 'a recent year',
  dates: 'a date',
  topTen: 'one of the ten most common passwords',
  topHundred: 'one of the hundred most common passwords',
  common: 'a common password',
  similarToCommon: 'close to a common password',
  wordByItself: 'a single word',
  namesByThemselves: 'a single name',
  commonNames: 'a common name',
  userInputs: 'your name or username',
  pwned: 'a password found in data breaches',
};
