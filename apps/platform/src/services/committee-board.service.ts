import { ForbiddenException, Injectable } from '@nestjs/common';
import { committeeSections, type BoardItem, type CommitteeSection, type CommitteeSectionStatus, type PublishCommitteeItemRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { committeeSectionDue, committeeSectionRules, isCommitteeSectionStale, mayPublishCommitteeSection } from '../domain/committee-board';
import { AuditRepository } from '../repositories/audit.repository';
import { BoardRepository, type BoardItemRow } from '../repositories/board.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

/**
 * The committees' own sections of the disclosure board (issue 13 §6): the owners' committee and
 * the residents' committee publish them for their community (each only its sections, per
 * domain/committee-board.ts); the board and the street see which ones are overdue.
 */
@Injectable()
export class CommitteeBoardService {
  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: BoardRepository,
    private readonly communities: CommunityRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
  ) {}

  async publish(user: AuthUser, communityId: string, dto: PublishCommitteeItemRequest): Promise<BoardItem> {
    await this.access.requireInScope(user, communityId);
    if (!mayPublishCommitteeSection(user.role, dto.section)) throw new ForbiddenException(`${dto.section} is published by the ${committeeSectionRules[dto.section].publisherRole}`);
    const row = await this.repo.publish({ community_id: communityId, section: dto.section, content: dto.content, published_by: user.id, published_at: new Date(this.clock.now()) });
    await this.audit.record({
      actorId: user.id,
      action: 'board.item.published',
      subjectType: 'community',
      subjectId: communityId,
      detail: { itemId: row.id, section: row.section, version: row.version, username: user.username, role: user.role, publishedAt: row.published_at.toISOString() },
    });
    return { id: row.id, communityId, section: row.section as BoardItem['section'], version: row.version, content: row.content, publishedAt: row.published_at.toISOString(), publishedBy: row.published_by };
  }

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
