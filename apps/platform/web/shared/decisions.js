// Owners' decisions (业主共同决定) that something of the community cites (a parking tariff, a slot
// lottery): the same test as the server's decisionVoteRefusal (domain/owner-vote.ts), so a page
// offers only votes the server accepts, and a link to a vote's published result on the board.
import { request } from './api.js';

/** A closed vote that adopted an option, not ordered corrected by the street since. */
export const citable = (vote) => vote.status === 'closed' && vote.result?.adopted !== null && vote.result?.adopted !== undefined && vote.reviews.at(-1)?.outcome !== 'ordered_corrected';

/** The community's votes that can be cited, newest first. */
export async function citableDecisions(communityId) {
  return (await request('GET', `/votes?communityId=${encodeURIComponent(communityId)}`)).filter(citable);
}

/** Fills a <select> with "none" and the decisions (option text is never parsed as HTML). */
export function fillDecisionSelect(select, votes, noneLabel) {
  const option = (value, text) => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = text;
    return o;
  };
  select.replaceChildren(option('', noneLabel), ...votes.map((v) => option(v.id, `${v.question}（${v.result.adoptedOption}）`)));
}

/** The public board's entry for a closed vote: its result, tally and the street's review. */
export const decisionHref = (communityId, voteId) => `/board/?community=${encodeURIComponent(communityId)}#vote-${encodeURIComponent(voteId)}`;
