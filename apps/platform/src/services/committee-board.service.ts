import { Injectable } from '@nestjs/common';
import { committeeSections, type CommitteeSection, type CommitteeSectionStatus } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { committeeSectionDue, committeeSectionRules, isCommitteeSectionStale } from '../domain/committee-board';
import { BoardRepository, type BoardItemRow } from '../repositories/board.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

/**
 * Whether the committees keep their own board sections up to date (issue 13 §6; they publish
 * through BoardService.publishCommittee): the board and the street see which ones are overdue.
 */
@Injectable()
export class CommitteeBoardService {
  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: BoardRepository,
    private readonly communities: CommunityRepository,
    private readonly access: AccessService,
    private readonly clock: ClockRepository,
  ) {}

  /** Every committee section of a community from its latest rows (any sections may be passed), stale or not at the clock's now. */
  statusOf(latest: readonly BoardItemRow[]): CommitteeSectionStatus[] {
    const now = this.clock.now();
    return committeeSections.map((section) => {
      const row = latest.find((r) => r.section === section);
      const publishedAt = row ? new Date(row.published_at).getTime() : null;
      const due = committeeSectionDue(section, publishedAt, this.config.timeZone);
      const { publisherRole, period, source } = committeeSectionRules[section];
      return {
        section,
        publisherRole,
        period,
        source,
        lastUpdated: publishedAt === null ? null : new Date(publishedAt).toISOString(),
        dueBy: due === null ? null : new Date(due).toISOString(),
        stale: isCommitteeSectionStale(section, publishedAt, now, this.config.timeZone),
        version: row?.version ?? null,
        content: row?.content ?? null,
      };
    });
  }

  /** The street's view: every community in scope with its overdue committee sections. */
  async staleness(user: AuthUser) {
    const communities = await this.communities.find(this.access.filterFor(user));
    const rows = await this.repo.latestIn(
      communities.map((c) => c.id),
      committeeSections,
    );
    return communities.map((c) => {
      const sections = this.statusOf(rows.filter((r) => r.community_id === c.id)).map(({ content: _content, ...rest }) => rest);
      return { communityId: c.id, communityName: c.name, stale: sections.filter((s) => s.stale).map((s) => s.section as CommitteeSection), sections };
    });
  }
}
